/**
 * A tree as a flat map of file paths, and back. File-level merges and diffs
 * work on paths; the store holds nested trees.
 */
import { hashObject, serializeTree, type Mode, type TreeEntry } from './objects.js';
import type { Store } from './store.js';

/** A file (or symlink) of a flat tree: its mode and blob id. */
export interface FileEntry {
  mode: Exclude<Mode, '40000'>;
  oid: string;
}
export type FileMap = ReadonlyMap<string, FileEntry>;

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

/** An object a plan computed and the apply step writes. */
export interface PlannedObject {
  type: 'blob' | 'tree';
  oid: string;
  content: Buffer;
}

type Dir = Map<string, FileEntry | Dir>;

/** Pure: the nested trees of a flat file map, pushed onto `out` children first; returns the root tree id. */
export function fileMapTree(files: ReadonlyMap<string, FileEntry>, out: PlannedObject[]): string {
  const root: Dir = new Map();
  for (const [p, entry] of files) {
    const segs = p.split('/');
    let dir = root;
    for (const seg of segs.slice(0, -1)) {
      let sub = dir.get(seg);
      if (!(sub instanceof Map)) dir.set(seg, (sub = new Map()));
      dir = sub;
    }
    dir.set(segs[segs.length - 1], entry);
  }
  const build = (dir: Dir): string => {
    const entries = [...dir].map(([name, v]) => (v instanceof Map ? { name, mode: '40000' as const, oid: build(v) } : { name, ...v }));
    const content = serializeTree(entries);
    const oid = hashObject('tree', content);
    out.push({ type: 'tree', oid, content });
    return oid;
  };
  return build(root);
}

export function writePlanned(store: Store, objects: readonly PlannedObject[]): void {
  for (const o of objects) store.writeObject(o.type, o.content, o.oid);
}
