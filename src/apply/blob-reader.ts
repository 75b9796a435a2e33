/**
 * The blob reader a run shares: each blob is read from the store once,
 * however many companies receive it. Writes into company folders go through
 * SkillWriter (writer.ts).
 */
import type { Store } from '../store/store.js';

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
