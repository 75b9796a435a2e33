/**
 * Write a scanned folder's tree into the store. Blobs are read from disk only
 * when the store lacks them; a subtree already in the store is skipped whole,
 * because trees are always written after their children.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LibrarySyncError, StoreError } from '../errors.js';
import { hashObject } from '../store/objects.js';
import type { Store } from '../store/store.js';
import type { ScanTree } from './scan.js';
import { serializeTree } from '../store/objects.js';

export class ChangedDuringSyncError extends LibrarySyncError {
  override readonly code = 'ECHANGED';
}

/** `full` walks even subtrees already in the store: a repair may have removed objects under them. */
export function recordScanTree(store: Store, tree: ScanTree, absDir: string, full = false): void {
  if (store.has(tree.oid) && !full) return;
  for (const entry of tree.entries) {
    const abs = path.join(absDir, entry.name);
    if (entry.tree) {
      recordScanTree(store, entry.tree, abs, full);
    } else if (entry.mode === '40000') {
      // A skill kept at its recorded version (it could not be read this run): in the store already, or lost from it.
      if (!store.has(entry.oid)) throw new StoreError(`tree ${entry.oid} recorded for ${abs} is missing from store ${store.gitdir}: run \`library doctor --repair\``);
    } else if (!store.has(entry.oid)) {
      const content = entry.mode === '120000' ? Buffer.from(fs.readlinkSync(abs)) : fs.readFileSync(abs);
      if (hashObject('blob', content) !== entry.oid) {
        throw new ChangedDuringSyncError(`${abs} changed while it was being recorded; the next run will pick it up`);
      }
      store.writeObject('blob', content, entry.oid);
    }
  }
  store.writeObject('tree', serializeTree(tree.entries.map(({ name, mode, oid }) => ({ name, mode, oid }))), tree.oid);
}
