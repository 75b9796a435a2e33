/**
 * The stat cache's file (src/scan/stat-cache.ts keeps it in memory). Like
 * git's index it is read with one `readFileSync` and no parse of numbers: a
 * 40-byte header, then the columns as they sit in memory (each file's size,
 * mtime, ctime, inode and mode as doubles; each folder's mtime, ctime, inode,
 * name count and whether it has a tree id), the ids as 20 raw bytes, then
 * every path and name as UTF-8 joined by NUL, which no file name holds, and
 * last the SHA-1 of all that, as git's index ends. Anything that does not add
 * up reads as no cache (a damaged cache costs one full read, never a wrong
 * answer).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * [mtimeMs, ctimeMs, inode, names, tree id]: a folder whose stat is unchanged
 * has the same names; its tree id is reused when every entry under it is
 * unchanged too (src/scan/scan.ts), so a no-op serializes and hashes no tree.
 */
export type DirEntry = [mtimeMs: number, ctimeMs: number, ino: number, names: string[], tree?: string];

const MAGIC = 0x4353534c; // "LSSC"
const VERSION = 4;
const HEADER = 40;
/** Written in the machine's byte order: a file from a machine of the other order reads as damaged. */
const BYTE_ORDER = new Uint32Array(new Uint8Array([1, 2, 3, 4]).buffer)[0]!;
export const FILE_COLUMNS = 5; // size, mtimeMs, ctimeMs, ino, mode
const DIR_COLUMNS = 5; // mtimeMs, ctimeMs, ino, name count, has tree id
export const OID_BYTES = 20;
const CHECKSUM_BYTES = 20;
/** Where things sit in the file, for the preload worker that reads only its path lists (src/scan/preload.ts). */
export const CACHE_LAYOUT = { HEADER, FILE_COLUMNS, DIR_COLUMNS, OID_BYTES, CHECKSUM_BYTES } as const;

/** Where a store keeps the stat cache called `name` (one per library folder and per company folder). */
export function statCacheFile(dataDir: string, name: string): string {
  return path.join(dataDir, 'cache', `${name}.stat`);
}

/** What a cache file holds: files by path (their columns and ids in the same order), and folders in file order. */
export interface CacheContents {
  trustBeforeMs: number;
  paths: string[];
  /** FILE_COLUMNS doubles per path. */
  fileNums: Float64Array;
  /** OID_BYTES per path. */
  fileOids: Buffer;
  dirs: Map<string, DirEntry>;
}

export interface DecodedCache extends CacheContents {
  /** The ids as one hex string (a lookup slices it). */
  oidsHex: string;
  /** The SHA-1 trailer, as hex: what a preload is matched against. */
  checksum: string;
}

/** The file's contents, or null when it does not add up (wrong magic, version or byte order, a bad checksum, lengths that disagree). */
export function decodeCacheFile(data: Buffer): DecodedCache | null {
  if (data.length < HEADER + CHECKSUM_BYTES || data.readUInt32LE(0) !== MAGIC || data.readUInt32LE(4) !== VERSION) return null;
  if (data.readUInt32LE(36) !== BYTE_ORDER) return null;
  const body = data.subarray(0, data.length - CHECKSUM_BYTES);
  const checksum = data.subarray(body.length);
  if (!createHash('sha1').update(body).digest().equals(checksum)) return null;
  data = body;
  const trustBeforeMs = data.readDoubleLE(8);
  const files = data.readUInt32LE(16);
  const dirCount = data.readUInt32LE(20);
  const sizes = [data.readUInt32LE(24), data.readUInt32LE(28), data.readUInt32LE(32)] as const;
  let at = HEADER;
  const take = (n: number) => data.subarray(at, (at += n));
  const fileNums = take(files * FILE_COLUMNS * 8);
  const dirNums = take(dirCount * DIR_COLUMNS * 8);
  const fileOids = take(files * OID_BYTES);
  const dirOids = take(dirCount * OID_BYTES);
  const [filePaths, dirPaths, names] = sizes.map((n) => take(n).toString('utf8'));
  if (at !== data.length || !Number.isFinite(trustBeforeMs)) return null;

  const paths = files === 0 ? [] : filePaths!.split('\0');
  if (paths.length !== files) return null;
  const dirList = dirCount === 0 ? [] : dirPaths!.split('\0');
  const d = doubles(dirNums);
  const nameList = names!.length === 0 ? [] : names!.split('\0');
  if (dirList.length !== dirCount) return null;
  const dirOidsHex = dirOids.toString('hex');
  const dirs = new Map<string, DirEntry>();
  let n = 0;
  for (let i = 0; i < dirCount; i++) {
    const b = i * DIR_COLUMNS;
    const count = d[b + 3]!;
    if (!Number.isInteger(count) || count < 0 || n + count > nameList.length) return null;
    const entry: DirEntry = [d[b]!, d[b + 1]!, d[b + 2]!, nameList.slice(n, (n += count))];
    if (d[b + 4] === 1) entry[4] = dirOidsHex.slice(i * 2 * OID_BYTES, (i + 1) * 2 * OID_BYTES);
    dirs.set(dirList[i]!, entry);
  }
  if (n !== nameList.length || dirs.size !== dirCount) return null;
  return { trustBeforeMs, paths, fileNums: doubles(fileNums), fileOids: Buffer.from(fileOids), oidsHex: fileOids.toString('hex'), dirs, checksum: checksum.toString('hex') };
}

