/**
 * With enough companies, a worker thread lstat-s the later companies' files
 * while the run scans the first ones (src/scan/preload.ts). Through the real
 * CLI: edits anywhere among ten companies, on either side of where the two
 * threads meet, are found, recorded and kept, as without the worker.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanupTempDirs, cli, fsck, historyHas, refsOf, stateOf, tempDir, write } from '../helpers.js';

afterAll(cleanupTempDirs);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const COMPANIES = Array.from({ length: 10 }, (_, i) => `co${i}`);

/** Ten empty companies and a library of two skills, alpha and beta, each with `ref/notes.md`. */
function twoSkillWorkspace(prefix: string) {
  const root = tempDir(prefix);
  for (const skill of ['alpha', 'beta']) {
    write(path.join(root, 'library', skill, 'SKILL.md'), `---\nname: ${skill}\ndescription: The ${skill} skill. Use when testing.\n---\n\nBody of ${skill}.\n`);
    write(path.join(root, 'library', skill, 'ref', 'notes.md'), `notes of ${skill}\n`);
  }
  for (const c of COMPANIES) fs.mkdirSync(path.join(root, 'companies', c, '.claude', 'skills'), { recursive: true });
  const ws = { configFile: path.join(root, 'library.config.json') };
  fs.writeFileSync(ws.configFile, JSON.stringify({ library: 'library', companies: 'companies/*/.claude/skills', store: 'store.git' }));
  return { root, ws, skills: (c: string) => path.join(root, 'companies', c, '.claude', 'skills') };
}

