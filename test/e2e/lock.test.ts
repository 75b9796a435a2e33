/**
 * One sync per store: launchd, a hook and a person may all start one. The
 * first run is held inside the lock by a test hook (LIBRARY_SYNC_TEST_HOLD_LOCK)
 * so the second meets a held lock every time, not by luck of timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { CLI, cleanupTempDirs, cli, exampleWorkspace, fsck, git, snapshotFolder } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
let holdFile: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  ws = exampleWorkspace();
  holdFile = path.join(ws.root, 'hold');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Start `sync --fix` in the background; resolves once it holds the lock. */
async function startHolder(): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix', '--json'], {
    env: { ...process.env, LIBRARY_SYNC_TEST_HOLD_LOCK: holdFile },
    stdio: 'ignore',
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 400 && !fs.existsSync(holdFile); i++) {
    if (child.exitCode !== null) throw new Error(`holder exited early with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  expect(fs.existsSync(holdFile)).toBe(true);
  return { child, exited };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const commitsOn = (ref: string) => git(ws.storeDir, ['rev-list', '--first-parent', '--count', ref]).trim();

describe('the store lock', () => {
  it('two concurrent sync --fix: exactly one run, and one exit 75 naming the holder', async () => {
    const { child, exited } = await startHolder();
    const second = cli(ws, ['sync', '--fix', '--json']);
    expect(second.code).toBe(75);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`locked by pid ${child.pid} on .* \\(library sync --fix\\) since \\d{4}-\\d\\d-\\d\\dT`));
    expect(second.stdout).toBe('');
    fs.rmSync(holdFile); // let the first run go on
    expect(await exited).toBe(0);

    // One run: one observe + one distribution per company, one library commit, one run in the state.
    expect(commitsOn('library')).toBe('1');
    expect(commitsOn('companies/Northwind')).toBe('2');
    const state = JSON.parse(fs.readFileSync(path.join(ws.storeDir, 'library-sync', 'state.json'), 'utf8'));
    expect(state.lastRun.ok).toBe(true);
    // The folders are consistent: Northwind has exactly the library, and no temp folder is left.
    expect(snapshotFolder(ws.companyDir('Northwind'))).toEqual(snapshotFolder(ws.libraryDir));
    expect(fs.readdirSync(ws.companyDir('Northwind')).filter((n) => n.startsWith('.'))).toEqual([]);
    fsck(ws.storeDir);
    expect(fs.existsSync(path.join(ws.storeDir, 'library-sync', 'sync.lock'))).toBe(false);
  });

  it('sync without --fix (the dry run) does not wait for a run that writes, and says that one was writing while it read', async () => {
    const { exited } = await startHolder();
    const plan = cli(ws, ['sync', '--json']);
    expect(plan.json.companies.map((c: any) => c.name).sort()).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    expect(plan.stderr).toMatch(/a sync --fix was writing while this plan was read/);
    fs.rmSync(holdFile);
    expect(await exited).toBe(0);
    expect(cli(ws, ['sync', '--json']).stderr).not.toMatch(/was writing while this plan was read/);
  });

  it('--wait lets the second run go once the first is done', async () => {
    const { exited } = await startHolder();
    const second = spawn(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix', '--wait', '30'], { stdio: 'ignore' });
    children.push(second);
    const secondExit = new Promise<number | null>((resolve) => second.on('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 300)); // the second is now waiting
    expect(second.exitCode).toBe(null);
    fs.rmSync(holdFile);
    expect(await exited).toBe(0);
    expect(await secondExit).toBe(0);
  });

  it('a lock whose holder was SIGKILLed is reported stale, then taken over', async () => {
    const { child, exited } = await startHolder();
    child.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(path.join(ws.storeDir, 'library-sync', 'sync.lock'))).toBe(true);

    const check = cli(ws, ['status', '--check', '--json']);
    expect(check.code).toBe(1);
    expect(check.json.problems.map((p: any) => p.check)).toContain('lock');
    expect(check.json.problems.find((p: any) => p.check === 'lock').message).toMatch(new RegExp(`held by pid ${child.pid} .*that process is gone`));

    fs.rmSync(holdFile);
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    expect(snapshotFolder(ws.companyDir('Northwind'))).toEqual(snapshotFolder(ws.libraryDir));
    fsck(ws.storeDir);
    expect(cli(ws, ['status', '--check']).code).toBe(0);
  });

  it('several runs meeting a dead holder\'s lock: exactly one takes it over', async () => {
    const { child, exited } = await startHolder();
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(holdFile);
    // Three runs at once, each of which would stay inside the lock if it got it.
    const holds = [1, 2, 3].map((i) => path.join(ws.root, `hold-${i}`));
    const runs = holds.map((hold) => {
      const c = spawn(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix'], { env: { ...process.env, LIBRARY_SYNC_TEST_HOLD_LOCK: hold }, stdio: 'ignore' });
      children.push(c);
      return new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    });
    // Two give up with 75 (no --wait); the third holds the lock.
    const firstTwo = await new Promise<number[]>((resolve) => {
      const codes: number[] = [];
      for (const r of runs) void r.then((code) => { codes.push(code ?? -1); if (codes.length === 2) resolve(codes); });
    });
    expect(firstTwo).toEqual([75, 75]);
    const holding = holds.filter((h) => fs.existsSync(h));
    expect(holding).toHaveLength(1);
    fs.rmSync(holding[0]);
    expect((await Promise.all(runs)).sort()).toEqual([0, 75, 75]);
    fsck(ws.storeDir);
  });

  it('a lock folder without an owner file, seconds old, is named by status --check and doctor, and taken over with a warning', () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const lock = path.join(ws.storeDir, 'library-sync', 'sync.lock');
    fs.mkdirSync(lock); // as an older version killed between its folder and its owner file leaves it, or a person
    const fiveSecondsAgo = new Date(Date.now() - 5000);
    fs.utimesSync(lock, fiveSecondsAgo, fiveSecondsAgo);
    const ownerless = new RegExp(`the store lock ${escape(lock)} has no owner file \\(left by an older version, or made by hand; last touched \\d+s ago\\)`);

    const check = cli(ws, ['status', '--check', '--json']);
    expect(check.code).toBe(1);
    expect(check.json.problems.find((p: any) => p.check === 'lock').message).toMatch(ownerless);
    const doctor = cli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(doctor.json.checks.find((c: any) => c.check === 'lock')).toMatchObject({ ok: false, message: expect.stringMatching(ownerless) });

    const res = cli(ws, ['sync', '--fix']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`${ownerless.source}: taking it over`));
    expect(fs.readdirSync(path.dirname(lock)).filter((n) => n.startsWith('sync.lock'))).toEqual([]);
    expect(cli(ws, ['status', '--check']).code).toBe(0);
  });

  it("an older version's lock (its owner file beside the folder) is refused while that process lives, and taken over at once when it is gone", async () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const data = path.join(ws.storeDir, 'library-sync');
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(holder);
    const gone = new Promise((resolve) => holder.on('exit', resolve));
    fs.mkdirSync(path.join(data, 'sync.lock'));
    const oldOwner = { pid: holder.pid, host: os.hostname(), command: 'library sync --fix', startedAt: new Date(Date.now() - 60_000).toISOString() };
    fs.writeFileSync(path.join(data, 'sync.lock.owner.json'), JSON.stringify(oldOwner));
    const fiveSecondsAgo = new Date(Date.now() - 5000);
    fs.utimesSync(path.join(data, 'sync.lock'), fiveSecondsAgo, fiveSecondsAgo);

    const refused = cli(ws, ['sync', '--fix']);
    expect(refused.code).toBe(75);
    expect(refused.stderr).toContain(`is locked by pid ${holder.pid} on ${os.hostname()} (library sync --fix) since ${oldOwner.startedAt}`);
    expect(cli(ws, ['status', '--check', '--json']).json.problems.map((p: any) => p.check)).not.toContain('lock');

    holder.kill('SIGKILL');
    await gone;
    const res = cli(ws, ['sync', '--fix']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/no owner file/);
    expect(fs.readdirSync(data).filter((n) => n.startsWith('sync.lock'))).toEqual([]);
  });

  it('push and rollback take the lock too; a rollback --dry-run writes nothing, so it does not wait for it', async () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['snapshot', 'before-hold']).code).toBe(0);
    await startHolder();
    const res = cli(ws, ['push', 'pdf', '--company', 'CodeCraft']);
    expect(res.code).toBe(75);
    expect(res.stderr).toMatch(/is locked by pid/);
    expect(cli(ws, ['rollback', 'before-hold']).code).toBe(75);
    const dry = cli(ws, ['rollback', 'before-hold', '--dry-run']);
    expect([dry.code, dry.stderr]).toEqual([0, '']);
    expect(dry.stdout).toContain('(dry run: nothing written)');
  });
});
