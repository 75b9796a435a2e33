/**
 * The programmatic API as an embedder meets it: a separate package whose
 * node_modules/library-sync points at this checkout, importing the package by
 * name (exports and types), type-checked against the shipped declarations.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { CLI, cleanupTempDirs, cli, exampleWorkspace, fsck, ROOT, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const CONSUMER = `
import { openLibrarySync, LockedError, type LibrarySync, type SyncReport } from 'library-sync';

const configFile = process.argv[2];
if (process.argv[3] === 'while-locked') {
  // Another run holds the lock: a writing method fails at once with a typed error (waitSeconds 0), a read does not wait.
  const ls = await openLibrarySync({ configFile });
  const plan = await ls.plan();
  let error = '';
  try { await ls.sync(); } catch (err) { error = err instanceof LockedError ? 'LockedError' : String(err); }
  console.log(JSON.stringify({ error, planned: plan.companies.length }));
  process.exit(0);
}
const lines: string[] = [];
const logger = { debug() {}, info(o: object, m?: string) { lines.push(m ?? ''); }, warn() {}, error() {} };
const ls: LibrarySync = await openLibrarySync({ configFile, logger });
const plan: SyncReport = await ls.plan();
const synced = await ls.sync();
const after = await ls.status();
await ls.snapshot('from-api', { message: 'taken through the API' });
const held = await openLibrarySync({ configFile });
await held.close();
let closed = '';
try { await held.plan(); } catch (err) { closed = (err as Error).message; }
const snapshots = (await ls.snapshots()).map((s) => s.name);
const pushed = await ls.push('pdf', { companies: ['CodeCraft'] });
const status = await ls.status();
await ls.close();
console.log(JSON.stringify({ plan, synced: { exitCode: synced.exitCode, index: synced.index?.error ?? null, companies: synced.companies.map((c) => ({ name: c.name, applied: c.applied })) }, after: after.companies.map((c) => c.name), pushed, status, snapshots, closed, logged: lines.length }));
`;

/** What differs between two identical calls made a moment apart: times, ages, and the commits and snapshots they name. */
function steady(report: any): any {
  return JSON.parse(JSON.stringify(report, (key, value) => (/^(lastSync|lastSyncAgeSeconds|at|lastAttempt|lastRun|snapshot|observed|distribution|durationMs|libraryCommit|distributedCommit)$/.test(key) ? '…' : value)));
}

it("a separate package imports library-sync by name: plan(), push() and status() are the CLI's --json exactly, sync() applies it, types check", async () => {
  const ws = exampleWorkspace();
  const consumer = tempDir('lsync-consumer-');
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true, dependencies: { 'library-sync': `file:${ROOT}` } }));
  fs.mkdirSync(path.join(consumer, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(consumer, 'node_modules', 'library-sync'));
  fs.writeFileSync(path.join(consumer, 'check.ts'), CONSUMER);
  fs.writeFileSync(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', skipLibCheck: false, types: [] }, include: ['check.ts'] }),
  );
  // The shipped declarations are enough to type-check an embedder's code.
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { encoding: 'utf8' });

  // The same workspace twice: the API runs on one, the CLI on the other, step by step; every answer must be the same data.
  const twin = exampleWorkspace();
  const planned = cli(twin, ['sync', '--json']).json;
  const out = JSON.parse(execFileSync(process.execPath, [path.join(consumer, 'out', 'check.js'), ws.configFile], { encoding: 'utf8', cwd: consumer }));
  const normal = (report: any, dir: string) => steady(JSON.parse(JSON.stringify(report).split(dir).join('<ws>')));
  expect(normal(out.plan, ws.root)).toEqual(normal(planned, twin.root));
  expect(cli(twin, ['sync', '--fix', '--json']).code).toBe(0);
  expect(cli(twin, ['snapshot', 'from-api']).code).toBe(0);
  expect(normal(out.pushed, ws.root)).toEqual(normal(cli(twin, ['push', 'pdf', '--company', 'CodeCraft', '--json']).json, twin.root));
  expect(normal(out.status, ws.root)).toEqual(normal(cli(twin, ['status', '--json']).json, twin.root));
  expect(out.pushed.pushed.find((c: any) => c.company === 'CodeCraft').skills).toEqual([{ skill: 'pdf', before: 'override', state: 'in-sync', changedDuringRun: false }]);
  expect(out.plan.exitCode).toBe(0);
  expect(planned.exitCode).toBe(0);
  expect(planned.snapshot).toBeNull();
  expect(out.synced.exitCode).toBe(0);
  expect(out.synced.index).toBeNull();
  expect(out.synced.companies.find((c: any) => c.name === 'Northwind').applied.added.sort()).toEqual(['brand-voice', 'docx', 'pdf', 'xlsx']);
  expect(out.snapshots).toContain('from-api');
  expect(out.closed).toMatch(/handle is closed/);
  expect(out.logged).toBeGreaterThan(0);
  // What the API did is what the CLI sees.
  expect(cli(ws, ['sync', '--json']).json.companies.every((c: any) => c.skills.every((s: any) => s.action === 'none' || s.action === 'keep-company'))).toBe(true);
  fsck(ws.storeDir);

  // While a CLI run holds the lock, the API's writing methods refuse with LockedError; plan() still answers.
  const holdFile = path.join(tempDir(), 'holding');
  const holder = spawn(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix'], { env: { ...process.env, LIBRARY_SYNC_TEST_HOLD_LOCK: holdFile } });
  try {
    for (let i = 0; i < 600 && !fs.existsSync(holdFile); i++) execFileSync('sleep', ['0.05']);
    const locked = JSON.parse(execFileSync(process.execPath, [path.join(consumer, 'out', 'check.js'), ws.configFile, 'while-locked'], { encoding: 'utf8', cwd: consumer }));
    expect(locked).toEqual({ error: 'LockedError', planned: 3 });
  } finally {
    const exited = holder.exitCode !== null || holder.signalCode !== null ? Promise.resolve() : new Promise((resolve) => holder.once('close', resolve));
    fs.rmSync(holdFile, { force: true });
    holder.kill();
    // Gone before the temp folders are: once released, the holder finishes its run and writes its stat caches.
    await exited;
  }
});
