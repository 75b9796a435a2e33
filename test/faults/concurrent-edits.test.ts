/**
 * Nothing a company had is ever lost, with real timing: a person appends to
 * the very skills a running `sync --fix`, `push` or `rollback` is replacing,
 * across many companies, round after round. Every edit that succeeded must end
 * in its folder or in a blob reachable from a ref of the store, and the runs
 * must say they met some of them (a skill found changed at write time, and
 * kept): edits that never met a write would prove nothing. No test hook is
 * involved: real processes, real files, native git as the judge.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, fsck } from '../helpers.js';
import { Editor, generatedWorkspace, snapshotTags, startCli, until, type Workspace } from './adversary-helpers.js';

afterAll(cleanupTempDirs);

const ROUNDS = 3;
/** Rounds where no edit met a write prove nothing: up to this many more are run until one does. */
const EXTRA_ROUNDS = 3;
const moreRounds = (round: number, raced: number) => round <= ROUNDS || (raced === 0 && round <= ROUNDS + EXTRA_ROUNDS);
/** Each test runs the CLI a dozen times on a few hundred skills: minutes on a loaded 2-core CI machine. */
const TIMEOUT = 240_000;

/** Run `args` while an editor appends to `files`; returns the editor once the run has ended. */
async function editWhileRunning(ws: Workspace, args: string[], files: string[], label: string): Promise<{ editor: Editor; code: number | null; json: any; stderr: string }> {
  const before = snapshotTags(ws.storeDir).length;
  const run = startCli(ws, [...args, '--json']);
  const editor = new Editor(files, label);
  // Start editing once the run begins to change folders (it tags its snapshot just before), so the edits meet the writes.
  let exited = false;
  void run.done.then(() => (exited = true));
  await until(() => exited || snapshotTags(ws.storeDir).length > before, 60_000, 'the run to start writing');
  const editing = editor.run();
  const result = await run.done;
  editor.stop();
  await editing;
  let json: any;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  return { editor, code: result.code, json, stderr: result.stderr };
}

const skillFiles = (ws: Workspace, skills: string[]) => ws.companies.flatMap((c) => skills.map((s) => path.join(ws.companyDir(c), s, 'SKILL.md')));
/** Skills the run itself reported as changed by the company while it was writing them (sync and push: --json). */
const changedDuringRun = (json: any) => json?.companies.reduce((n: number, c: any) => n + (c.applied.changedDuringRun?.length ?? 0), 0) ?? 0;
/** The same, as rollback reports it: a company error naming each skill it found changed, and kept. */
const changedDuringRollback = (json: any) => json?.companies.reduce((n: number, c: any) => n + (c.error?.match(/: it was changed during the run; the company's version is kept/g)?.length ?? 0), 0) ?? 0;

it('edits appended while sync --fix replaces those skills are all kept, in the folder or in the store', async () => {
  const ws = generatedWorkspace(24, 16);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const changing = ws.skills.slice(0, 8);
  let total = 0;
  let raced = 0;
  let rounds = 0;
  for (let round = 1; moreRounds(round, raced); round++) {
    rounds = round;
    for (const s of changing) fs.appendFileSync(path.join(ws.libraryDir, s, 'SKILL.md'), `library v${round}\n`);
    const { editor, code, json, stderr } = await editWhileRunning(ws, ['sync', '--fix'], skillFiles(ws, changing), `sync${round}`);
    expect(code, stderr).toBe(0);
    expect(editor.lost(ws.storeDir), 'edits in neither the folder nor the store').toEqual([]);
    total += editor.made.length;
    raced += changedDuringRun(json);
    fsck(ws.storeDir);
  }
  console.log(`sync --fix: ${total} edits made while ${rounds} runs wrote; ${raced} skills were found changed at write time and kept`);
  expect(total).toBeGreaterThan(0);
  expect(raced, 'no edit met a write: the test proved nothing').toBeGreaterThan(0);
  // The kept edits are overrides now, and stay so: the next run changes nothing that was edited.
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fsck(ws.storeDir);
}, TIMEOUT);

it('edits appended while push forces the library version are all kept', async () => {
  const ws = generatedWorkspace(24, 6);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const skill = ws.skills[0];
  let total = 0;
  let raced = 0;
  let rounds = 0;
  for (let round = 1; moreRounds(round, raced); round++) {
    rounds = round;
    // Every company customizes the skill, then push takes the library's version back into all of them.
    for (const c of ws.companies) fs.appendFileSync(path.join(ws.companyDir(c), skill, 'SKILL.md'), `${c} customization ${round}\n`);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const companies = ws.companies.flatMap((c) => ['--company', c]);
    const { editor, code, json, stderr } = await editWhileRunning(ws, ['push', skill, ...companies], skillFiles(ws, [skill]), `push${round}`);
    expect([0, 1], stderr).toContain(code); // 1: a company edited the skill at the moment push wanted to replace it, and kept it
    expect(editor.lost(ws.storeDir)).toEqual([]);
    total += editor.made.length;
    raced += changedDuringRun(json);
    fsck(ws.storeDir);
  }
  console.log(`push: ${total} edits made while ${rounds} runs wrote; ${raced} skills were found changed at write time and kept`);
  expect(total).toBeGreaterThan(0);
  expect(raced, 'no edit met a write: the test proved nothing').toBeGreaterThan(0);
}, TIMEOUT);

it('edits appended while rollback checks out a snapshot are all kept', async () => {
  const ws = generatedWorkspace(16, 8);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  let total = 0;
  let raced = 0;
  let rounds = 0;
  for (let round = 1; moreRounds(round, raced); round++) {
    rounds = round;
    expect(cli(ws, ['snapshot', `before-${round}`]).code).toBe(0);
    for (const s of ws.skills) fs.appendFileSync(path.join(ws.libraryDir, s, 'SKILL.md'), `library v${round}\n`);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['snapshot', `after-${round}`]).code).toBe(0);
    const { editor, code, json, stderr } = await editWhileRunning(ws, ['rollback', `before-${round}`], skillFiles(ws, ws.skills), `rollback${round}`);
    expect([0, 1], stderr).toContain(code); // 1: a skill edited at the moment rollback wanted to replace it was kept
    expect(editor.lost(ws.storeDir)).toEqual([]);
    total += editor.made.length;
    raced += changedDuringRollback(json);
    fsck(ws.storeDir);
    // Forward again (the rolled-back skills are overrides now), ready for the next library update.
    expect(cli(ws, ['rollback', `after-${round}`]).code).toBe(0);
  }
  console.log(`rollback: ${total} edits made while ${rounds} runs wrote; ${raced} skills were found changed at write time and kept`);
  expect(total).toBeGreaterThan(0);
  expect(raced, 'no edit met a write: the test proved nothing').toBeGreaterThan(0);
}, TIMEOUT);
