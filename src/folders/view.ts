/**
 * A company kept in several folders, seen as one: the skill set its folders
 * make together (combine.ts) as the scan the rest of the pipeline reads (the
 * plan merges it with the library; it is what the company's history records),
 * and each folder's tree as it is now or after this run's writes (what its
 * record holds).
 */
import { buildTree, type ScanEntry, type ScanResult, type ScanTree, type SkillProblem } from '../scan/scan.js';
import { EMPTY_TREE_OID, type TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { combineFolders, type Combined, type SkillMap } from './combine.js';
import type { FolderView } from './scan.js';

/**
 * The company's one skill set, as a scan result: each skill at the company's
 * version (its tree taken from whichever folder holds it, or the recorded one),
 * plain files of the first folder beside them, and every folder's problems. A
 * skill that some folder cannot read is blocked for the company this run.
 */
export function combinedScan(folders: readonly FolderView[], combined: Combined, recordedRoot: readonly TreeEntry[]): ScanResult {
  const trees = new Map<string, ScanTree>();
  for (const f of folders) for (const e of f.scan.root.entries) if (e.tree && !trees.has(e.oid)) trees.set(e.oid, e.tree);
  const entries: ScanEntry[] = [...combined.skills].map(([name, oid]) => ({ name, mode: '40000', oid, ...(trees.has(oid) ? { tree: trees.get(oid) } : {}) }));
  const first = folders[0];
  entries.push(...(first?.scan.root.entries.filter((e) => e.mode !== '40000') ?? []));
  const blocked = new Map<string, SkillProblem>();
  for (const f of folders) for (const [name, p] of f.scan.blocked) if (!blocked.has(name)) blocked.set(name, p);
  // A blocked skill keeps its recorded version (blocked is not absent), whatever the folders that can be read say.
  for (const name of blocked.keys()) {
    const kept = recordedRoot.find((e) => e.name === name && e.mode === '40000');
    const at = entries.findIndex((e) => e.name === name);
    if (at >= 0) entries.splice(at, 1);
    if (kept) entries.push(kept);
  }
  const skills = new Map([...combined.skills].filter(([name]) => !blocked.has(name)));
  return {
    root: buildTree(entries),
    skills,
    blocked,
    checkouts: new Set(folders.flatMap((f) => [...f.scan.checkouts])),
    unread: [],
    problems: folders.flatMap((f) => f.scan.problems),
    filesRead: folders.reduce((n, f) => n + f.scan.filesRead, 0),
  };
}

export function combineCompanyFolders(folders: readonly FolderView[], recorded: SkillMap | null, library: SkillMap, base: SkillMap | null): Combined {
  return combineFolders({ folders: folders.map((f) => f.state), recorded, library, base });
}

/**
 * A folder's tree to record: as scanned, with `changes` (skill → tree, null:
 * gone) applied, and each skill it could not read kept at its recorded
 * version. Every tree named is in the store already (recorded first); the
 * tree itself is written.
 */
export async function folderTree(store: Store, f: FolderView, recordedTree: string | undefined, changes: ReadonlyMap<string, string | null> = new Map()): Promise<string> {
  const entries = new Map<string, TreeEntry>(f.scan.root.entries.map(({ name, mode, oid }) => [name, { name, mode, oid }]));
  if (recordedTree && f.scan.blocked.size > 0) {
    for (const e of await store.readTree(recordedTree)) if (f.scan.blocked.has(e.name)) entries.set(e.name, e);
  }
  for (const [name, tree] of changes) {
    if (tree) entries.set(name, { name, mode: '40000', oid: tree });
    else entries.delete(name);
  }
  return entries.size === 0 ? EMPTY_TREE_OID : store.writeTree([...entries.values()]);
}
