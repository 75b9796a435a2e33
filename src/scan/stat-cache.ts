/**
 * Per-folder stat cache, as strict as git's index: path → (size, mtime, ctime,
 * inode, mode) → blob id. A file whose stat matches its entry is not read
 * again, so a no-op sync costs one readdir + lstat walk. ctime is what catches
 * an edit whose mtime was put back (`cp -p`, `rsync -t`, `tar`, `touch -r`):
 * nothing but the kernel sets it.
 *
 * "Racy git": an entry is trusted only if its mtime is strictly older than
 * the scan that wrote the cache, measured in the coarser of the file system's
 * timestamp granularity (whole seconds on HFS+ and many network mounts, two
 * on FAT, guessed from the timestamps seen) and the kernel's coarse clock
 * (file times lag the wall clock by up to a tick). A same-size edit in the
 * same tick as the scan is therefore never missed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';

export interface CacheEntry {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  oid: string;
}

interface CacheFile {
  version: 3;
  /** Entries with an mtime at or after this moment are re-read (see above). */
  trustBeforeMs: number;
  entries: Record<string, [number, number, number, number, number, string]>;
  /** folder → [mtime, ctime, inode, names]: a folder whose stat is unchanged has the same names. */
  dirs: Record<string, [number, number, number, string[]]>;
}

interface DirEntry {
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  names: string[];
}

/** How far file timestamps may lag Date.now(): the kernel stamps files from a coarse clock (one tick, ≤ 10 ms). */
const CLOCK_SLACK_MS = 20;

/** The coarsest timestamp unit the stats suggest: 2000 (FAT), 1000 (whole seconds) or 0 (fine). */
export function timestampGranularityMs(mtimes: Iterable<number>): number {
  let seen = false;
  let even = true;
  for (const m of mtimes) {
    seen = true;
    if (m % 1000 !== 0) return 0;
    if (m % 2000 !== 0) even = false;
  }
  return !seen ? 0 : even ? 2000 : 1000;
}

/** The moment before which an mtime is safely older than a scan that started at `scanStartedMs`. */
export function trustBefore(scanStartedMs: number, granularityMs: number): number {
  const t = scanStartedMs - CLOCK_SLACK_MS;
  return granularityMs > 0 ? Math.floor(t / granularityMs) * granularityMs : t;
}

export class StatCache {
  readonly entries = new Map<string, CacheEntry>();
  readonly dirs = new Map<string, DirEntry>();
  private trustBeforeMs = 0;
  private loaded = false;
  dirty = false;

  constructor(private readonly file: string | null) {
    if (!file) return;
    let data: CacheFile | undefined;
    try {
      data = readJsonIfExists<CacheFile>(file);
    } catch {
      data = undefined; // a damaged cache only costs a re-hash
    }
    if (data?.version !== 3) return; // older caches lack ctime: rebuilt by one full read
    this.loaded = true;
    this.trustBeforeMs = data.trustBeforeMs;
    for (const [p, [size, mtimeMs, ctimeMs, ino, mode, oid]] of Object.entries(data.entries)) {
      this.entries.set(p, { size, mtimeMs, ctimeMs, ino, mode, oid });
    }
    for (const [p, [mtimeMs, ctimeMs, ino, names]] of Object.entries(data.dirs)) this.dirs.set(p, { mtimeMs, ctimeMs, ino, names });
  }

  private trusted(st: fs.Stats): boolean {
    if (st.mtimeMs < this.trustBeforeMs && st.ctimeMs < this.trustBeforeMs) return true;
    this.dirty = true; // re-save with a later timestamp so this entry becomes trusted
    return false;
  }

  lookup(relPath: string, st: fs.Stats): string | undefined {
    const e = this.entries.get(relPath);
    if (!e || !sameStat(e, st)) return undefined;
    return this.trusted(st) ? e.oid : undefined;
  }

  lookupDir(relPath: string, st: fs.Stats): string[] | undefined {
    const d = this.dirs.get(relPath);
    if (!d || d.mtimeMs !== st.mtimeMs || d.ctimeMs !== st.ctimeMs || d.ino !== st.ino) return undefined;
    return this.trusted(st) ? d.names : undefined;
  }

  setDir(relPath: string, st: fs.Stats, names: string[]): void {
    this.dirs.set(relPath, { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, names });
    this.dirty = true;
  }

  set(relPath: string, st: fs.Stats, oid: string): void {
    const old = this.entries.get(relPath);
    if (old && old.oid === oid && sameStat(old, st)) return;
    this.entries.set(relPath, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, mode: st.mode, oid });
    this.dirty = true;
  }

  /** Keep only the given files and folders (drops entries for what is gone). */
  retain(paths: Set<string>, dirs: Set<string>): void {
    for (const p of this.entries.keys()) {
      if (!paths.has(p)) {
        this.entries.delete(p);
        this.dirty = true;
      }
    }
    for (const p of this.dirs.keys()) {
      if (!dirs.has(p)) {
        this.dirs.delete(p);
        this.dirty = true;
      }
    }
  }

  deletePrefix(prefix: string): void {
    for (const p of this.entries.keys()) {
      if (p.startsWith(prefix)) {
        this.entries.delete(p);
        this.dirty = true;
      }
    }
    for (const p of this.dirs.keys()) {
      if (p === prefix.replace(/\/$/, '') || p.startsWith(prefix)) this.dirs.delete(p);
    }
  }

  /** Persist. Entries are trusted next time if their file was last changed safely before `scanStartedMs`. */
  save(scanStartedMs: number): void {
    if (!this.file) return;
    if (!this.dirty && this.loaded) return;
    // ctime, which no tool can set back, shows the file system's real timestamp unit.
    const granularity = timestampGranularityMs([...this.entries.values()].map((e) => e.ctimeMs));
    const out: CacheFile = { version: 3, trustBeforeMs: trustBefore(scanStartedMs, granularity), entries: {}, dirs: {} };
    for (const [p, e] of this.entries) out.entries[p] = [e.size, e.mtimeMs, e.ctimeMs, e.ino, e.mode, e.oid];
    for (const [p, d] of this.dirs) out.dirs[p] = [d.mtimeMs, d.ctimeMs, d.ino, d.names];
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify(out), 0o644, undefined, false); // a cache: entries are checked against stat anyway
    this.trustBeforeMs = out.trustBeforeMs;
    this.loaded = true;
    this.dirty = false;
  }
}

function sameStat(e: CacheEntry, st: fs.Stats): boolean {
  return e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs && e.ino === st.ino && e.mode === st.mode;
}
