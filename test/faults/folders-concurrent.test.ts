/**
 * Nothing is lost in a company kept in two agents' folders either: a person
 * appends to the skills of both `.claude/skills` and `.agents/skills` while
 * `sync --fix` replaces them, round after round. Every edit that succeeded is
 * in its folder or in a blob reachable from a ref of the store. Real
 * processes, no test hook, native git as the judge.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, fsck } from '../helpers.js';
import { Editor, generatedWorkspace, snapshotTags, startCli, until } from './adversary-helpers.js';

afterAll(cleanupTempDirs);

const FOLDERS = ['.claude/skills', '.agents/skills'];

it('edits in either folder of a two-folder company, made while sync --fix writes both, are all kept', async () => {
  const ws = generatedWorkspace(12, 12);
  fs.writeFileSync(ws.configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(ws.configFile, 'utf8')), companies: path.join(ws.root, 'ALAI', '*'), folders: FOLDERS }));
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const changing = ws.skills.slice(0, 6);
  const files = ws.companies.flatMap((c) => FOLDERS.flatMap((f) => changing.map((s) => path.join(ws.root, 'ALAI', c, ...f.split('/'), s, 'SKILL.md'))));
  let total = 0;
  let raced = 0;
  for (let round = 1; round <= 3; round++) {
    for (const s of changing) fs.appendFileSync(path.join(ws.libraryDir, s, 'SKILL.md'), `library v${round}\n`);
    const before = snapshotTags(ws.storeDir).length;
    const run = startCli(ws, ['sync', '--fix', '--json']);
    let exited = false;
    void run.done.then(() => (exited = true));
    await until(() => exited || snapshotTags(ws.storeDir).length > before, 60_000, 'the run to start writing');
    const editor = new Editor(files, `folders${round}`);
    const editing = editor.run();
    const result = await run.done;
    editor.stop();
    await editing;
    // A conflict (both folders of one skill edited in the same run) is exit 1 and writes nothing to it; anything else is 0.
    expect([0, 1], result.stderr).toContain(result.code);
    expect(editor.lost(ws.storeDir), 'edits in neither the folder nor the store').toEqual([]);
    total += editor.made.length;
    raced += JSON.parse(result.stdout).companies.reduce((n: number, c: any) => n + c.applied.changedDuringRun.length, 0);
    fsck(ws.storeDir);
  }
  console.log(`two folders: ${total} edits made while 3 runs wrote; ${raced} skills found changed at write time and kept`);
  expect(total).toBeGreaterThan(0);
}, 240_000);
