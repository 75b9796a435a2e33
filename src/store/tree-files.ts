/**
 * A tree as a flat map of file paths, and back. File-level merges and diffs
 * work on paths; the store holds nested trees.
 */
import type { FileEntry } from '../merge/file-merge.js';
import type { TreeEntry } from './objects.js';
import type { Store } from './store.js';

export interface TreeReader {
  readTree(oid: string): Promise<TreeEntry[]>;
}

/** path ("a/b.md") → mode and blob id, for every file and symlink under a tree. */
export async function flattenTree(reader: TreeReader, oid: string | undefined, prefix = '', out = new Map<string, FileEntry>()): Promise<Map<string, FileEntry>> {
  if (!oid) return out;
  for (const e of await reader.readTree(oid)) {
    const p = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.mode === '40000') await flattenTree(reader, e.oid, p, out);
    else out.set(p, { mode: e.mode, oid: e.oid });
  }
  return out;
}

/** Write the nested trees for a flat file map (its blobs must be in the store); returns the root tree id. */
export function writeFileMap(store: Store, files: ReadonlyMap<string, FileEntry>): string {
  const root = new Map<string, FileEntry | Map<string, unknown>>();
  for (const [p, entry] of files) {
    const segs = p.split('/');
    let dir = root;
    for (const seg of segs.slice(0, -1)) {
      let sub = dir.get(seg);
      if (!(sub instanceof Map)) dir.set(seg, (sub = new Map()));
      dir = sub as Map<string, FileEntry | Map<string, unknown>>;
    }
    dir.set(segs[segs.length - 1], entry);
  }
  const write = (dir: Map<string, FileEntry | Map<string, unknown>>): string =>
    store.writeTree(
      [...dir].map(([name, v]) =>
        v instanceof Map ? { name, mode: '40000' as const, oid: write(v as Map<string, FileEntry | Map<string, unknown>>) } : { name, ...v },
      ),
    );
  return write(root);
}
