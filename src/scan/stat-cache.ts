/**
 * Per-folder stat cache, like git's index: path → (size, mtime, inode, mode) → blob id.
 * A file whose stat matches its entry is not read again, so a no-op sync costs
 * one readdir + lstat walk. Entries for files modified at or after the moment
 * the cache was written are not trusted ("racy git"), so an edit in the same
 * clock tick as a scan is never missed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';

export interface CacheEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  mode: number;
  oid: string;
}

interface CacheFile {
  version: 2;
  writtenAtMs: number;
  entries: Record<string, [number, number, number, number, string]>;
  /** folder → [mtime, inode, names]: a folder whose stat is unchanged has the same names. */
  dirs: Record<string, [number, number, string[]]>;
}

interface DirEntry {
  mtimeMs: number;
  ino: number;
  names: string[];
}

export class StatCache {
  readonly entries = new Map<string, CacheEntry>();
  readonly dirs = new Map<string, DirEntry>();
  private writtenAtMs = 0;
  dirty = false;

  constructor(private readonly file: string | null) {
    if (!file) return;
    let data: CacheFile | undefined;
    try {
      data = readJsonIfExists<CacheFile>(file);
    } catch {
      data = undefined; // a damaged cache only costs a re-hash
    }
    if (data?.version !== 2) return;
    this.writtenAtMs = data.writtenAtMs;
    for (const [p, [size, mtimeMs, ino, mode, oid]] of Object.entries(data.entries)) {
      this.entries.set(p, { size, mtimeMs, ino, mode, oid });
    }
    for (const [p, [mtimeMs, ino, names]] of Object.entries(data.dirs)) this.dirs.set(p, { mtimeMs, ino, names });
  }

  lookup(relPath: string, st: fs.Stats): string | undefined {
    const e = this.entries.get(relPath);
    if (!e) return undefined;
    if (e.size !== st.size || e.mtimeMs !== st.mtimeMs || e.ino !== st.ino || e.mode !== st.mode) return undefined;
    if (st.mtimeMs >= this.writtenAtMs) {
      this.dirty = true; // re-save with a later timestamp so this entry becomes trusted
      return undefined;
    }
    return e.oid;
  }

  lookupDir(relPath: string, st: fs.Stats): string[] | undefined {
    const d = this.dirs.get(relPath);
    if (!d || d.mtimeMs !== st.mtimeMs || d.ino !== st.ino) return undefined;
    if (st.mtimeMs >= this.writtenAtMs) {
      this.dirty = true;
      return undefined;
    }
    return d.names;
  }

  setDir(relPath: string, st: fs.Stats, names: string[]): void {
    this.dirs.set(relPath, { mtimeMs: st.mtimeMs, ino: st.ino, names });
    this.dirty = true;
  }

  set(relPath: string, st: fs.Stats, oid: string): void {
    const old = this.entries.get(relPath);
    if (old && old.oid === oid && old.size === st.size && old.mtimeMs === st.mtimeMs && old.ino === st.ino && old.mode === st.mode) return;
    this.entries.set(relPath, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, mode: st.mode, oid });
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

  /** Persist. `scanStartedMs` marks entries stat'ed before then as trustworthy. */
  save(scanStartedMs: number): void {
    if (!this.file) return;
    if (!this.dirty && this.writtenAtMs !== 0) return;
    const out: CacheFile = { version: 2, writtenAtMs: scanStartedMs, entries: {}, dirs: {} };
    for (const [p, e] of this.entries) out.entries[p] = [e.size, e.mtimeMs, e.ino, e.mode, e.oid];
    for (const [p, d] of this.dirs) out.dirs[p] = [d.mtimeMs, d.ino, d.names];
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify(out), 0o644, undefined, false); // a cache: entries are checked against stat anyway
    this.writtenAtMs = scanStartedMs;
    this.dirty = false;
  }
}
