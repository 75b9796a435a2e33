/**
 * Snapshots are annotated tags `refs/tags/snapshot/<name>` on a commit whose
 * tree holds `library/` and `companies/<name>/` (and, for a company kept in
 * several folders, `folders/<name>/`: each folder's record, the two sides of a
 * conflict included), built from trees already in the store: a snapshot costs
 * a handful of small objects, not a copy.
 */
import { UsageError, errorMessage } from '../errors.js';
import { foldersRef } from '../folders/record.js';
import { LIBRARY_REF, signature } from '../refs.js';
import { isValidName } from '../names.js';
import { parseTag, type TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';

export const SNAPSHOT_PREFIX = 'refs/tags/snapshot/';
const COMPANY_PREFIX = 'refs/heads/companies/';
const FOLDERS_PREFIX = foldersRef('');
export const PRE_FIRST_RUN = 'pre-first-run';
/** Automatic snapshots that are pruned beyond `snapshots.keep`; pre-first-run never is. */
const AUTO_PRUNED = /^pre-(sync|rollback|push)-/;

export interface SnapshotInfo {
  name: string;
  ref: string;
  tag: string;
  commit: string;
  date: string;
  message: string;
  automatic: boolean;
  companies: string[];
  hasLibrary: boolean;
}

export function timestampName(prefix: string, now = new Date()): string {
  return `${prefix}${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

/** Accept `X`, `snapshot/X` or `refs/tags/snapshot/X`. */
export function snapshotRef(name: string): string {
  const bare = name.replace(/^refs\/tags\//, '').replace(/^snapshot\//, '');
  if (!isValidName(bare)) throw new UsageError(`invalid snapshot name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
  return `${SNAPSHOT_PREFIX}${bare}`;
}

export async function snapshotExists(store: Store, name: string): Promise<boolean> {
  return (await store.readRef(snapshotRef(name))) !== null;
}

/** The snapshot tree: library/ plus companies/<name>/ for every given company tree, and folders/<name>/ for every folder record. */
export function writeSnapshotTree(store: Store, library: string | null, companies: Map<string, string>, folders: Map<string, string> = new Map()): string {
  const entries = (m: Map<string, string>): TreeEntry[] => [...m].map(([name, oid]) => ({ name, mode: '40000', oid }));
  const root: TreeEntry[] = [{ name: 'companies', mode: '40000', oid: store.writeTree(entries(companies)) }];
  if (folders.size > 0) root.push({ name: 'folders', mode: '40000', oid: store.writeTree(entries(folders)) });
  if (library) root.push({ name: 'library', mode: '40000', oid: library });
  return store.writeTree(root);
}

/** Tag a snapshot tree; a taken name gets a numeric suffix when `unique`, else is refused. */
export async function tagSnapshot(store: Store, name: string, tree: string, message: string, unique = false): Promise<string> {
  let ref = snapshotRef(name);
  for (let i = 2; (await store.readRef(ref)) !== null; i++) {
    if (!unique) throw new UsageError(`snapshot ${name} already exists: choose another name`);
    ref = snapshotRef(`${name}-${i}`);
  }
  const tagName = ref.slice('refs/tags/'.length);
  const author = signature();
  const commit = store.writeCommit({ tree, parents: [], author, message: `${tagName}\n\n${message}\n` });
  const tag = store.writeTag({ object: commit, type: 'commit', tag: tagName, tagger: author, message: `${message}\n` });
  await store.updateRef(ref, tag, null, [commit]);
  return tagName;
}

export interface SnapshotTaken {
  tag: string;
  /** Heads whose history could not be read (a lost object): left out, each with the reason. */
  skipped: { ref: string; error: string }[];
}

/**
 * Snapshot the store as it is now: the library tip and every company's last
 * recorded tree. A head that cannot be read (a lost object) is left out and
 * named in the tag message, so one damaged company never stops the others.
 */
export async function createSnapshot(store: Store, name: string, message: string, unique = false): Promise<SnapshotTaken> {
  const skipped: SnapshotTaken['skipped'] = [];
  const treeOf = async (ref: string): Promise<string | null> => {
    try {
      const head = await store.readRef(ref);
      return head ? (await store.readCommit(head)).tree : null;
    } catch (err) {
      skipped.push({ ref, error: errorMessage(err) });
      return null;
    }
  };
  const library = await treeOf(LIBRARY_REF);
  const companies = new Map<string, string>();
  for (const ref of await store.listRefs(COMPANY_PREFIX)) {
    const tree = await treeOf(ref);
    if (tree) companies.set(ref.slice(COMPANY_PREFIX.length), tree);
  }
  // Each folder's record: what a rollback to this snapshot gives back to each folder where they differed (a conflict).
  const folders = new Map<string, string>();
  for (const ref of await store.listRefs(FOLDERS_PREFIX)) {
    const tree = companies.has(ref.slice(FOLDERS_PREFIX.length)) ? await treeOf(ref) : null;
    if (tree) folders.set(ref.slice(FOLDERS_PREFIX.length), tree);
  }
  const note = skipped.length ? `\n\nLeft out, their history cannot be read (run \`library doctor --repair\`):\n${skipped.map((s) => `- ${s.ref}: ${s.error}`).join('\n')}` : '';
  return { tag: await tagSnapshot(store, name, writeSnapshotTree(store, library, companies, folders), `${message}${note}`, unique), skipped };
}

export async function readSnapshot(store: Store, name: string): Promise<SnapshotInfo & { tree: string; companyTrees: Map<string, string>; folderTrees: Map<string, string>; libraryTree: string | null }> {
  const ref = snapshotRef(name);
  const tagOid = await store.readRef(ref);
  if (!tagOid) throw new UsageError(`unknown snapshot ${JSON.stringify(name)}: \`library snapshots\` lists them`);
  const { type, content } = await store.readObject(tagOid);
  const tag = type === 'tag' ? parseTag(content) : null;
  const commitOid = tag ? tag.object : tagOid;
  const commit = await store.readCommit(commitOid);
  const root = await store.readTree(commit.tree);
  const companiesTree = root.find((e) => e.name === 'companies')?.oid;
  const companyTrees = new Map<string, string>();
  if (companiesTree) for (const e of await store.readTree(companiesTree)) if (e.mode === '40000') companyTrees.set(e.name, e.oid);
  const foldersTree = root.find((e) => e.name === 'folders')?.oid;
  const folderTrees = new Map<string, string>();
  if (foldersTree) for (const e of await store.readTree(foldersTree)) if (e.mode === '40000') folderTrees.set(e.name, e.oid);
  const libraryTree = root.find((e) => e.name === 'library')?.oid ?? null;
  const short = ref.slice(SNAPSHOT_PREFIX.length);
  return {
    name: short,
    ref,
    tag: tagOid,
    commit: commitOid,
    date: new Date((tag ? tag.tagger.timestamp : commit.author.timestamp) * 1000).toISOString(),
    message: (tag ? tag.message : commit.message).trim(),
    automatic: short === PRE_FIRST_RUN || AUTO_PRUNED.test(short),
    companies: [...companyTrees.keys()],
    hasLibrary: libraryTree !== null,
    tree: commit.tree,
    companyTrees,
    folderTrees,
    libraryTree,
  };
}

/** Every snapshot, oldest first; one that cannot be read is left out and named in `unreadable`. */
export async function listSnapshots(store: Store, unreadable: { ref: string; error: string }[] = []): Promise<SnapshotInfo[]> {
  const out: SnapshotInfo[] = [];
  for (const ref of await store.listRefs(SNAPSHOT_PREFIX)) {
    try {
      const { tree: _t, companyTrees: _c, folderTrees: _f, libraryTree: _l, ...info } = await readSnapshot(store, ref.slice(SNAPSHOT_PREFIX.length));
      out.push(info);
    } catch (err) {
      unreadable.push({ ref, error: errorMessage(err) });
    }
  }
  return out.sort((a, b) => (a.date === b.date ? (a.name < b.name ? -1 : 1) : a.date < b.date ? -1 : 1));
}

/** Drop the oldest automatic snapshots beyond `keep`. Named snapshots and pre-first-run are kept. */
export async function pruneAutomatic(store: Store, keep: number): Promise<string[]> {
  const auto = (await store.listRefs(SNAPSHOT_PREFIX)).filter((r) => AUTO_PRUNED.test(r.slice(SNAPSHOT_PREFIX.length))).sort();
  const doomed = auto.slice(0, Math.max(0, auto.length - keep));
  for (const ref of doomed) await store.deleteRef(ref);
  return doomed.map((r) => r.slice('refs/tags/'.length));
}

/**
 * Before a writing run changes any company folder: `pre-first-run` the first
 * time, else `pre-<kind>-<timestamp>`; then prune.
 */
export async function autoSnapshot(store: Store, kind: 'sync' | 'push' | 'rollback', keep: number, detail: string): Promise<string> {
  const name = (await snapshotExists(store, PRE_FIRST_RUN)) || kind === 'rollback' ? timestampName(`pre-${kind}-`) : PRE_FIRST_RUN;
  const { tag } = await createSnapshot(store, name, `automatic snapshot before ${detail}`, true);
  await pruneAutomatic(store, keep);
  return tag;
}