describe('a run with the stat preload worker', () => {
  // As it comes (the worker's companies depend on timing), and with the worker made to stat every company first.
  it.each([{ env: {} }, { env: { LIBRARY_SYNC_TEST_PRELOAD_ALL: '1' } }])('finds every edit, in the companies this thread scans and in those the worker stat-ed (%o)', async ({ env }) => {
    const { root, ws, skills } = twoSkillWorkspace('preload-e2e-');
    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    for (let i = 0; i < 2; i++) {
      await sleep(50); // past the racy window: every stat cache entry is trusted, so only stats decide
      expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    }

    // The first company (this thread's), the last two (the worker's): an append, an edit with its size and mtime
    // kept as `cp -p` leaves them, a deleted file.
    fs.appendFileSync(path.join(skills('co0'), 'alpha', 'SKILL.md'), 'co0 was here\n');
    const kept = path.join(skills('co9'), 'alpha', 'ref', 'notes.md');
    const st = fs.statSync(kept);
    fs.writeFileSync(kept, 'NOTES OF ALPHA\n');
    fs.utimesSync(kept, st.atime, st.mtime);
    fs.rmSync(path.join(skills('co8'), 'beta', 'ref', 'notes.md'));

    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    const status = cli(ws, ['status', '--json'], env).json;
    const overrides = COMPANIES.flatMap((c) => ['alpha', 'beta'].filter((s) => stateOf(status, c, s) !== 'in-sync').map((s) => `${c}/${s}:${stateOf(status, c, s)}`));
    expect(overrides).toEqual(['co0/alpha:override', 'co8/beta:override', 'co9/alpha:override']);
    expect(fs.readFileSync(kept, 'utf8')).toBe('NOTES OF ALPHA\n');
    const store = path.join(root, 'store.git');
    expect(historyHas(store, 'co9', 'alpha/ref/notes.md', 'NOTES OF ALPHA')).toBe(true);
    expect(historyHas(store, 'co0', 'alpha/SKILL.md', 'co0 was here')).toBe(true);
    fsck(store);

    // And a no-op after it changes nothing in the store.
    await sleep(50);
    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    const before = refsOf(store);
    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    expect(refsOf(store)).toBe(before);
  }, 60_000);

  it('an edit made after the worker stat-ed its file and before the run scanned it, with size and mtime kept, is never lost: kept at write time, found by the next run', async () => {
    const { root, ws, skills } = twoSkillWorkspace('preload-window-');
    const env = { LIBRARY_SYNC_TEST_PRELOAD_ALL: '1' };
    for (let i = 0; i < 3; i++) {
      expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
      await sleep(50); // past the racy window: only stats decide
    }
    // Which checkpoint is the worker's end: counted on a no-op, the same path up to there.
    const log = path.join(root, 'checkpoints.txt');
    expect(cli(ws, ['sync', '--fix', '--no-index'], { ...env, LIBRARY_SYNC_TEST_CHECKPOINTS: log }).code).toBe(0);
    const stopAt = fs.readFileSync(log, 'utf8').split('\n').find((l) => l.endsWith(' preload worker done, no company scanned yet'))!.split(' ')[0];
    await sleep(50);

    // A library update to alpha, which this run writes to every company: co9's alpha is edited behind the worker.
    fs.appendFileSync(path.join(root, 'library', 'alpha', 'SKILL.md'), 'Version 2.\n');
    const child = spawn(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix', '--no-index', '--json'], {
      env: { ...process.env, ...env, LIBRARY_SYNC_TEST_STOP_AT: stopAt },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const state = () => (fs.existsSync(`/proc/${child.pid}/stat`) ? fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8') : '');
    for (const deadline = Date.now() + 20_000; !/^\d+ \([^)]*\) T/.test(state()); await sleep(5)) {
      expect(child.exitCode, 'the run ended before its stop point').toBe(null);
      expect(Date.now() < deadline, 'the run never reached its stop point').toBe(true);
    }
    // Stopped: every company's stats taken, none scanned. Two edits as `cp -p` leaves them (same size, same mtime).
    const sameSize = (file: string, text: string) => {
      const st = fs.statSync(file);
      expect(Buffer.byteLength(text)).toBe(st.size);
      fs.writeFileSync(file, text);
      fs.utimesSync(file, st.atime, st.mtime);
    };
    const written = path.join(skills('co9'), 'alpha', 'ref', 'notes.md'); // in a skill this run replaces
    const untouched = path.join(skills('co8'), 'beta', 'ref', 'notes.md'); // in a skill it leaves alone
    sameSize(written, 'NOTES OF ALPHA\n');
    sameSize(untouched, 'NOTES OF BETA\n');
    child.kill('SIGCONT');
    expect(await exited).toBe(0);
    const run = JSON.parse(stdout);
    expect(run.companies.find((c: any) => c.name === 'co9').applied.changedDuringRun).toEqual(['alpha']);

    // Nothing lost: both edits in their folders and, by the next run at the latest, in the store's history.
    expect(fs.readFileSync(written, 'utf8')).toBe('NOTES OF ALPHA\n');
    expect(fs.readFileSync(path.join(skills('co0'), 'alpha', 'SKILL.md'), 'utf8')).toContain('Version 2.');
    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    expect(fs.readFileSync(untouched, 'utf8')).toBe('NOTES OF BETA\n');
    const status = cli(ws, ['status', '--json'], env).json;
    const overrides = COMPANIES.flatMap((c) => ['alpha', 'beta'].filter((s) => stateOf(status, c, s) !== 'in-sync').map((s) => `${c}/${s}:${stateOf(status, c, s)}`));
    expect(overrides).toEqual(['co8/beta:override', 'co9/alpha:override-behind']); // co9's alpha lacks the library's version 2
    const store = path.join(root, 'store.git');
    expect(historyHas(store, 'co9', 'alpha/ref/notes.md', 'NOTES OF ALPHA')).toBe(true);
    expect(historyHas(store, 'co8', 'beta/ref/notes.md', 'NOTES OF BETA')).toBe(true);
    fsck(store);
  }, 60_000);

  it('a company kept in two agents\' folders: an edit in its second folder, stat-ed by the worker, is found and reaches the first', async () => {
    const root = tempDir('preload-folders-');
    write(path.join(root, 'library', 'alpha', 'SKILL.md'), '---\nname: alpha\ndescription: The alpha skill. Use when testing.\n---\n\nBody.\n');
    for (const c of COMPANIES) fs.mkdirSync(path.join(root, 'companies', c, '.claude', 'skills'), { recursive: true });
    const ws = { configFile: path.join(root, 'library.config.json') };
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: 'library', companies: 'companies/*', folders: ['.claude/skills', '.agents/skills'], store: 'store.git' }));
    const env = { LIBRARY_SYNC_TEST_PRELOAD_ALL: '1' };
    for (let i = 0; i < 3; i++) {
      expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
      await sleep(50);
    }
    fs.appendFileSync(path.join(root, 'companies', 'co9', '.agents', 'skills', 'alpha', 'SKILL.md'), 'co9 in its Codex folder\n');
    expect(cli(ws, ['sync', '--fix', '--no-index'], env).code).toBe(0);
    const status = cli(ws, ['status', '--json'], env).json;
    expect(COMPANIES.filter((c) => stateOf(status, c, 'alpha') !== 'in-sync')).toEqual(['co9']);
    expect(fs.readFileSync(path.join(root, 'companies', 'co9', '.claude', 'skills', 'alpha', 'SKILL.md'), 'utf8')).toContain('co9 in its Codex folder');
    fsck(path.join(root, 'store.git'));
  }, 60_000);
});
