/**
 * What each folder of a company held when last recorded: a commit chain on
 * `refs/folders/<company>` whose tree holds one entry per folder
 * (`.claude%2Fskills` → that folder's tree). It tells an edit in one folder
 * from a folder that was simply not written yet, and keeps every folder's
 * version in history, the two sides of a conflict included. Only companies
 * with config `folders` have it; the company's own ref keeps its one skill set.
 */
import { recordCommit } from '../refs.js';
import { EMPTY_TREE_OID, type TreeEntry } from '../store/objects.js';
import type { ReadonlyStore, Store } from '../store/store.js';
import { folderEntryName, folderKeyOf } from './config.js';

export const foldersRef = (company: string) => `refs/folders/${company}`;

export interface FolderRecords {
  /** The record's commit, or null before the first. */
  head: string | null;
  /** folder key → its tree as last recorded. */
  trees: Map<string, string>;
}

export async function readFolderRecords(store: ReadonlyStore | null, company: string): Promise<FolderRecords> {
  const head = store ? await store.readRef(foldersRef(company)) : null;
  const trees = new Map<string, string>();
  if (head) for (const e of await store!.readTree((await store!.readCommit(head)).tree)) trees.set(folderKeyOf(e.name), e.oid);
  return { head, trees };
}

/** The tree of a company's folder records: one entry per folder (its key encoded), each folder's skills tree. */
export function writeFolderRecordTree(store: Store, trees: ReadonlyMap<string, string>): string {
  // A folder with no skills is the empty tree, which a store need not hold yet.
  const entries: TreeEntry[] = [...trees].map(([key, tree]) => ({ name: folderEntryName(key), mode: '40000', oid: tree === EMPTY_TREE_OID ? store.writeTree([]) : tree }));
  return store.writeTree(entries);
}

/** Record each folder's tree (all already in the store) when any differs from the last record; returns the commit or null. */
export async function recordFolders(store: Store, company: string, records: FolderRecords, trees: ReadonlyMap<string, string>, title: string): Promise<string | null> {
  const same = records.head && trees.size === records.trees.size && [...trees].every(([k, t]) => records.trees.get(k) === t);
  if (same) return null;
  const commit = await recordCommit(store, foldersRef(company), records.head, { tree: writeFolderRecordTree(store, trees), message: `${title}\n` });
  records.head = commit;
  records.trees = new Map(trees);
  return commit;
}