const NO_OID_HEX = '0'.repeat(2 * OID_BYTES);

/** Write `contents` as the cache file `file`. */
export function writeCacheFile(file: string, { trustBeforeMs, paths, fileNums, fileOids, dirs }: CacheContents): void {
  const dirPaths = [...dirs.keys()];
  const dirNums = new Float64Array(dirPaths.length * DIR_COLUMNS);
  const dirOidsHex: string[] = []; // decoded in one call below, not one hex write per folder
  const names: string[] = [];
  for (let i = 0; i < dirPaths.length; i++) {
    const d = dirs.get(dirPaths[i]!)!;
    const b = i * DIR_COLUMNS;
    dirNums[b] = d[0];
    dirNums[b + 1] = d[1];
    dirNums[b + 2] = d[2];
    dirNums[b + 3] = d[3].length;
    dirNums[b + 4] = d[4] ? 1 : 0;
    dirOidsHex.push(d[4] ?? NO_OID_HEX);
    for (const name of d[3]) names.push(name);
  }
  const dirOids = Buffer.from(dirOidsHex.join(''), 'hex');
  if (dirOids.length !== dirPaths.length * OID_BYTES) throw new Error(`stat cache ${file}: a folder's tree id is not 40 hex digits`);
  const strings = [paths.join('\0'), dirPaths.join('\0'), names.join('\0')].map((s) => Buffer.from(s, 'utf8'));
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeDoubleLE(trustBeforeMs, 8);
  header.writeUInt32LE(paths.length, 16);
  header.writeUInt32LE(dirPaths.length, 20);
  strings.forEach((s, i) => header.writeUInt32LE(s.length, 24 + 4 * i));
  header.writeUInt32LE(BYTE_ORDER, 36);
  const parts = [header, bytes(fileNums), bytes(dirNums), fileOids, dirOids, ...strings];
  const sha1 = createHash('sha1');
  for (const part of parts) sha1.update(part);
  parts.push(sha1.digest());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  overwriteInPlace(file, parts);
}

/**
 * Write over the file where it is, not into a temp file renamed over it: the
 * file ends in its own SHA-1, so a reader that meets it half written (a
 * `status` beside a sync, a killed run) reads an empty cache, never a wrong
 * one. A rename over an existing file is what ext4 makes costly (it forces
 * the new file's blocks out first, auto_da_alloc): 0.7 ms per company saved.
 */
function overwriteInPlace(file: string, parts: Buffer[]): void {
  const { O_WRONLY, O_CREAT, O_NOFOLLOW } = fs.constants;
  const length = parts.reduce((n, p) => n + p.length, 0);
  const fd = fs.openSync(file, O_WRONLY | O_CREAT | O_NOFOLLOW, 0o644);
  try {
    const written = fs.writevSync(fd, parts, 0); // the parts as they are, not copied into one buffer first
    if (written < length) {
      const rest = Buffer.concat(parts).subarray(written);
      for (let at = 0; at < rest.length; ) at += fs.writeSync(fd, rest, at, rest.length - at, written + at);
    }
    fs.ftruncateSync(fd, length);
  } finally {
    fs.closeSync(fd);
  }
}

/** A copy of `b` as doubles (a Float64Array needs an aligned start, which a slice of a read file may not have). */
function doubles(b: Buffer): Float64Array {
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
