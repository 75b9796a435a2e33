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
import { decodeCacheFile, FILE_COLUMNS, OID_BYTES, writeCacheFile, type DirEntry } from './stat-cache-file.js';
import { PreloadedStat, STAT_COLUMNS, type Preloaded, type ScanStat } from './preloaded-stat.js';

/** Skills forgotten by a pass over every key before an index by top-level folder pays for itself. */
const FORGET_BY_SCAN = 4;

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
  /** path → slot: the slot's stat in `nums` (FILE_COLUMNS doubles), its blob id in `oids` (20 bytes). */
  private index = new Map<string, number>();
  private nums: Float64Array = new Float64Array(0);
  private oids: Buffer = Buffer.alloc(0);
  /** The ids as the file held them, as one hex string: a lookup takes a slice of it, not a conversion per file (null once one is rewritten). */
  private oidsHex: string | null = null;
  private slots = 0;
  /** slot → its path; undefined once dropped (so a save copies runs of live slots whole). */
  private pathOf: (string | undefined)[] = [];
  private dirs = new Map<string, DirEntry>();
  private trustBeforeMs = 0;
  private loaded = false;
  dirty = false;
  /** The SHA-1 trailer of the file decoded, and its folders in file order: what a preload is matched against. */
  private checksum: string | null = null;
  private dirOrder: string[] = [];
  /** Stats for this scan from a preload worker, by path: file slot, or the file's count plus the folder's place. */
  private preload: { stats: Float64Array; files: number; dirAt: Map<string, number> } | null = null;
  private preloadStartedMs = Infinity;

  constructor(private readonly file: string | null) {
    if (!file) return;
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      return; // none yet, or unreadable: built by one full read
    }
    this.loaded = this.decode(data);
    if (!this.loaded) this.clear();
  }

  private clear(): void {
    this.index = new Map();
    this.nums = new Float64Array(0);
    this.oids = Buffer.alloc(0);
    this.oidsHex = null;
    this.slots = 0;
    this.pathOf = [];
    this.dirs = new Map();
    this.trustBeforeMs = 0;
  }

  private decode(data: Buffer): boolean {
    const file = decodeCacheFile(data);
    if (!file) return false;
    const files = file.paths.length;
    this.nums = file.fileNums;
    this.oids = file.fileOids;
    this.oidsHex = file.oidsHex;
    this.slots = files;
    this.pathOf = file.paths;
    for (let i = 0; i < files; i++) this.index.set(file.paths[i]!, i); // a Map: inserting 100,000 keys into an object took 6 times as long
    if (this.index.size !== files) return false; // a path twice
    this.dirs = file.dirs;
    this.dirOrder = [...file.dirs.keys()];
    this.checksum = file.checksum;
    this.trustBeforeMs = file.trustBeforeMs;
    return true;
  }

  /** Take a preload worker's stats for the next scan of `folder`, if they are of that folder and of the very file this cache was read from. */
  attachPreload(p: Preloaded, folder: { dev: number; ino: number }): void {
    const files = this.pathOf.length;
    if (p.folder.dev !== folder.dev || p.folder.ino !== folder.ino) return;
    if (p.checksum !== this.checksum || p.stats.length !== (files + this.dirOrder.length) * STAT_COLUMNS) return;
    this.preload = { stats: p.stats, files, dirAt: new Map(this.dirOrder.map((d, i) => [d, files + i])) };
    this.preloadStartedMs = p.startedMs;
  }

  /** The preloaded stat of `relPath` (a file or folder the file named), if the worker took one. */
  preloadedStat(relPath: string): ScanStat | undefined {
    const p = this.preload;
    if (!p) return undefined;
    let at = this.index.get(relPath);
    if (at === undefined || at >= p.files) at = p.dirAt.get(relPath);
    if (at === undefined) return undefined;
    const s = p.stats;
    const b = at * STAT_COLUMNS;
    return s[b + 4]! < 0 ? undefined : new PreloadedStat(s[b]!, s[b + 1]!, s[b + 2]!, s[b + 3]!, s[b + 4]!);
  }

  private trusted(st: ScanStat): boolean {
    if (st.mtimeMs < this.trustBeforeMs && st.ctimeMs < this.trustBeforeMs) return true;
    this.dirty = true; // re-save with a later timestamp so this entry becomes trusted
    return false;
  }

  lookup(relPath: string, st: ScanStat): string | undefined {
    const slot = this.index.get(relPath);
    if (slot === undefined || !this.sameStat(slot, st) || !this.trusted(st)) return undefined;
    return this.oidOf(slot);
  }

  private oidOf(slot: number): string {
    const hex = this.oidsHex;
    return hex !== null && slot * 2 * OID_BYTES < hex.length ? hex.slice(slot * 2 * OID_BYTES, (slot + 1) * 2 * OID_BYTES) : this.oids.toString('hex', slot * OID_BYTES, (slot + 1) * OID_BYTES);
  }

  private sameStat(slot: number, st: ScanStat): boolean {
    const n = this.nums;
    const b = slot * FILE_COLUMNS;
    return n[b] === st.size && n[b + 1] === st.mtimeMs && n[b + 2] === st.ctimeMs && n[b + 3] === st.ino && n[b + 4] === st.mode;
  }

  lookupDir(relPath: string, st: ScanStat): string[] | undefined {
    const d = this.dirs.get(relPath);
    if (!d || d[0] !== st.mtimeMs || d[1] !== st.ctimeMs || d[2] !== st.ino) return undefined;
    return this.trusted(st) ? d[3] : undefined;
  }

  setDir(relPath: string, st: ScanStat, names: string[]): void {
    this.dirs.set(relPath, [st.mtimeMs, st.ctimeMs, st.ino, names]);
    this.dirty = true;
    if (this.byTop) this.indexPath(relPath);
  }

  /** The tree id recorded for a folder whose names came from the cache; trusted only while all its entries did too. */
  treeOf(relPath: string): string | undefined {
    return this.dirs.get(relPath)?.[4];
  }

  setTree(relPath: string, oid: string): void {
    const d = this.dirs.get(relPath);
    if (!d || d[4] === oid) return;
    d[4] = oid;
    this.dirty = true;
  }

  set(relPath: string, st: ScanStat, oid: string): void {
    let slot = this.index.get(relPath);
    if (slot !== undefined && this.sameStat(slot, st) && this.oidOf(slot) === oid) return;
    if (slot === undefined) {
      slot = this.newSlot();
      this.index.set(relPath, slot);
      this.pathOf[slot] = relPath;
      if (this.byTop) this.indexPath(relPath);
    }
    this.nums.set([st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode], slot * FILE_COLUMNS);
    this.oids.write(oid, slot * OID_BYTES, OID_BYTES, 'hex');
    if (this.oidsHex !== null && slot * 2 * OID_BYTES < this.oidsHex.length) this.oidsHex = null;
    this.dirty = true;
    // A changed entry invalidates the tree id of every folder above it.
    for (let i = relPath.lastIndexOf('/'); i > 0; i = relPath.lastIndexOf('/', i - 1)) {
      const d = this.dirs.get(relPath.slice(0, i));
      if (d) d.splice(4);
    }
  }

  /** A slot at the end, the columns doubled when full (a dropped entry's slot is reclaimed when the file is next read). */
  private newSlot(): number {
    if (this.slots * FILE_COLUMNS === this.nums.length) {
      const capacity = Math.max(64, this.slots * 2);
      const nums = new Float64Array(capacity * FILE_COLUMNS);
      nums.set(this.nums);
      const oids = Buffer.alloc(capacity * OID_BYTES);
      this.oids.copy(oids);
      this.nums = nums;
      this.oids = oids;
    }
    return this.slots++;
  }

  /** Every file path with an entry. */
  paths(): string[] {
    return [...this.index.keys()];
  }

  /** Remove a path's entry; `persist`: the file must lose it too (a forgotten skill's need not, see forgetSkill). */
  private drop(relPath: string, persist = true): void {
    const slot = this.index.get(relPath);
    if (slot === undefined) return;
    this.index.delete(relPath);
    this.pathOf[slot] = undefined;
    if (persist) this.dirty = true;
  }

  /**
   * Keep only the given files and folders (drops entries for what is gone).
   * They are what a scan looked up, each of which has an entry by then: as
   * many as there are entries means nothing is gone (no pass over every key).
   */
  retain(paths: Set<string>, dirs: Set<string>): void {
    this.preload = null; // the scan is over: its preloaded stats are spent
    if (paths.size === this.index.size && dirs.size === this.dirs.size) return;
    for (const p of this.index.keys()) {
      if (!paths.has(p)) this.drop(p);
    }
    for (const p of this.dirs.keys()) {
      if (!dirs.has(p)) {
        this.dirs.delete(p);
        this.dirty = true;
      }
    }
  }

  /**
   * Forget everything under top-level folder `skill` (it was just rewritten). Forgetting alone does not make the
   * file worth rewriting: the entries it still holds for the old files can never match the new ones (other
   * inodes, later ctimes), and the next scan reads those new files by content anyway (each is newer than this run's
   * scan: the racy rule), then saves. So a run that only rewrote skills saves no cache (150 KB a company).
   */
  forgetSkill(skill: string): void {
    if (!this.byTop && ++this.forgotten <= FORGET_BY_SCAN) {
      // One changed skill (the common run): a pass over the keys allocates nothing, where the index below costs a Set per skill.
      const under = (p: string) => p === skill || (p.startsWith(skill) && p.charCodeAt(skill.length) === 47); // '/'
      for (const p of this.index.keys()) if (p !== skill && under(p)) this.drop(p, false);
      for (const p of this.dirs.keys()) if (under(p)) this.dirs.delete(p);
      return;
    }
    const paths = this.pathsByTop().get(skill);
    if (!paths) return;
    for (const p of paths) {
      if (p !== skill) this.drop(p, false);
      this.dirs.delete(p);
    }
    this.byTop!.delete(skill);
  }

  /**
   * Top-level name → the paths under it, built once more than FORGET_BY_SCAN
   * skills are forgotten: a write forgets one skill at a time, and a scan of
   * every key per skill made a first distribution quadratic. It may name paths
   * since deleted.
   */
  private byTop: Map<string, Set<string>> | null = null;
  private forgotten = 0;

  private pathsByTop(): Map<string, Set<string>> {
    if (!this.byTop) {
      this.byTop = new Map();
      for (const p of this.index.keys()) this.indexPath(p);
      for (const p of this.dirs.keys()) this.indexPath(p);
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
    const files = this.index.size;
    // The live slots in slot order, each run of them copied whole (a copy per entry cost more than the save's I/O).
    const paths: string[] = [];
    const fileNums = new Float64Array(files * FILE_COLUMNS);
    const fileOids = Buffer.allocUnsafe(files * OID_BYTES);
    for (let from = 0; from < this.slots; ) {
      if (this.pathOf[from] === undefined) {
        from++;
        continue;
      }
      let to = from + 1;
      while (to < this.slots && this.pathOf[to] !== undefined) to++;
      fileNums.set(this.nums.subarray(from * FILE_COLUMNS, to * FILE_COLUMNS), paths.length * FILE_COLUMNS);
      this.oids.copy(fileOids, paths.length * OID_BYTES, from * OID_BYTES, to * OID_BYTES);
      for (let i = from; i < to; i++) paths.push(this.pathOf[i]!);
      from = to;
    }
    const ctimes = new Float64Array(files);
    for (let i = 0; i < files; i++) ctimes[i] = fileNums[i * FILE_COLUMNS + 2]!;
    // ctime, which no tool can set back, shows the file system's real timestamp unit. A scan that took preloaded
    // stats began when the worker did.
    const trustBeforeMs = trustBefore(Math.min(scanStartedMs, this.preloadStartedMs), timestampGranularityMs(ctimes));
    writeCacheFile(this.file, { trustBeforeMs, paths, fileNums, fileOids, dirs: this.dirs });
    if (!this.loaded && this.file.endsWith('.stat')) fs.rmSync(`${this.file.slice(0, -'.stat'.length)}.json`, { force: true }); // the JSON cache before version 4
    this.trustBeforeMs = trustBeforeMs;
    this.loaded = true;
    this.dirty = false;
  }
}
