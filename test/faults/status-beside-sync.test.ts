/**
 * `library status` takes no lock: monitors call it (`status --check --strict`)
 * while the scheduled sync runs. Whatever instant it reads, it must never
 * report a change nobody made. Here syncs distribute one library release after
 * another while status runs in a loop beside them, and every status must exit
 * 0 and find no override but the companies' own, however its reads of the
 * folders, the refs and the stat caches interleave with the sync's writes.
 * It failed 4 runs out of 4 when status read a folder before its refs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, runCli } from '../helpers.js';

afterAll(cleanupTempDirs);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const overridesOf = (json: any): string[] =>
  json.companies.flatMap((c: any) => c.skills.filter((s: any) => s.state === 'override' || s.state === 'override-behind').map((s: any) => `${c.name}/${s.name}`)).sort();

it('status beside syncs that distribute release after release never reports an override nobody made', async () => {
  const ws = exampleWorkspace();
  // More companies make more of each run's time the window between a folder's write and its refs.
  for (let i = 0; i < 12; i++) fs.mkdirSync(ws.companyDir(`Extra${String(i).padStart(2, '0')}`), { recursive: true });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const quiet = cli(ws, ['status', '--json']);
  expect(quiet.code, quiet.stderr).toBe(0);
  const companiesOwn = overridesOf(quiet.json); // the example's companies edited some skills themselves

  let syncing = true;
  const seen: string[] = [];
  let statuses = 0;
  const watcher = (async () => {
    while (syncing) {
      const s = await runCli(ws, ['status', '--json']);
      statuses++;
      // Recorded, not thrown: a throw here would surface as an unhandled rejection beside the test's own failure.
      if (s.code !== 0) {
        seen.push(`status ${statuses} exited ${s.code}: ${s.stderr.trim()}`);
        continue;
      }
      const extra = overridesOf(s.json).filter((o) => !companiesOwn.includes(o));
      if (extra.length > 0) seen.push(`status ${statuses}: ${extra.join(', ')}`);
    }
  })();
  try {
    for (let release = 1; release <= 25; release++) {
      for (const skill of ['docx', 'pdf', 'xlsx']) {
        const file = path.join(ws.libraryDir, skill, 'SKILL.md');
        if (fs.existsSync(file)) fs.appendFileSync(file, `release ${release}\n`);
      }
      const sync = await runCli(ws, ['sync', '--fix']);
      expect(sync.code, sync.stderr).toBe(0);
      if (release % 4 === 0) await sleep(300); // mostly back to back (the most overlap), now and then a quiet moment
    }
  } finally {
    syncing = false; // a failed sync stops the status loop too
    await watcher;
  }
  console.log(`${statuses} status runs beside 25 syncs`);
  expect(seen).toEqual([]);
  expect(statuses).toBeGreaterThanOrEqual(5); // each waits for a quiet moment: fewer under load, never none
  expect(overridesOf(cli(ws, ['status', '--json']).json)).toEqual(companiesOwn);
  fsck(ws.storeDir);
}, 240_000);
