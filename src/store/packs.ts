/**
 * Reading objects from git pack files (what native `git gc` and `git repack`
 * leave). Index v2 lookups by binary search over the .idx file, entries read
 * with positioned reads (a pack is never loaded whole), deltas (ofs and ref)
 * applied here. Written for this tool's store and for a library repository's
 * `.git`; isomorphic-git's reader loads each pack into memory and is not used.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import type { ObjectType } from './objects.js';

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

export interface RawObject {
  type: ObjectType;
  content: Buffer;
}

/** A pack entry that cannot be read: the pack is damaged (or was removed under us). */
export class PackReadError extends Error {}

class Pack {
  private fd: number | null = null;
  private readonly count: number;
  private readonly fanout: Uint32Array;
  /** Recently inflated delta bases, by offset: a deep delta chain is resolved once. */
  private readonly bases = new Map<number, RawObject>();
  private basesBytes = 0;

  constructor(
    readonly packFile: string,
    private readonly idx: Buffer,
    private readonly packSize: number,
  ) {
    if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) {
      throw new PackReadError(`pack index ${packFile.replace(/\.pack$/, '.idx')} is not a version 2 index: run \`git index-pack\` on the pack`);
    }
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = idx.readUInt32BE(8 + i * 4);
    this.count = this.fanout[255];
  }

  /** The entry's offset in the pack, or -1. */
  find(oid: Buffer): number {
    let lo = oid[0] === 0 ? 0 : this.fanout[oid[0] - 1];
    let hi = this.fanout[oid[0]];
    const shaBase = 8 + 256 * 4;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = shaBase + mid * 20;
      const cmp = oid.compare(this.idx, at, at + 20);
      if (cmp === 0) return this.offsetAt(mid);
      if (cmp > 0) lo = mid + 1; // the id sorts after this entry
      else hi = mid;
    }
    return -1;
  }

  private offsetAt(i: number): number {
    const offBase = 8 + 256 * 4 + this.count * 24;
    const off = this.idx.readUInt32BE(offBase + i * 4);
    if (!(off & 0x80000000)) return off;
    const bigBase = offBase + this.count * 4;
    return Number(this.idx.readBigUInt64BE(bigBase + (off & 0x7fffffff) * 8));
  }

  /** Every object id in this pack. */
  *ids(): Generator<string> {
    const shaBase = 8 + 256 * 4;
    for (let i = 0; i < this.count; i++) yield this.idx.toString('hex', shaBase + i * 20, shaBase + i * 20 + 20);
  }

  private read(offset: number, length: number): Buffer {
    this.fd ??= fs.openSync(this.packFile, 'r');
    const len = Math.max(0, Math.min(length, this.packSize - 20 - offset));
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, buf, got, len - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  private inflateAt(offset: number, size: number): Buffer {
    // Deflate adds at most 5 bytes per 16 KiB block plus a few: the window always holds the whole stream.
    let window = size + 5 * Math.ceil((size + 1) / 16384) + 64;
    for (;;) {
      const data = this.read(offset, window);
      try {
        const out = inflateSync(data);
        if (out.length !== size) throw new PackReadError(`entry at ${offset} inflates to ${out.length} bytes, expected ${size}`);
        return out;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' && data.length === window) {
          window *= 2;
          continue;
        }
        if (err instanceof PackReadError) throw err;
        throw new PackReadError(`entry at ${offset} does not inflate (${(err as Error).message})`);
      }
    }
  }

  /** Read the entry at `offset`; `lookup` resolves ref-delta bases that may live in another pack. */
  readAt(offset: number, lookup: (oid: string) => RawObject | null, depth = 0): RawObject {
    const cached = this.bases.get(offset);
    if (cached) return cached;
    if (depth > 10_000) throw new PackReadError(`delta chain at ${offset} is too deep`);
    const head = this.read(offset, 32);
    let i = 0;
    let c = head[i++];
    const kind = (c >> 4) & 7;
    let size = c & 15;
    for (let shift = 4; c & 0x80; shift += 7) {
      c = head[i++];
      size += (c & 0x7f) * 2 ** shift;
    }
    let result: RawObject;
    if (TYPES[kind]) {
      result = { type: TYPES[kind], content: this.inflateAt(offset + i, size) };
    } else if (kind === OFS_DELTA) {
      c = head[i++];
      let back = c & 0x7f;
      while (c & 0x80) {
        c = head[i++];
        back = (back + 1) * 128 + (c & 0x7f);
      }
      const base = this.readAt(offset - back, lookup, depth + 1);
      result = { type: base.type, content: applyDelta(base.content, this.inflateAt(offset + i, size)) };
      this.remember(offset - back, base);
    } else if (kind === REF_DELTA) {
      const baseOid = head.toString('hex', i, i + 20);
      const base = lookup(baseOid);
      if (!base) throw new PackReadError(`delta base ${baseOid} of the entry at ${offset} is missing`);
      result = { type: base.type, content: applyDelta(base.content, this.inflateAt(offset + i + 20, size)) };
    } else {
      throw new PackReadError(`entry at ${offset} has unknown type ${kind}`);
    }
    return result;
  }

  private remember(offset: number, obj: RawObject): void {
    if (this.bases.has(offset) || obj.content.length > 4 << 20) return;
    this.bases.set(offset, obj);
    this.basesBytes += obj.content.length;
    while (this.basesBytes > 64 << 20 || this.bases.size > 4096) {
      const [k, v] = this.bases.entries().next().value as [number, RawObject];
      this.bases.delete(k);
      this.basesBytes -= v.content.length;
    }
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** git's delta format: base size, result size, then copy-from-base and insert instructions. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    let c: number;
    do {
      c = delta[i++];
      n += (c & 0x7f) * 2 ** shift;
      shift += 7;
    } while (c & 0x80);
    return n;
  };
  const baseSize = varint();
  if (baseSize !== base.length) throw new PackReadError(`delta expects a ${baseSize}-byte base, got ${base.length}`);
  const out = Buffer.allocUnsafe(varint());
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++];
    if (op & 0x80) {
      let off = 0;
      let len = 0;
      for (let b = 0; b < 4; b++) if (op & (1 << b)) off += delta[i++] * 2 ** (8 * b);
      for (let b = 0; b < 3; b++) if (op & (0x10 << b)) len += delta[i++] * 2 ** (8 * b);
      if (len === 0) len = 0x10000;
      if (off + len > base.length || o + len > out.length) throw new PackReadError('delta copies outside its base');
      base.copy(out, o, off, off + len);
      o += len;
    } else if (op) {
      if (o + op > out.length) throw new PackReadError('delta inserts past its result');
      delta.copy(out, o, i, i + op);
      i += op;
      o += op;
    } else {
      throw new PackReadError('delta has a zero instruction');
    }
  }
  if (o !== out.length) throw new PackReadError(`delta result is ${o} bytes, expected ${out.length}`);
  return out;
}

