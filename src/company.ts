/**
 * One company as the store and its folder see it: the folder scanned (actual
 * state), its last recorded commit, and its merge base. Shared by sync, push
 * and rollback, which all begin by recording what the company has.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScanPolicy } from './policy.js';
import type { Company } from './companies.js';
import { StoreError } from './errors.js';
import { baseRef, companyRef, LIBRARY_REF, describeSkillChanges, EMPTIED_MARKER, recordCommit, signature } from './refs.js';
import type { TreeEntry } from './store/objects.js';
import { captureIdentity, type FolderIdentity } from './apply/identity.js';
import type { FolderVersion } from './folders/combine.js';
import { companyCacheFile, distinctFolders, folderCacheFile, scanFolders, type CompanyFolders } from './folders/scan.js';
import { combineCompanyFolders, combinedScan, folderTree } from './folders/view.js';
import { recordFolders } from './folders/record.js';
import { recoverLeftovers } from './apply/writer.js';
import { recordScanTree } from './scan/record.js';
import { buildTree, scanSkillsFolder, type ScanResult } from './scan/scan.js';
import { filterSkillMap, treeFilterFor } from './scan/filter-tree.js';
import { attachPreload, type PreloadedFolders } from './scan/preload.js';
import { StatCache } from './scan/stat-cache.js';
import { parseTrailers } from './store/objects.js';
import type { ReadonlyStore, Store } from './store/store.js';

export interface CompanyView {
  company: Company;
  /** The folder as scanned: every write checks it is still this folder. */
  identity: FolderIdentity;
  scan: ScanResult;
  /**
   * skill → tree as the plan sees it: the scan's, except that a copy differing
   * from the library's version or its base only in the Unicode form of its
   * names is read as that tree (src/scan/name-forms.ts). Writes compare with
   * the scan's trees.
   */
  skills: Map<string, string>;
  cache: StatCache;
  scanStarted: number;
  /** The company's last commit in the store (after observe(), the folder as found). */
  head: string | null;
  headTree: string | null;
  baseTree: string | null;
  /** skill → library skill tree last distributed; null before the first sync. */
  base: Map<string, string> | null;
  /** Skills a file-level merge left without files (EMPTIED_MARKER). */
  emptied: Set<string>;
  /** The library commit of the newest distribution, before this run. */
  distributedCommit: string | null;
  /**
   * A company kept in several folders (config `folders`): each folder as read,
   * and, once combined with the library (combineCompany), its skills whose
   * folders disagree and the folders each change came from. `scan` is then the
   * company's one skill set.
   */
  folders?: CompanyFolders;
  conflicts: Map<string, FolderVersion[]>;
  changedIn: Map<string, string[]>;
  companyOnly: Set<string>;
}

export async function skillMapOf(store: ReadonlyStore, tree: string): Promise<Map<string, string>> {
  return recordedSkills({ entries: await store.readTree(tree) });
}

/**
 * Before a writing run reads a company: finish what a killed run left in its
 * folder (src/apply/writer.ts, recoverLeftovers). The only write that happens
 * before the plan; it never touches a skill that is in place.
 */
export function recoverCompany(store: Store, company: Company, policy: ScanPolicy): string[] {
  const actions: string[] = [];
  // One folder: no realpath needed to find its aliases (captureIdentity checks it).
  const folders = company.folders ? distinctFolders(company) : [{ folder: { key: '', dir: company.dir }, real: company.dir }];
  for (const { folder, real } of folders) {
    if (real === null && company.folders) {
      // A folder the config lists for this company, and so asks for: created (its root must exist).
      captureIdentity(company.root!, company.globRoot, policy.allowSymlinkedCompanies, policy.configFile);
      store.fence?.check();
      fs.mkdirSync(folder.dir, { recursive: true });
      actions.push(`created ${folder.dir} (listed in "folders")`);
    }
    captureIdentity(folder.dir, company.globRoot, policy.allowSymlinkedCompanies, policy.configFile);
    store.fence?.check();
    actions.push(...recoverLeftovers(folder.dir, policy.ignore));
  }
  return actions;
}

