/**
 * The library's git hooks, installed into a real repository and run by native
 * `git commit`: pre-commit refuses broken skills, post-commit syncs in the
 * background, existing hooks are chained and restored.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, write } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
let repo: string;
const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const gitIn = (...args: string[]) => spawnSync('git', args, { cwd: repo, encoding: 'utf8', env });
const hooksDir = () => path.join(repo, '.git', 'hooks');
const logFile = () => path.join(path.dirname(ws.storeDir), 'logs', 'library-sync.log');

beforeEach(() => {
  ws = exampleWorkspace();
  repo = path.dirname(path.dirname(ws.libraryDir)); // <root>/system holds library/skills
  execFileSync('git', ['init', '-q'], { cwd: repo });
  fs.writeFileSync(path.join(repo, '.gitignore'), 'library-store.git/\nlogs/\n');
  gitIn('add', '-A');
  expect(gitIn('commit', '-qm', 'library').status).toBe(0);
});

async function waitFor(what: string, cond: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every good commit starts a background sync; let it finish before the temp folder goes. */
async function backgroundSyncDone(): Promise<void> {
  const done = () => fs.existsSync(logFile()) && fs.readFileSync(logFile(), 'utf8').includes('"msg":"Northwind: fix ok"');
  await waitFor('the background sync finished', () => done() && !fs.existsSync(path.join(ws.storeDir, 'library-sync', 'sync.lock')), 10);
}