/**
 * The packs of one object folder. The pack list is read on first need and
 * again whenever `objects/pack` changes (a `git repack` ran meanwhile).
 */
export class PackSet {
  private packs: Pack[] | null = null;
  private dirStamp = '';

  constructor(private readonly packDir: string) {}

  private stamp(): string {
    try {
      const st = fs.statSync(this.packDir);
      return `${st.mtimeMs}:${st.ino}`;
    } catch {
      return 'none';
    }
  }

  private load(): Pack[] {
    for (const p of this.packs ?? []) p.close();
    this.dirStamp = this.stamp();
    const packs: Pack[] = [];
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.packDir);
    } catch {
      /* no packs */
    }
    for (const name of names.filter((n) => n.endsWith('.idx')).sort()) {
      const packFile = path.join(this.packDir, `${name.slice(0, -4)}.pack`);
      try {
        const packSize = fs.statSync(packFile).size;
        packs.push(new Pack(packFile, fs.readFileSync(path.join(this.packDir, name)), packSize));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // an index whose pack is being written or removed
        throw err;
      }
    }
    return (this.packs = packs);
  }

  /** Whether the pack list changed since it was read; reloads it if so. */
  private refresh(): boolean {
    if (this.packs !== null && this.stamp() === this.dirStamp) return false;
    this.load();
    return true;
  }

  private locate(oid: string): { pack: Pack; offset: number } | null {
    const key = Buffer.from(oid, 'hex');
    for (let attempt = 0; attempt < 2; attempt++) {
      if (attempt === 1 && !this.refresh()) break;
      for (const pack of this.packs ?? this.load()) {
        const offset = pack.find(key);
        if (offset >= 0) return { pack, offset };
      }
    }
    return null;
  }

  has(oid: string): boolean {
    return this.locate(oid) !== null;
  }

  /** The object, or null when no pack has it. Throws PackReadError for a damaged entry. */
  read(oid: string, lookup: (oid: string) => RawObject | null): RawObject | null {
    const at = this.locate(oid);
    if (!at) return null;
    try {
      return at.pack.readAt(at.offset, lookup);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.load(); // removed by a concurrent repack: its objects are in the new pack
        const again = this.locate(oid);
        return again ? again.pack.readAt(again.offset, lookup) : null;
      }
      if (err instanceof PackReadError) throw new PackReadError(`${path.basename(at.pack.packFile)}: ${err.message}`);
      throw err;
    }
  }

  /** The pack files (`.pack` paths) holding any of these ids. */
  packsHolding(oids: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const oid of oids) {
      const at = this.locate(oid);
      if (at) out.add(at.pack.packFile);
    }
    return [...out];
  }

  /** The ids in one pack. */
  idsOf(packFile: string): string[] {
    const pack = (this.packs ?? this.load()).find((p) => p.packFile === packFile);
    return pack ? [...pack.ids()] : [];
  }

  /** Forget the pack list (after packs were removed). */
  reset(): void {
    for (const p of this.packs ?? []) p.close();
    this.packs = null;
  }

  /** Every packed object id (for a repair that looks for lost commits). */
  *ids(): Generator<string> {
    for (const pack of this.packs ?? this.load()) yield* pack.ids();
  }

  /** Whether any pack exists (without reading one). */
  get any(): boolean {
    return (this.packs ?? this.load()).length > 0;
  }
}