/**
 * Scan the folder (or, with config `folders`, every folder, made one skill set:
 * that needs the library's skills, to know which are shared; without them, the
 * library as last recorded) and read the company's history. Reads only.
 */
export async function scanCompany(store: ReadonlyStore | null, company: Company, policy: ScanPolicy, library?: ReadonlyMap<string, string>, preloaded?: PreloadedFolders): Promise<CompanyView> {
  const folders = company.folders ? await scanFolders(store, company, policy, preloaded) : undefined;
  const first = folders?.folders.find((f) => f.identity) ?? folders?.folders[0];
  const identity = first?.identity ?? captureIdentity(company.root ?? company.dir, company.globRoot, policy.allowSymlinkedCompanies, policy.configFile);
  const cacheFile = store ? companyCacheFile(store.dataDir, company.name) : null;
  const cache = first?.cache ?? new StatCache(cacheFile);
  if (!folders && cacheFile) attachPreload(cache, preloaded?.get(cacheFile), company.dir);
  const scanStarted = first?.scanStarted ?? Date.now();
  const scan = first?.scan ?? scanSkillsFolder(company.dir, { cache, maxFileBytes: policy.maxFileBytes, ignore: policy.ignore });
  const head = store ? await store.readRef(companyRef(company.name)) : null;
  const headTree = head ? (await store!.readCommit(head)).tree : null;
  if (headTree && scan.unread.length > 0) keepUnread(scan, await store!.readTree(headTree));
  const baseTree = store ? await store.readRef(baseRef(company.name)) : null;
  // A base recorded before the ignore rules (or with litter a library once had) is compared without it.
  const filter = treeFilterFor(policy.ignore, store);
  const base = baseTree ? await filterSkillMap(filter, store!, await skillMapOf(store!, baseTree), null) : null;
  const emptied = baseTree ? await emptiedSkills(store!, baseTree) : new Set<string>();
  const distributedCommit = head ? await lastDistributedLibrary(store!, head) : null;
  if (distributedCommit && !baseTree) {
    // Without its base every skill the company never touched would look like an override: distribution would silently stop.
    throw new StoreError(`${baseRef(company.name)} is missing from store ${store!.gitdir}, though ${company.name} has been distributed to: run \`library doctor --repair\` to rebuild it from the distribution history`);
  }
  const view: CompanyView = { company, identity, scan, skills: scan.skills, cache, scanStarted, head, headTree, baseTree, base, emptied, distributedCommit, folders, conflicts: new Map(), changedIn: new Map(), companyOnly: new Set() };
  if (folders) await combineCompany(store, view, library ?? (await recordedLibrary(store)));
  return view;
}

/** Each folder a company is read from, with its stat cache (what the stat preload reads). */
export function companyStatCaches(dataDir: string, company: Company): { dir: string; cacheFile: string }[] {
  if (!company.folders) return [{ dir: company.dir, cacheFile: companyCacheFile(dataDir, company.name) }];
  return distinctFolders(company).flatMap(({ folder, real }, i) => (real === null ? [] : [{ dir: folder.dir, cacheFile: folderCacheFile(dataDir, company.name, folder.key, i === 0) }]));
}

/** The library as last recorded in the store (what a company was last compared with). */
async function recordedLibrary(store: ReadonlyStore | null): Promise<Map<string, string>> {
  const tip = store ? await store.readRef(LIBRARY_REF) : null;
  return tip ? skillMapOf(store!, (await store!.readCommit(tip)).tree) : new Map();
}

/**
 * A company kept in several folders, made one skill set (src/folders/): an
 * edit in one folder is the company's, different edits are a conflict. Needs
 * the library's skills (which skills are shared). No-op for one folder.
 */
