/**
 * Four processes start sync, push and rollback at once on one store. Exactly
 * one writes at a time (the lock intervals in their logs never overlap), the
 * others wait or exit 75, and the end state equals the serial order the lock
 * actually gave them, replayed on an identical workspace.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { CLI, cleanupTempDirs, cli, exampleWorkspace, fsck, git, historyHas, snapshotFolder } from '../helpers.js';
import { prepared } from './prepared.js';

afterAll(cleanupTempDirs);

const COMPANIES = ['CodeCraft', 'Lexicon', 'Northwind'];
const OPS: Record<string, string[]> = {
  sync1: ['sync', '--fix'],
  push: ['push', 'pdf', '--company', 'CodeCraft'],
  rollback: ['rollback', 'base', '--company', 'Lexicon'],
  sync2: ['sync', '--fix'],
};

/** A synced workspace with a snapshot, a library release and two company edits: prepared once, a copy per use. */
const scenario = prepared((): ExampleWorkspace => {
  const ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(cli(ws, ['snapshot', 'base']).code).toBe(0);
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'v2\n');
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), 'v2\n');
  fs.appendFileSync(path.join(ws.companyDir('Lexicon'), 'docx', 'SKILL.md'), 'Lexicon edit\n');
  fs.appendFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'SKILL.md'), 'Northwind edit\n');
  return ws;
});

function start(ws: ExampleWorkspace, name: string, args: string[], wait: string): Promise<{ name: string; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, '--config', ws.configFile, '--verbose', '--log-file', path.join(ws.root, `${name}.log`), ...args, '--wait', wait]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ name, code, stderr }));
  });
}

function lockIntervals(ws: ExampleWorkspace, name: string): Array<[number, number]> {
  const lines = fs.readFileSync(path.join(ws.root, `${name}.log`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const acquired = lines.filter((l) => l.action === 'lock').map((l) => l.time);
  const released = lines.filter((l) => l.action === 'unlock').map((l) => l.time);
  return acquired.map((t: number, i: number) => [t, released[i]]);
}

const consistent = (ws: ExampleWorkspace) => {
  fsck(ws.storeDir);
  // Every company folder is exactly what its history says: no update lost between writers.
  for (const c of COMPANIES) {
    const status = cli(ws, ['status', '--company', c, '--json']).json;
    expect(status.companies[0].ok).toBe(true);
    expect(git(ws.storeDir, ['show', `companies/${c}:`]).length).toBeGreaterThan(0);
  }
};

it('with --wait, all four run one at a time and the result equals their serial order', async () => {
  const ws = scenario();
  const results = await Promise.all(Object.entries(OPS).map(([name, args]) => start(ws, name, args, '60')));
  for (const r of results) expect(r.code, `${r.name}: ${r.stderr}`).toBe(0);
  const intervals = Object.keys(OPS).map((name) => ({ name, span: lockIntervals(ws, name)[0] })).sort((a, b) => a.span[0] - b.span[0]);
  for (let i = 1; i < intervals.length; i++) expect(intervals[i].span[0], 'two writers overlapped').toBeGreaterThanOrEqual(intervals[i - 1].span[1]);
  consistent(ws);

  const replay = scenario();
  for (const { name } of intervals) expect(cli(replay, OPS[name]).code).toBe(0);
  for (const c of COMPANIES) expect(snapshotFolder(ws.companyDir(c)), c).toEqual(snapshotFolder(replay.companyDir(c)));
  // No company edit was lost: both are on disk and in the store.
  expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'SKILL.md'), 'utf8')).toContain('Northwind edit');
  expect(historyHas(ws.storeDir, 'Lexicon', 'docx/SKILL.md', 'Lexicon edit')).toBe(true);
});

it('without --wait, the others exit 75 naming the holder, and nothing is half-done', async () => {
  const ws = scenario();
  const results = await Promise.all(Object.entries(OPS).map(([name, args]) => start(ws, name, args, '0')));
  const codes = results.map((r) => r.code);
  expect(codes.every((c) => c === 0 || c === 75)).toBe(true);
  expect(codes).toContain(0);
  for (const r of results.filter((x) => x.code === 75)) expect(r.stderr).toMatch(/is locked by pid \d+ on .* since \d{4}-/);
  consistent(ws);
});
