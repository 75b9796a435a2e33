/**
 * Crash safety: SIGKILL `library sync --fix` at 20 different checkpoints (every
 * object, ref, temp file, skill file and rename is one) and check each time:
 * no skill folder is a mix of old and new, native git fsck passes, the next run
 * converges to the uninterrupted result, and no company edit is lost. The
 * scenario is prepared once and each kill starts from a copy of it, as does the
 * uninterrupted reference run, so all of them see the same workspace. Kill
 * points are independent (each its own copy), so four run at a time.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { writeSkillFiles } from '../../example/workspace.js';
import { scanSkillsFolder } from '../../src/scan/scan.js';
import { StatCache } from '../../src/scan/stat-cache.js';
import { CLI, cleanupTempDirs, cli, exampleWorkspace, fsck, git, snapshotFolder } from '../helpers.js';
import { prepared } from './prepared.js';
import { SIDE_BY_SIDE_TIMEOUT, runCli, sideBySide } from './side-by-side.js';

afterAll(cleanupTempDirs);

const COMPANIES = ['CodeCraft', 'Lexicon', 'Northwind'];

/** A synced workspace, then a library release and two company edits, ready for the run under test. */
function scenario(): ExampleWorkspace {
  const ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nv2: tracked changes on by default.\n');
  fs.writeFileSync(path.join(ws.libraryDir, 'pdf', 'reference.md'), '# PDF reference v2\n');
  writeSkillFiles(path.join(ws.libraryDir, 'csv'), { 'SKILL.md': '---\nname: csv\ndescription: Clean CSV files.\n---\n', 'scripts/clean.py': 'print(1)\n' });
  fs.rmSync(path.join(ws.libraryDir, 'brand-voice'), { recursive: true });
  fs.appendFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'SKILL.md'), '\nNorthwind: use EU number formats.\n');
  fs.appendFileSync(path.join(ws.companyDir('Lexicon'), 'legal-citations', 'SKILL.md'), '\nLexicon: add pin cites.\n');
  return ws;
}

const skillTrees = (dir: string) => scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: 1e9 }).skills;
const folders = (ws: ExampleWorkspace) => Object.fromEntries(COMPANIES.map((c) => [c, snapshotFolder(ws.companyDir(c))]));

