/**
 * Preloaded stats (a worker thread lstat-s what each stat cache names while
 * the main thread scans other companies) save system calls and nothing else:
 * a scan through them equals a full read; an edit made after the worker's
 * stat is found by the next scan; and what changed after the worker began is
 * never trusted by the cache saved afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPreload } from '../../src/scan/preload.js';
import { scanSkillsFolder } from '../../src/scan/scan.js';
import { StatCache } from '../../src/scan/stat-cache.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FILES = ['a/SKILL.md', 'a/scripts/run.py', 'b/SKILL.md', 'b/ref/notes.md'];

/** Folders with files, each scanned once and its cache saved (past the racy window, so every entry is trusted). */
async function companies(n: number) {
  const root = tempDir('preload-');
  const all = Array.from({ length: n }, (_, i) => ({ dir: path.join(root, `c${i}`), cacheFile: path.join(root, `c${i}.stat`) }));
  for (const c of all) for (const f of FILES) {
    fs.mkdirSync(path.dirname(path.join(c.dir, f)), { recursive: true });
    fs.writeFileSync(path.join(c.dir, f), `${f} of ${c.dir}\n`);
  }
  await sleep(40);
  for (const c of all) {
    const started = Date.now();
    const cache = new StatCache(c.cacheFile);
    scanSkillsFolder(c.dir, { cache, maxFileBytes: 1 << 20 });
    cache.save(started);
  }
  await sleep(40);
  return all;
}

async function preloaded(all: { dir: string; cacheFile: string }[]) {
  const preload = startPreload(all.map((c, index) => ({ index, ...c })), 1)!;
  await preload.exited;
  return all.map((c, i) => preload.take(i)?.get(c.cacheFile));
}

const scan = (dir: string, cache: StatCache) => scanSkillsFolder(dir, { cache, maxFileBytes: 1 << 20 });
const fullRead = (dir: string) => scan(dir, new StatCache(null)).root.oid;

describe('preloaded stats', () => {
  it('give the tree a full read gives, reading no file, and are not kept past their scan', async () => {
    const all = await companies(3);
    const stats = await preloaded(all);
    expect(stats.every((s) => s !== undefined)).toBe(true);
    for (const [i, c] of all.entries()) {
      const cache = new StatCache(c.cacheFile);
      cache.attachPreload(stats[i]!, fs.statSync(c.dir));
      const first = scan(c.dir, cache);
      expect(first.root.oid).toBe(fullRead(c.dir));
      expect(first.filesRead).toBe(0);
      // Spent: an edit after this scan is found by the next, through the same cache object.
      fs.appendFileSync(path.join(c.dir, 'a/SKILL.md'), 'more\n');
      expect(scan(c.dir, cache).root.oid).toBe(fullRead(c.dir));
    }
  });

  it('an edit made after the worker took its stats is found by the next scan, even with the mtime put back', async () => {
    const [c] = await companies(1);
    const [stats] = await preloaded([c!]);
    const file = path.join(c!.dir, 'b/ref/notes.md');
    const st = fs.statSync(file);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').toUpperCase()); // same size
    fs.utimesSync(file, st.atime, st.mtime); // as cp -p does
    const started = Date.now();
    const cache = new StatCache(c!.cacheFile);
    cache.attachPreload(stats!, fs.statSync(c!.dir));
    scan(c!.dir, cache); // the folder as the worker saw it: that is this run's snapshot
    cache.save(started);
    await sleep(40);
    expect(scan(c!.dir, new StatCache(c!.cacheFile)).root.oid).toBe(fullRead(c!.dir));
  });

  it('the cache saved after a preloaded scan trusts only what changed before the worker began', async () => {
    const [c] = await companies(1);
    const workerBegan = Date.now(); // a worker that began here, then reached this file only after it changed
    await sleep(60);
    fs.appendFileSync(path.join(c!.dir, 'a/scripts/run.py'), '# changed after the worker began\n');
    await sleep(60);
    const [stats] = await preloaded([c!]);
    const cache = new StatCache(c!.cacheFile);
    cache.attachPreload({ ...stats!, startedMs: workerBegan }, fs.statSync(c!.dir));
    const started = Date.now(); // the main thread's own start, later than the worker's
    expect(scan(c!.dir, cache).filesRead).toBe(1);
    cache.save(started);
    await sleep(40);
    const next = scan(c!.dir, new StatCache(c!.cacheFile));
    expect(next.filesRead).toBe(1); // its stat is from after the worker's start: read again, not trusted
    expect(next.root.oid).toBe(fullRead(c!.dir));
  });
});