describe('library hooks', () => {
  it('pre-commit refuses a skill with broken front matter, with the reason, and commits nothing', () => {
    expect(cli(ws, ['hooks', 'install']).code).toBe(0);
    const head = gitIn('rev-parse', 'HEAD').stdout;
    write(path.join(ws.libraryDir, 'broken', 'SKILL.md'), '---\nname: broken\ndescription: Reads: files\n---\n');
    write(path.join(ws.libraryDir, 'misnamed', 'SKILL.md'), '---\nname: other\ndescription: x\n---\n');
    gitIn('add', '-A');
    const res = gitIn('commit', '-m', 'add broken skills');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/broken\/SKILL\.md:3:14: error: front matter is not valid YAML at line 3, column 14: .*quote the value: description: "Reads: files" \[yaml-invalid\]/);
    expect(res.stderr).toMatch(/misnamed\/SKILL\.md:2:1: error: front matter name "other" does not match the folder name "misnamed": make them equal \[name-mismatch\]/);
    expect(res.stderr).toMatch(/commit refused: fix the errors above/);
    expect(gitIn('rev-parse', 'HEAD').stdout).toBe(head);
  });

  it('checks what is staged, not the working copy', async () => {
    expect(cli(ws, ['hooks', 'install']).code).toBe(0);
    write(path.join(ws.libraryDir, 'good', 'SKILL.md'), '---\nname: good\ndescription: fine\n---\n');
    gitIn('add', '-A');
    fs.writeFileSync(path.join(ws.libraryDir, 'good', 'SKILL.md'), 'broken only in the working copy\n');
    const res = gitIn('commit', '-qm', 'good');
    expect(res.status).toBe(0);
    expect(res.stderr).toBe(''); // nothing to say: no "ok: 1 skill checked" on every commit
    await backgroundSyncDone();
  });

  it('pre-commit prints warnings and lets the commit through; with validation "strict" it refuses', async () => {
    expect(cli(ws, ['hooks', 'install']).code).toBe(0);
    write(path.join(ws.libraryDir, 'My_Notes', 'SKILL.md'), '---\nname: My_Notes\ndescription: notes\n---\n');
    gitIn('add', '-A');
    const res = gitIn('commit', '-qm', 'notes');
    expect(res.status).toBe(0);
    expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(/My_Notes: warning: skill name "My_Notes" has uppercase letters, "_"; .* \[name-format\]$/)]);
    await backgroundSyncDone();

    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, validation: 'strict' }));
    const head = gitIn('rev-parse', 'HEAD').stdout;
    write(path.join(ws.libraryDir, 'More_Notes', 'SKILL.md'), '---\nname: More_Notes\ndescription: notes\n---\n');
    gitIn('add', '-A');
    const strict = gitIn('commit', '-qm', 'more notes');
    expect(strict.status).not.toBe(0);
    expect(strict.stderr).toMatch(/More_Notes: error: skill name "More_Notes" .* \[name-format\]\nlibrary-sync: commit refused: fix the errors above/);
    expect(gitIn('rev-parse', 'HEAD').stdout).toBe(head);
  });

  it('a good commit triggers a background sync that updates the companies within 10 s', async () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['hooks', 'install']).code).toBe(0);
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nCommitted by the hook test.\n');
    const res = gitIn('commit', '-qam', 'docx: new section');
    expect(res.status).toBe(0);
    const target = path.join(ws.companyDir('Northwind'), 'docx', 'SKILL.md');
    await waitFor('Northwind has the committed docx', () => fs.readFileSync(target, 'utf8').includes('Committed by the hook test.'), 10);
    expect(fs.readFileSync(path.join(ws.companyDir('Lexicon'), 'docx', 'SKILL.md'), 'utf8')).toContain('Committed by the hook test.');
    // The background run logged to the log file and released the lock.
    await waitFor('the sync run finished', () => !fs.existsSync(path.join(ws.storeDir, 'library-sync', 'sync.lock')), 10);
    const lines = fs.readFileSync(logFile(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.company === 'Northwind' && l.action === 'fix' && l.updated === 1)).toBe(true);
    fsck(ws.storeDir);
  });

  it('chains an existing hook, and uninstall restores it byte for byte', async () => {
    const marker = path.join(ws.root, 'old-hook-ran');
    const old = `#!/bin/sh\necho ran >> '${marker}'\n`;
    fs.writeFileSync(path.join(hooksDir(), 'pre-commit'), old, { mode: 0o755 });
    const install = cli(ws, ['hooks', 'install', '--json']);
    expect(install.code).toBe(0);
    expect(install.json.changes.map((c: any) => `${c.hook}:${c.action}`)).toEqual(['pre-commit:chained', 'post-commit:installed']);
    // Installing again updates ours and keeps the chained one.
    expect(cli(ws, ['hooks', 'install', '--json']).json.changes.map((c: any) => c.action)).toEqual(['updated', 'updated']);

    write(path.join(ws.libraryDir, 'good', 'SKILL.md'), '---\nname: good\ndescription: fine\n---\n');
    gitIn('add', '-A');
    expect(gitIn('commit', '-qm', 'good').status).toBe(0);
    expect(fs.readFileSync(marker, 'utf8')).toBe('ran\n');
    await backgroundSyncDone();

    const un = cli(ws, ['hooks', 'uninstall']);
    expect(un.code).toBe(0);
    expect(fs.readFileSync(path.join(hooksDir(), 'pre-commit'), 'utf8')).toBe(old);
    expect(fs.statSync(path.join(hooksDir(), 'pre-commit')).mode & 0o777).toBe(0o755);
    expect(fs.existsSync(path.join(hooksDir(), 'post-commit'))).toBe(false);
    expect(fs.readdirSync(hooksDir()).filter((n) => n.includes('library-sync'))).toEqual([]);
  });

  it('a failing chained hook still refuses the commit', () => {
    fs.writeFileSync(path.join(hooksDir(), 'pre-commit'), '#!/bin/sh\necho "old hook says no" >&2\nexit 3\n', { mode: 0o755 });
    expect(cli(ws, ['hooks', 'install']).code).toBe(0);
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'x\n');
    const res = gitIn('commit', '-qam', 'docx');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/old hook says no/);
  });

  it('refuses to install outside a git repository, with exit 2', () => {
    fs.rmSync(path.join(repo, '.git'), { recursive: true });
    const res = cli(ws, ['hooks', 'install']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is not inside a git repository: run `git init`/);
  });
});
