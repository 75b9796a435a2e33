/**
 * Reading trees out of the store: the blob reader shared by a run, and
 * writing a whole tree into a fresh folder (export's staging). Writes into
 * company folders go through SkillWriter (writer.ts), never through here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsafePathError } from '../errors.js';
import { isSafeEntryName } from '../names.js';
import type { Store } from '../store/store.js';
import { checkpoint, injectWriteFault } from '../util/faults.js';

/** Reads blobs once per run however many companies receive them. */
export class BlobReader {
  private readonly cache = new Map<string, Buffer>();
  private bytes = 0;
  constructor(
    private readonly store: Store,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  async read(oid: string): Promise<Buffer> {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    const content = await this.store.readBlob(oid);
    if (this.bytes + content.length <= this.maxBytes) {
      this.cache.set(oid, content);
      this.bytes += content.length;
    }
    return content;
  }
}

/** Write a tree from the store into a fresh folder; report each file's stat for the cache. */
export async function writeTree(
  store: Store,
  blobs: BlobReader,
  treeOid: string,
  absDir: string,
  rel: string,
  onFile: (rel: string, st: fs.Stats, oid: string) => void,
): Promise<void> {
  fs.mkdirSync(absDir, { mode: 0o755 });
  for (const entry of await store.readTree(treeOid)) {
    if (!isSafeEntryName(entry.name)) {
      throw new UnsafePathError(`refusing to write entry ${JSON.stringify(entry.name)} of tree ${treeOid}: unsafe name`);
    }
    const abs = path.join(absDir, entry.name);
    const entryRel = `${rel}/${entry.name}`;
    if (entry.mode === '40000') {
      await writeTree(store, blobs, entry.oid, abs, entryRel, onFile);
    } else if (entry.mode === '120000') {
      injectWriteFault(abs);
      // Written as a link, never followed.
      fs.symlinkSync((await blobs.read(entry.oid)).toString('utf8'), abs);
    } else {
      injectWriteFault(abs);
      fs.writeFileSync(abs, await blobs.read(entry.oid), { flag: 'wx', mode: entry.mode === '100755' ? 0o755 : 0o644 });
      onFile(entryRel, fs.lstatSync(abs), entry.oid);
      checkpoint('skill file written');
    }
  }
}
