/**
 * Loose objects on disk, `objects/ab/cdef…`, as native git lays them out:
 * written through a temp file in the store's own tmp folder and renamed into
 * place, so a killed run never leaves a truncated object that would then be
 * taken as present and never rewritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';
import { type ObjectType, wrapObject } from './objects.js';

export class LooseObjects {
  /** Fan-out folders (objects/ab) made or found this process: one mkdir each, not one per object written. */
  private readonly fanOutDirs = new Set<string>();
  private tmpReady = false;

  constructor(
    private readonly objectsDir: string,
    /** Temp files go here: same file system as objects/ (renames are atomic), outside it (native git ignores it). */
    readonly tmpDir: string,
  ) {}

  path(oid: string): string {
    return path.join(this.objectsDir, oid.slice(0, 2), oid.slice(2));
  }

  /** Write one object under `oid`, whatever is there; throws the file system's error. */
  write(type: ObjectType, content: Buffer, oid: string): void {
    const file = this.path(oid);
    const data = deflateSync(wrapObject(type, content), { level: 1 });
    const fanOut = path.dirname(file);
    for (let attempt = 0; ; attempt++) {
      try {
        if (!this.fanOutDirs.has(fanOut)) {
          fs.mkdirSync(fanOut, { recursive: true });
          this.fanOutDirs.add(fanOut);
        }
        // Not fsync-ed, as git does not by default: a crash (SIGKILL) never leaves a partial object, and after a
        // power cut `library doctor --repair` finds and rewrites any object lost with the page cache.
        writeFileAtomic(file, data, 0o444, this.ensureTmpDir(), false);
        return;
      } catch (err) {
        // A native `git prune` beside this run removes emptied fan-out folders: make it again, once.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && attempt === 0 && this.fanOutDirs.delete(fanOut)) continue;
        throw err;
      }
    }
  }

  private ensureTmpDir(): string {
    if (!this.tmpReady) {
      fs.mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
      this.tmpReady = true;
    }
    return this.tmpDir;
  }

  /** Remove temp files a killed writer left. Only called while holding the lock. */
  clearTmp(): void {
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    this.tmpReady = false;
  }
}