async function combineCompany(store: ReadonlyStore | null, view: CompanyView, library: ReadonlyMap<string, string>): Promise<void> {
  if (!view.folders) return;
  const recordedRoot = view.headTree ? await store!.readTree(view.headTree) : [];
  const recorded = view.headTree ? recordedSkills({ entries: recordedRoot }) : null;
  const combined = combineCompanyFolders(view.folders.folders, recorded, library, view.base);
  view.scan = combinedScan(view.folders.folders, combined, recordedRoot);
  view.skills = view.scan.skills;
  view.conflicts = combined.conflicts;
  view.changedIn = combined.from;
  view.companyOnly = combined.companyOnly;
}

/**
 * Blocked is not absent: an entry that is on disk but could not be read this
 * run (a skill with an oversized file, a FIFO, an unreadable folder) keeps its
 * last recorded version in the tree that is recorded, so history never says
 * "removed", a snapshot holds it, and a rollback to that snapshot keeps it.
 */
function keepUnread(scan: ScanResult, recorded: TreeEntry[]): void {
  const kept = recorded.filter((e) => scan.unread.includes(e.name));
  if (kept.length > 0) scan.root = buildTree([...scan.root.entries, ...kept]);
}

/** skill → tree of a recorded folder tree (the scan's, with what could not be read kept). */
export function recordedSkills(root: { entries: readonly TreeEntry[] }): Map<string, string> {
  return new Map(root.entries.filter((e) => e.mode === '40000').map((e) => [e.name, e.oid]));
}

async function emptiedSkills(store: ReadonlyStore, baseTree: string): Promise<Set<string>> {
  const marker = (await store.readTree(baseTree)).find((e) => e.name === EMPTIED_MARKER && e.mode === '100644');
  if (!marker) return new Set();
  return new Set((await store.readBlob(marker.oid)).toString('utf8').split('\n').filter(Boolean));
}

/** The base tree to record: skill → tree, plus the list of skills a merge emptied. */
export function writeBaseTree(store: Store, base: ReadonlyMap<string, string>, emptied: ReadonlySet<string>): string {
  const entries: TreeEntry[] = [...base].map(([name, oid]) => ({ name, mode: '40000', oid }));
  if (emptied.size > 0) entries.push({ name: EMPTIED_MARKER, mode: '100644', oid: store.writeObject('blob', Buffer.from(`${[...emptied].sort().join('\n')}\n`)) });
  return store.writeTree(entries);
}

/** The library commit of the newest distribution in a company's history (first-parent walk). */
async function lastDistributedLibrary(store: ReadonlyStore, head: string): Promise<string | null> {
  for (let oid: string | undefined = head; oid; ) {
    const commit = await store.readCommit(oid);
    const trailer = parseTrailers(commit.message)['Library-Commit'];
    if (trailer) return trailer;
    oid = commit.parents[0];
  }
  return null;
}

/**
 * Record the folder as found, if it differs from the last recorded tree: an
 * "observed" commit. This happens before anything in the folder changes, so
 * every overwrite can be undone. Returns the new commit, or null.
 */
export async function observe(store: Store, view: CompanyView): Promise<string | null> {
  const { company, scan, head, headTree } = view;
  if (view.folders) await recordFolderStates(store, view);
  if (head && headTree === scan.root.oid) return null;
  recordScanTree(store, scan.root, company.dir);
  const before = headTree ? await skillMapOf(store, headTree) : null;
  const after = recordedSkills(scan.root);
  const n = after.size;
  const what = before
    ? describeSkillChanges(before, after, { added: 'added', changed: 'changed', removed: 'removed' })
    : `initial state, ${n} skill${n === 1 ? '' : 's'}`;
  const commit = await recordCommit(store, companyRef(company.name), head, {
    tree: scan.root.oid,
    message: `observe ${company.name}: ${what || 'files beside the skills changed'}\n\n${folderTrailers(view)}`,
  });
  view.head = commit;
  view.headTree = scan.root.oid;
  return commit;
}

