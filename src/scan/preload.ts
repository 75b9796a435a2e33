/**
 * Stat preloading, as git's preload-index does: while the main thread scans
 * companies from the first, one worker thread lstat-s, from the last company
 * backwards, every path each company's stat cache names, so the two cores
 * share the walk's system calls. When the main thread reaches a company the
 * worker finished, its scan takes those stats instead of calling lstat
 * (src/scan/stat-cache.ts, `StatCache.attachPreload`); anything the worker
 * did not stat, or could not, is lstat-ed as before. The worker stops as soon
 * as the main thread reaches the company it would do next.
 *
 * A preloaded stat is one taken a moment earlier in the same run, so nothing
 * is weaker: the cache saved afterwards trusts only what changed before the
 * worker's first stat of that company (the save takes the earlier of the two
 * start times), and every write still compares content, never a stat.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { checkpoint } from '../util/faults.js';
import { STAT_COLUMNS, type Preloaded } from './preloaded-stat.js';
import type { StatCache } from './stat-cache.js';
import { CACHE_LAYOUT } from './stat-cache-file.js';

/**
 * The preload worker (src/scan/preload.ts), as source for `new Worker(…, { eval: true })`,
 * which runs alike from the bundle, the ES modules and the tests. It reads
 * each job's cache file only as far as its path lists (CACHE_LAYOUT in src/scan/stat-cache-file.ts) and
 * stats them by absolute path, from the last company back, until the main
 * thread reaches the company it would do next.
 */
const L = CACHE_LAYOUT;
const PRELOAD_WORKER_SOURCE = `
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const { jobs, mainAt, port } = workerData;
for (const job of jobs) {
  if (Atomics.load(mainAt, 0) >= job.index) break;
  const startedMs = Date.now();
  let data, folder;
  try { data = fs.readFileSync(job.cacheFile); folder = fs.statSync(job.dir); } catch { continue; }
  if (data.length < ${L.HEADER + L.CHECKSUM_BYTES}) continue;
  const files = data.readUInt32LE(16), dirs = data.readUInt32LE(20), fileBytes = data.readUInt32LE(24), dirBytes = data.readUInt32LE(28);
  const at = ${L.HEADER} + (files * ${L.FILE_COLUMNS} + dirs * ${L.DIR_COLUMNS}) * 8 + (files + dirs) * ${L.OID_BYTES};
  if (at + fileBytes + dirBytes + ${L.CHECKSUM_BYTES} > data.length) continue;
  const list = (from, bytes, count) => (count === 0 ? [] : data.toString('utf8', from, from + bytes).split('\\0'));
  const paths = list(at, fileBytes, files).concat(list(at + fileBytes, dirBytes, dirs));
  const stats = new Float64Array(paths.length * ${STAT_COLUMNS});
  for (let i = 0; i < paths.length; i++) {
    const b = i * ${STAT_COLUMNS};
    let st;
    try { st = fs.lstatSync(job.dir + '/' + paths[i], { throwIfNoEntry: false }); } catch { st = undefined; }
    if (!st) { stats[b + 4] = -1; continue; }
    stats[b] = st.size; stats[b + 1] = st.mtimeMs; stats[b + 2] = st.ctimeMs; stats[b + 3] = st.ino; stats[b + 4] = st.mode;
  }
  port.postMessage({ index: job.index, cacheFile: job.cacheFile, startedMs, checksum: data.toString('hex', data.length - ${L.CHECKSUM_BYTES}), folder: { dev: folder.dev, ino: folder.ino }, stats }, [stats.buffer]);
}
Atomics.store(mainAt, 1, 1);
Atomics.notify(mainAt, 1);
`;

/** Below this many companies a worker thread costs more to start than it saves. */
const MIN_COMPANIES = 8;

/** One folder of a company (a company kept in several folders has a job per folder). */
export interface PreloadJob {
  /** The company's place in the order the main thread scans. */
  index: number;
  dir: string;
  cacheFile: string;
}

/** A company's preloaded stats, by cache file. */
export type PreloadedFolders = ReadonlyMap<string, Preloaded>;

export interface Preload {
  /** The main thread is about to scan company `index`: its folders' stats the worker has. */
  take(index: number): PreloadedFolders | undefined;
  stop(): void;
  /** Settles when the worker has exited (its last stats are then waiting for `take`). */
  exited: Promise<void>;
}

export function startPreload(all: PreloadJob[], minCompanies = MIN_COMPANIES): Preload | null {
  // Only companies with a stat cache have paths to preload (none on a first distribution, which then starts no thread).
  const jobs = all.filter((j) => fs.existsSync(j.cacheFile));
  if (new Set(jobs.map((j) => j.index)).size < minCompanies) return null;
  // [the company the main thread is at, 1 once the worker is done]
  const mainAt = new Int32Array(new SharedArrayBuffer(8));
  mainAt[0] = -1;
  const { port1, port2 } = new MessageChannel();
  const ordered = [...jobs].sort((a, b) => b.index - a.index).map((j) => ({ ...j, dir: path.resolve(j.dir) }));
  let worker: Worker;
  try {
    // A small heap: the worker holds one company's paths at a time (its default young generation alone added 30 MB to a run's peak RSS).
    const resourceLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };
    worker = new Worker(PRELOAD_WORKER_SOURCE, { eval: true, workerData: { jobs: ordered, mainAt, port: port2 }, transferList: [port2], resourceLimits });
  } catch {
    return null; // no worker (a restricted runtime): every company is scanned as before
  }
  worker.on('error', () => {}); // a failed worker only means no preloaded stats
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  if (process.env.LIBRARY_SYNC_TEST_PRELOAD_ALL) {
    Atomics.wait(mainAt, 1, 0, 10_000); // test-only (src/util/faults.ts)
    checkpoint('preload worker done, no company scanned yet'); // where a test stops the run to edit behind the worker's stats
  }
  const arrived = new Map<number, Map<string, Preloaded>>();
  return {
    exited,
    take(index) {
      Atomics.store(mainAt, 0, index);
      drain(port1, arrived);
      const got = arrived.get(index);
      arrived.delete(index);
      return got;
    },
    stop() {
      Atomics.store(mainAt, 0, 0x7fffffff); // past every company: the worker stops
      port1.close();
      void worker.terminate();
    },
  };
}

function drain(port: MessagePort, into: Map<number, Map<string, Preloaded>>): void {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const p = m.message as Preloaded & { index: number; cacheFile: string };
    const company = into.get(p.index) ?? into.set(p.index, new Map()).get(p.index)!;
    company.set(p.cacheFile, p);
  }
}

/** Give a folder's cache the stats the worker took for it, checked against the folder as the scan will find it. */
export function attachPreload(cache: StatCache, preloaded: Preloaded | undefined, dir: string): void {
  if (!preloaded) return;
  let here: fs.Stats | undefined;
  try {
    here = fs.statSync(dir, { throwIfNoEntry: false }); // followed, as the scan's chdir follows it
  } catch {
    return; // the scan will say why it cannot read the folder
  }
  if (here) cache.attachPreload(preloaded, here);
}
