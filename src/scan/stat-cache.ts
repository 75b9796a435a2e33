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

/** [size, mtimeMs, ctimeMs, inode, mode, blob id]: kept as the file stores it, so loading allocates nothing per entry. */
type CacheEntry = [size: number, mtimeMs: number, ctimeMs: number, ino: number, mode: number, oid: string];

/**
 * [mtimeMs, ctimeMs, inode, names, tree id]: a folder whose stat is unchanged
 * has the same names; its tree id is reused when every entry under it is
 * unchanged too (src/scan/scan.ts), so a no-op serializes and hashes no tree.
 */
type DirEntry = [mtimeMs: number, ctimeMs: number, ino: number, names: string[], tree?: string];

interface CacheFile {
  version: 3;
  /** Entries with an mtime at or after this moment are re-read (see above). */
  trustBeforeMs: number;
  entries: Record<string, CacheEntry>;
  dirs: Record<string, DirEntry>;
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

/**
 * path → entry, as the JSON file parsed it: a prototype-less object, so
 * loading costs no copy (a Map built from 6,000 entries cost more than the
 * parse) and no path, not even `__proto__` or `constructor`, meets Object's.
 */
type Table<V> = Record<string, V>;

function table<V>(parsed: unknown): Table<V> {
  const t = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Table<V>) : {};
  return Object.setPrototypeOf(t, null) as Table<V>;
}

export class StatCache {
  /** Every file's entry, by path relative to the folder. */
  entries: Table<CacheEntry> = table({});
  private dirs: Table<DirEntry> = table({});
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
    this.entries = table(data.entries);
    this.dirs = table(data.dirs);
  }

  private trusted(st: fs.Stats): boolean {
    if (st.mtimeMs < this.trustBeforeMs && st.ctimeMs < this.trustBeforeMs) return true;
    this.dirty = true; // re-save with a later timestamp so this entry becomes trusted
    return false;
  }

  lookup(relPath: string, st: fs.Stats): string | undefined {
    const e = this.entries[relPath];
    if (!e || !sameStat(e, st)) return undefined;
    return this.trusted(st) && typeof e[5] === 'string' ? e[5] : undefined;
  }

  lookupDir(relPath: string, st: fs.Stats): string[] | undefined {
    const d = this.dirs[relPath];
    if (!d || d[0] !== st.mtimeMs || d[1] !== st.ctimeMs || d[2] !== st.ino) return undefined;
    return this.trusted(st) && Array.isArray(d[3]) ? d[3] : undefined;
  }

  setDir(relPath: string, st: fs.Stats, names: string[]): void {
    this.dirs[relPath] = [st.mtimeMs, st.ctimeMs, st.ino, names];
    this.dirty = true;
    if (this.byTop) this.indexPath(relPath);
  }

  /** The tree id recorded for a folder whose names came from the cache; trusted only while all its entries did too. */
  treeOf(relPath: string): string | undefined {
    const tree = this.dirs[relPath]?.[4];
    return typeof tree === 'string' ? tree : undefined;
  }

  setTree(relPath: string, oid: string): void {
    const d = this.dirs[relPath];
    if (!Array.isArray(d) || d[4] === oid) return;
    d[4] = oid;
    this.dirty = true;
  }

  set(relPath: string, st: fs.Stats, oid: string): void {
    const old = this.entries[relPath];
    if (old && old[5] === oid && sameStat(old, st)) return;
    this.entries[relPath] = [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode, oid];
    this.dirty = true;
    if (this.byTop) this.indexPath(relPath);
    // A changed entry invalidates the tree id of every folder above it.
    for (let i = relPath.lastIndexOf('/'); i > 0; i = relPath.lastIndexOf('/', i - 1)) {
      const d = this.dirs[relPath.slice(0, i)];
      if (Array.isArray(d)) d.splice(4);
    }
  }

  /** Keep only the given files and folders (drops entries for what is gone). */
  retain(paths: Set<string>, dirs: Set<string>): void {
    for (const p of Object.keys(this.entries)) {
      if (!paths.has(p)) {
        delete this.entries[p];
        this.dirty = true;
      }
    }
    for (const p of Object.keys(this.dirs)) {
      if (!dirs.has(p)) {
        delete this.dirs[p];
        this.dirty = true;
      }
    }
  }

  /** Forget everything under top-level folder `skill` (it was just rewritten). */
  forgetSkill(skill: string): void {
    const paths = this.pathsByTop().get(skill);
    if (!paths) return;
    for (const p of paths) {
      if (p !== skill && p in this.entries) {
        delete this.entries[p];
        this.dirty = true;
      }
      delete this.dirs[p];
    }
    this.byTop!.delete(skill);
  }

  /**
   * Top-level name → the paths under it, built on the first forgetSkill: a
   * write forgets one skill at a time, and a scan of every key per skill made
   * a first distribution quadratic. It may name paths since deleted.
   */
  private byTop: Map<string, Set<string>> | null = null;

  private pathsByTop(): Map<string, Set<string>> {
    if (!this.byTop) {
      this.byTop = new Map();
      for (const p of Object.keys(this.entries)) this.indexPath(p);
      for (const p of Object.keys(this.dirs)) this.indexPath(p);
    }
    return this.byTop;
  }

  private indexPath(p: string): void {
    const slash = p.indexOf('/');
    const top = slash < 0 ? p : p.slice(0, slash);
    const paths = this.byTop!.get(top);
    if (paths) paths.add(p);
    else this.byTop!.set(top, new Set([p]));
  }

  /** Persist. Entries are trusted next time if their file was last changed safely before `scanStartedMs`. */
  save(scanStartedMs: number): void {
    if (!this.file) return;
    if (!this.dirty && this.loaded) return;
    // ctime, which no tool can set back, shows the file system's real timestamp unit.
    const granularity = timestampGranularityMs(Object.values(this.entries).map((e) => e[2]));
    const out: CacheFile = { version: 3, trustBeforeMs: trustBefore(scanStartedMs, granularity), entries: this.entries, dirs: this.dirs };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify(out), 0o644, undefined, false); // a cache: entries are checked against stat anyway
    this.trustBeforeMs = out.trustBeforeMs;
    this.loaded = true;
    this.dirty = false;
  }
}

function sameStat(e: CacheEntry, st: fs.Stats): boolean {
  return e[0] === st.size && e[1] === st.mtimeMs && e[2] === st.ctimeMs && e[3] === st.ino && e[4] === st.mode;
}
