/** The benchmark works (a 5-company run); no timing assertions, by design. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

it('npm run bench prints the table and one JSON line (5 companies)', () => {
  const res = spawnSync(process.execPath, [path.join(ROOT, 'bench', 'run.mjs'), '--companies', '5', '--skills', '6', '--files', '3', '--bytes', '512', '--runs', '1', '--noop-runs', '3'], {
    encoding: 'utf8',
  });
  expect(res.status, res.stderr).toBe(0);
  expect(res.stdout).toMatch(/^first distribution .*cp -a/m);
  expect(res.stdout).toMatch(/^no-op sync --fix .*git status loop/m);
  expect(res.stdout).toMatch(/^status, bundled example .*node -e 0/m);
  expect(res.stdout).toMatch(/^one library skill changed .*no-op beside it/m);
  const json = JSON.parse(res.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '))!.slice('BENCH_JSON '.length));
  expect(json.store.afterNoops.bytes).toBe(json.store.beforeNoops.bytes);
  expect(json.peakRssMb).toBeGreaterThan(0);
  expect(json.peakRssTwoFoldersMb).toBeGreaterThan(0);
}, 120_000);
