/** 1,000 snapshots of a 100-company workspace add under 5 MB to the store. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { runSync } from '../../src/sync.js';
import { policiesOf } from '../../src/policy.js';
import { Store } from '../../src/store/store.js';
import { createSnapshot } from '../../src/snapshot/snapshot.js';
import { writeSkillFiles, LIBRARY_SKILLS } from '../../example/workspace.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}

it('1,000 snapshots of 100 companies cost under 5 MB', async () => {
  const root = tempDir('lsync-size-');
  const lib = path.join(root, 'lib');
  for (const [name, files] of Object.entries(LIBRARY_SKILLS)) writeSkillFiles(path.join(lib, name), files);
  for (let i = 0; i < 100; i++) {
    const dir = path.join(root, 'co', `C${i}`, 'skills');
    fs.mkdirSync(dir, { recursive: true });
    if (i % 10 === 0) writeSkillFiles(path.join(dir, 'own'), { 'SKILL.md': `company ${i}` });
  }
  const config = parseConfig({ library: lib, companies: path.join(root, 'co', '*', 'skills'), store: path.join(root, 'store.git') }, path.join(root, 'c.json'));
  const store = await Store.create(config.storeDir);
  await runSync({ config, policies: policiesOf(config), store, log: createLogger({ logFile: path.join(root, 'log') }) }, { mode: 'fix' });
  const objects = path.join(config.storeDir, 'objects');
  const before = dirBytes(objects) + dirBytes(path.join(config.storeDir, 'refs'));
  for (let i = 0; i < 1000; i++) await createSnapshot(store, `s${i}`, `snapshot ${i}`);
  const added = dirBytes(objects) + dirBytes(path.join(config.storeDir, 'refs')) - before;
  console.log(`1000 snapshots of 100 companies added ${(added / 1024).toFixed(0)} KiB`);
  expect(added).toBeLessThan(5 * 1024 * 1024);
}, 180_000);
