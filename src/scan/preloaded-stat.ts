/**
 * What the scan asks of a stat, and the stats a preload worker takes
 * (src/scan/preload.ts) in the shape the scan asks for: the slice of
 * fs.Stats the walk and the stat cache read, built from five numbers.
 */
import fs from 'node:fs';

/** What a scan needs of a stat: an fs.Stats, or one a preload worker took (see src/scan/preload.ts). */
export type ScanStat = Pick<fs.Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino' | 'mode' | 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>;

/** Stats a preload worker took of every path a cache file names, in the file's order (files, then folders). */
export interface Preloaded {
  /** When the worker began: the cache saved after this scan trusts only what changed before it. */
  startedMs: number;
  /** The SHA-1 trailer of the cache file the worker read: its stats are used only with that very file. */
  checksum: string;
  /** The folder the worker stat-ed under (followed as the scan follows it): its stats are used only for that folder. */
  folder: { dev: number; ino: number };
  /** STAT_COLUMNS per path: size, mtimeMs, ctimeMs, ino, mode (-1: not stat-ed). */
  stats: Float64Array;
}

/** Numbers per path in `Preloaded.stats`. */
export const STAT_COLUMNS = 5;

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK } = fs.constants;

/** A stat the preload worker took: what the walk asks of an fs.Stats, from its mode. */
export class PreloadedStat implements ScanStat {
  constructor(
    readonly size: number,
    readonly mtimeMs: number,
    readonly ctimeMs: number,
    readonly ino: number,
    readonly mode: number,
  ) {}
  isFile(): boolean {
    return (this.mode & S_IFMT) === S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & S_IFMT) === S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & S_IFMT) === S_IFLNK;
  }
  isFIFO(): boolean {
    return (this.mode & S_IFMT) === S_IFIFO;
  }
  isSocket(): boolean {
    return (this.mode & S_IFMT) === S_IFSOCK;
  }
  isCharacterDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFCHR;
  }
  isBlockDevice(): boolean {
    return (this.mode & S_IFMT) === S_IFBLK;
  }
}