function syncWithKill(ws: ExampleWorkspace, env: Record<string, string>) {
  return spawnSync(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix'], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/**
 * Four kill points at a time: on two cores, while one starts node or waits on the disk another computes. A test's
 * timeout counts its wait for a turn.
 */
const fourAtATime = sideBySide(4);

describe.concurrent('SIGKILL during sync --fix', () => {
  // The uninterrupted run, and how many checkpoints it passes.
  const copyOfScenario = prepared(scenario);
  const reference = copyOfScenario();
  const before = Object.fromEntries(COMPANIES.map((c) => [c, skillTrees(reference.companyDir(c))]));
  const countFile = path.join(reference.root, 'checkpoints.txt');
  const ref = syncWithKill(reference, { LIBRARY_SYNC_TEST_CHECKPOINTS: countFile });
  const total = fs.readFileSync(countFile, 'utf8').trim().split('\n').length;
  const after = Object.fromEntries(COMPANIES.map((c) => [c, skillTrees(reference.companyDir(c))]));
  const expected = folders(reference);
  const killPoints = [...new Set(Array.from({ length: 20 }, (_, i) => Math.max(1, Math.round(((i + 1) * total) / 21))))];

  it('the reference run passes enough checkpoints to choose 20 kill points', () => {
    expect(ref.status).toBe(0);
    expect(killPoints).toHaveLength(20);
  });

  for (const k of killPoints) {
    it.concurrent(`killed at checkpoint ${k} of ${total}: old-or-new skills, fsck clean, converges, no edit lost`, ({ expect }) => fourAtATime(async () => {
      const ws = copyOfScenario();
      const res = await runCli(ws, ['sync', '--fix'], { LIBRARY_SYNC_TEST_KILL_AT: String(k) });
      expect(res.signal).toBe('SIGKILL');

      for (const c of COMPANIES) {
        const dir = ws.companyDir(c);
        const now = skillTrees(dir);
        for (const skill of new Set([...before[c].keys(), ...after[c].keys(), ...now.keys()])) {
          const tree = now.get(skill);
          if (tree === undefined) {
            // Absent is the old state (a removal, or not yet added), or the instant between an update's two renames,
            // in which case the old copy waits beside it for the next run to put back.
            const caughtMidSwap = fs.readdirSync(dir).some((n) => n.startsWith(`.${skill}.library-sync-old-`));
            expect(before[c].has(skill) === false || after[c].has(skill) === false || caughtMidSwap, `${c}/${skill} vanished`).toBe(true);
          } else {
            expect([before[c].get(skill), after[c].get(skill)], `${c}/${skill} is a mix of old and new`).toContain(tree);
          }
        }
      }
      fsck(ws.storeDir);

      const rerun = await runCli(ws, ['sync', '--fix']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(folders(ws)).toEqual(expected);
      fsck(ws.storeDir);
      // The company edits made before the kill are on disk and in the store.
      expect(git(ws.storeDir, ['show', 'companies/Northwind:xlsx/SKILL.md'])).toContain('EU number formats');
      expect(git(ws.storeDir, ['show', 'companies/Lexicon:legal-citations/SKILL.md'])).toContain('pin cites');
    }), SIDE_BY_SIDE_TIMEOUT);
  }
});

describe.concurrent('SIGKILL between the ref writes of a first distribution', () => {
  // A company's distribution commit and its merge base are two refs: a kill after any ref write must leave a store
  // the next run carries on from by itself (before, a kill between the company ref and a first base stopped that
  // company until `doctor --repair`).
  const reference = exampleWorkspace();
  const countFile = path.join(reference.root, 'checkpoints.txt');
  expect(syncWithKill(reference, { LIBRARY_SYNC_TEST_CHECKPOINTS: countFile }).status).toBe(0);
  const expected = folders(reference);
  const summaryOf = (status: { json?: any }) => status.json.companies.map((c: any) => [c.name, c.ok, c.counts.override ?? 0]);
  const expectedSummary = summaryOf(cli(reference, ['status', '--json']));
  const refWrites = fs.readFileSync(countFile, 'utf8').trim().split('\n').filter((l) => / renamed into place: (CodeCraft|Lexicon|Northwind)$/.test(l)).map((l) => Number(l.split(' ')[0]));

  it('each company has an observed commit, a distribution commit and a base: kill points after each', () => {
    expect(refWrites.length).toBeGreaterThanOrEqual(3 * COMPANIES.length);
  });

  for (const k of refWrites) {
    it.concurrent(`killed just after ref write ${k}: the next run exits 0, converges, fsck clean`, ({ expect }) => fourAtATime(async () => {
      const ws = exampleWorkspace();
      expect((await runCli(ws, ['sync', '--fix'], { LIBRARY_SYNC_TEST_KILL_AT: String(k) })).signal).toBe('SIGKILL');
      fsck(ws.storeDir);
      const rerun = await runCli(ws, ['sync', '--fix']);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(folders(ws)).toEqual(expected);
      expect(summaryOf(await runCli(ws, ['status', '--json']))).toEqual(expectedSummary);
      fsck(ws.storeDir);
    }), SIDE_BY_SIDE_TIMEOUT);
  }
});

describe('SIGKILL after litter was carried into the new version, before it was renamed in', () => {
  it('the next run puts the litter back into the skill folder; nothing of it is deleted', async () => {
    const ws = exampleWorkspace();
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const docx = path.join(ws.companyDir('Northwind'), 'docx');
    fs.writeFileSync(path.join(docx, '.DS_Store'), 'finder litter');
    fs.mkdirSync(path.join(docx, 'scripts', '__pycache__'), { recursive: true });
    fs.writeFileSync(path.join(docx, 'scripts', '__pycache__', 'tool.cpython-312.pyc'), 'bytecode');
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nv2\n');
    const killed = await runCli(ws, ['sync', '--fix'], { LIBRARY_SYNC_TEST_KILL_AT_LABEL: 'litter carried into the new version' });
    expect(killed.signal).toBe('SIGKILL');
    expect(fs.readdirSync(ws.companyDir('Northwind')).some((n) => n.startsWith('.docx.library-sync-new-')), 'killed with the litter in the new folder').toBe(true);
    const rerun = await runCli(ws, ['sync', '--fix']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(fs.readFileSync(path.join(docx, 'SKILL.md'), 'utf8')).toContain('v2');
    expect(fs.readFileSync(path.join(docx, '.DS_Store'), 'utf8')).toBe('finder litter');
    expect(fs.readFileSync(path.join(docx, 'scripts', '__pycache__', 'tool.cpython-312.pyc'), 'utf8')).toBe('bytecode');
    expect(fs.readdirSync(ws.companyDir('Northwind')).filter((n) => n.includes('library-sync'))).toEqual([]);
    fsck(ws.storeDir);
  }, 60_000);
});