/**
 * Before a push replaces skills whose folders disagree (a conflict, which the
 * company's one skill set records at its last agreed version): each folder's
 * version recorded on the company's history, one commit per folder (`Folder:`),
 * joined by an observed commit whose tree stays the company's, so the replaced
 * edits are in `git log companies/<name>` and the first-parent line reads as
 * before. Returns the new commit, or null when no such skill is given.
 */
export async function observeConflictSides(store: Store, view: CompanyView, skills: readonly string[]): Promise<string | null> {
  const conflicts = skills.filter((s) => view.conflicts.has(s));
  if (conflicts.length === 0 || !view.head || !view.headTree) return null;
  const root = await store.readTree(view.headTree);
  const byFolder = new Map<string, Map<string, string | null>>();
  for (const skill of conflicts) for (const v of view.conflicts.get(skill)!) (byFolder.get(v.key) ?? byFolder.set(v.key, new Map()).get(v.key)!).set(skill, v.tree);
  const rootTrailer = `Company-Root: ${view.company.root}\n`;
  const sides: string[] = [];
  for (const [key, versions] of byFolder) {
    const entries = new Map(root.map((e) => [e.name, e]));
    for (const [skill, tree] of versions) {
      if (tree) entries.set(skill, { name: skill, mode: '40000', oid: tree });
      else entries.delete(skill);
    }
    const what = [...versions].map(([skill, tree]) => `${tree ? '' : 'removed '}${skill}`).join(', ');
    const message = `observe ${view.company.name}: ${what} as in ${key} (one side of a conflict)\n\n${rootTrailer}Folder: ${key}\n`;
    sides.push(store.writeCommit({ tree: store.writeTree([...entries.values()]), parents: [view.head], author: signature(), message }));
  }
  const commit = await recordCommit(store, companyRef(view.company.name), view.head, {
    tree: view.headTree,
    parents: [view.head, ...sides],
    message: `observe ${view.company.name}: conflict in ${conflicts.join(', ')}: each folder's version, before the push replaces it\n\n${rootTrailer}${[...byFolder.keys()].map((k) => `Folder: ${k}\n`).join('')}`,
  });
  view.head = commit;
  return commit;
}

/** An observed commit for what the company changed while the run was writing (the objects are in the store already). */
export async function observeDuringRun(store: Store, view: CompanyView, changed: Map<string, string | null>): Promise<string> {
  const entries = new Map((await store.readTree(view.headTree!)).map((e) => [e.name, e]));
  for (const [name, tree] of changed) {
    if (tree) entries.set(name, { name, mode: '40000', oid: tree });
    else entries.delete(name);
  }
  const tree = store.writeTree([...entries.values()]);
  const what = [...changed].map(([name, t]) => `${t ? 'changed' : 'removed'} ${name}`).join('; ');
  const commit = await recordCommit(store, companyRef(view.company.name), view.head, {
    tree,
    message: `observe ${view.company.name}: ${what} during the run\n\n${folderTrailers(view, [...changed.keys()])}`,
  });
  view.head = commit;
  view.headTree = tree;
  return commit;
}

/** Where the recorded change came from: the company folder, or (several folders) the root and each folder an edit was made in. */
function folderTrailers(view: CompanyView, skills?: string[]): string {
  if (!view.folders) return `Company-Folder: ${view.company.dir}\n`;
  const from = new Set((skills ?? [...view.changedIn.keys()]).flatMap((s) => view.changedIn.get(s) ?? []));
  return `Company-Root: ${view.company.root}\n${[...from].map((key) => `Folder: ${key}\n`).join('')}`;
}

/** Each folder of a company kept in several, recorded as found (before anything in them changes). */
async function recordFolderStates(store: Store, view: CompanyView): Promise<void> {
  const { folders, records } = view.folders!;
  const trees = new Map<string, string>();
  for (const f of folders) {
    if (f.identity) recordScanTree(store, f.scan.root, f.dir);
    trees.set(f.key, await folderTree(store, f, records.trees.get(f.key)));
  }
  await recordFolders(store, view.company.name, records, trees, `observe ${view.company.name}: its folders as found`);
}
