/**
 * What the library is right now. Four sources:
 * - a folder inside a git work tree: the committed tree at HEAD for that folder
 *   (uncommitted edits are reported, not distributed);
 * - a plain folder: distributed as it is;
 * - a ref of the store itself (a receiving machine with no library folder);
 * - a git URL, fetched into the store before a sync (src/fleet/library.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LibraryPolicy } from '../policy.js';
import { isValidName } from '../names.js';
import { StatCache } from '../scan/stat-cache.js';
import { statCacheFile } from '../scan/stat-cache-file.js';
import { recordScanTree } from '../scan/record.js';
import { buildTree, scanSkillsFolder, type ScanTree, type SkillProblem } from '../scan/scan.js';
import { filterSkillMap, treeFilterFor } from '../scan/filter-tree.js';
import type { TreeEntry } from '../store/objects.js';
import { Store, type ReadonlyStore } from '../store/store.js';
import { StoreError } from '../errors.js';
import { blockInvalidSkills, ValidationCache } from '../validate/library.js';
import { listFolder, listTree } from '../validate/listing.js';
import { LIBRARY_REF } from '../refs.js';
import { resolveSubmodules } from './submodules.js';
import { readUrlLibrary } from '../fleet/library.js';
import type { Finding } from '../validate/rules.js';

export interface LibraryView {
  kind: 'git' | 'folder' | 'ref' | 'url';
  /** Folder path or ref name, for messages. */
  source: string;
  /** The tree to record: the skills, and each blocked skill at its last recorded version (blocked is not absent). */
  tree: string;
  /** The skills to distribute. */
  skills: Map<string, string>;
  /** Skills that cannot be distributed this run; never treated as deleted. */
  blocked: Map<string, SkillProblem>;
  problems: SkillProblem[];
  /** Validation warnings of skills that are distributed anyway (SPEC.md, "Validation"). */
  warnings: Finding[];
  /** The library repository's HEAD commit (git kind). */
  sourceCommit: string | null;
  /** Skills whose working copy differs from HEAD (git kind). */
  uncommitted: string[];
  /** Put every object of `tree` into the store. */
  copyInto(store: Store): Promise<void>;
  /** Where this library's objects can be read before copyInto: its repository, its folder as scanned. */
  readable: { stores: ReadonlyStore[]; scan?: { root: ScanTree; dir: string } };
}

export function skillsOf(entries: TreeEntry[], source: string): Pick<LibraryView, 'skills' | 'blocked' | 'problems'> & { gitlinks: Map<string, string> } {
  const skills = new Map<string, string>();
  const blocked = new Map<string, SkillProblem>();
  const problems: SkillProblem[] = [];
  const gitlinks = new Map<string, string>();
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(source, e.name);
    if (!isValidName(e.name)) {
      problems.push({ skill: e.name, path: p, message: `library entry ${p}: invalid skill name ${JSON.stringify(e.name)}: rename it with ASCII letters, digits, '.', '_' and '-', starting with a letter or digit` });
    } else if (e.mode === '40000') {
      skills.set(e.name, e.oid);
    } else if (e.mode === '120000') {
      blocked.set(e.name, { skill: e.name, path: p, message: `library skill ${p} is a symlink: make it a real folder` });
    } else if ((e.mode as string) === '160000') {
      gitlinks.set(e.name, e.oid); // a submodule: src/library/submodules.ts
    }
  }
  return { skills, blocked, problems, gitlinks };
}

/**
 * Blocked is not absent: a library skill that cannot be distributed this run
 * keeps, in the library commit recorded now, the version last recorded, so the
 * store's history never says "removed" for it.
 */
export async function keptBlocked(store: ReadonlyStore | null, blocked: ReadonlyMap<string, SkillProblem>): Promise<TreeEntry[]> {
  const tip = store && blocked.size > 0 ? await store.readRef(LIBRARY_REF) : null;
  if (!tip) return [];
  const last = await store!.readTree((await store!.readCommit(tip)).tree);
  return last.filter((e) => e.mode === '40000' && blocked.has(e.name));
}

export { findGitDir, type GitRepo } from './repo.js';
import { findGitDir, type GitRepo } from './repo.js';

/** The repository's objects and refs, read-only. */
export function repoObjects(repo: GitRepo): Store {
  return Store.open(repo.commonDir);
}

/** The commit the work tree's HEAD points at (null in a repository with no commit yet). */
export async function repoHead(repo: GitRepo): Promise<string | null> {
  const text = fs.readFileSync(path.join(repo.gitdir, 'HEAD'), 'utf8').trim();
  if (/^[0-9a-f]{40}$/.test(text)) return text;
  const m = /^ref: (.+)$/.exec(text);
  return m ? repoObjects(repo).readRef(m[1]) : null;
}

export async function readLibrary(config: LibraryPolicy, store: ReadonlyStore | null): Promise<LibraryView> {
  // A skill that fails validation (SPEC.md, "Validation") is blocked: reported, skipped, not deleted.
  const validation = new ValidationCache(store ? path.join(store.dataDir, 'cache', 'validate.json') : null, config.maxFileBytes);
  if (config.libraryRef) return readFromRef(config, config.libraryRef, store, validation);
  if (config.libraryUrl) return readUrlLibrary(config, config.libraryUrl, store, validation);
  const dir = config.libraryDir!;
  const cache = new StatCache(store ? statCacheFile(store.dataDir, 'library') : null);
  const started = Date.now();
  const scan = scanSkillsFolder(dir, { cache, maxFileBytes: config.maxFileBytes, ignore: config.ignore, refuseReserved: true });
  const repo = findGitDir(dir);

  if (!repo) {
    const warnings = await blockInvalidSkills(scan.skills, scan.blocked, dir, validation, (name) => listFolder(path.join(dir, name), name, config.maxFileBytes), config.strictValidation);
    const skillEntries = scan.root.entries.filter((e) => scan.skills.has(e.name));
    const recorded = [...skillEntries, ...(await keptBlocked(store, scan.blocked))];
    return {
      kind: 'folder',
      source: dir,
      tree: buildTree(recorded).oid,
      skills: scan.skills,
      blocked: scan.blocked,
      problems: scan.problems,
      warnings,
      sourceCommit: null,
      uncommitted: [],
      readable: { stores: store ? [store] : [], scan: { root: scan.root, dir } },
      async copyInto(s) {
        for (const e of skillEntries) recordScanTree(s, e.tree!, path.join(dir, e.name));
        s.writeTree(recorded);
        cache.save(started);
        validation.save();
      },
    };
  }

  const repoStore = repoObjects(repo);
  const head = await repoHead(repo);
  const realDir = fs.realpathSync(dir);
  const entries = head ? await committedFolder(repoStore, head, path.relative(repo.workTree, realDir)) : [];
  const { gitlinks, ...view } = skillsOf(entries, dir);
  // A submodule's files are its recorded commit's tree, read from its own objects.
  const submodules = await resolveSubmodules(repo, realDir, gitlinks);
  for (const [name, sub] of submodules.resolved) view.skills.set(name, sub.tree);
  for (const [name, problem] of submodules.blocked) view.blocked.set(name, problem);
  const objectsOf = (name: string) => submodules.resolved.get(name)?.objects ?? repoStore;
  const warnings = await blockInvalidSkills(view.skills, view.blocked, dir, validation, (name, tree) => listTree(objectsOf(name), tree, name, config.maxFileBytes), config.strictValidation);
  // A committed .DS_Store or __pycache__ is litter here as in the company folders, which never hold it.
  const filter = treeFilterFor(config.ignore, store);
  const committed = view.skills;
  view.skills = new Map();
  for (const [name, oid] of committed) {
    const filtered = await filter.filter(objectsOf(name), oid, name);
    if (filtered) view.skills.set(name, filtered);
  }
  // The working copy was scanned only to report edits that are not committed (a submodule not fetched is blocked, not uncommitted).
  const uncommitted = [...new Set([...scan.skills.keys(), ...view.skills.keys()])]
    .filter((s) => scan.skills.get(s) !== view.skills.get(s) && !submodules.blocked.has(s))
    .sort();
  const recorded: TreeEntry[] = [...[...view.skills].map(([name, oid]): TreeEntry => ({ name, mode: '40000', oid })), ...(await keptBlocked(store, view.blocked))];
  return {
    kind: 'git',
    source: dir,
    tree: buildTree(recorded).oid,
    ...view,
    warnings,
    sourceCommit: head,
    uncommitted,
    readable: { stores: [...(store ? [store] : []), repoStore, ...[...submodules.resolved.values()].map((r) => r.objects)] },
    async copyInto(s) {
      for (const [name, oid] of committed) if (view.skills.has(name)) await filter.materialize(objectsOf(name), s, oid, name);
      s.writeTree(recorded);
      cache.save(started);
      validation.save();
      filter.save();
    },
  };
}

/** The entries of folder `rel` in a commit's tree; empty if it is not committed yet. */
async function committedFolder(repo: ReadonlyStore, commit: string, rel: string): Promise<TreeEntry[]> {
  return folderAt(repo, (await repo.readCommit(commit)).tree, rel);
}

/** The entries of folder `rel` (a relative path) inside a tree; empty if it is not there. */
export async function folderAt(repo: ReadonlyStore, tree: string, rel: string): Promise<TreeEntry[]> {
  for (const segment of rel.split(path.sep).filter(Boolean)) {
    const entry = (await repo.readTree(tree)).find((e) => e.name === segment && e.mode === '40000');
    if (!entry) return [];
    tree = entry.oid;
  }
  return repo.readTree(tree);
}

async function readFromRef(config: LibraryPolicy, ref: string, store: ReadonlyStore | null, validation: ValidationCache): Promise<LibraryView> {
  const commit = store ? await store.readRef(ref) : null;
  if (!store || !commit) {
    throw new StoreError(`library ref ${ref} does not exist in the store yet: push a library to it (forge-sync) first`);
  }
  const tree = (await store.readCommit(commit)).tree;
  const { gitlinks: _gitlinks, ...view } = skillsOf(await store.readTree(tree), ref); // a pushed library holds no submodule objects
  // Blocked skills stay in the recorded tree: this ref's commit is recorded as is.
  return storedLibrary(config, store, validation, { kind: 'ref', source: ref, commit, recordAs: tree }, view);
}

/**
 * A library whose objects are already in the store (a pushed ref, a fetched
 * URL), validated and filtered by the ignore rules as a git library's committed
 * tree is. Recorded as `recordAs`, or else as the kept skills plus each blocked
 * one at its last recorded version (blocked is not absent).
 */
export async function storedLibrary(
  config: Pick<LibraryPolicy, 'ignore' | 'strictValidation'>,
  store: ReadonlyStore,
  validation: ValidationCache,
  from: { kind: 'ref' | 'url'; source: string; commit: string; recordAs?: string },
  view: Pick<LibraryView, 'skills' | 'blocked' | 'problems'>,
): Promise<LibraryView> {
  const warnings = await blockInvalidSkills(view.skills, view.blocked, from.source, validation, (name, oid) => listTree(store, oid, name, validation.maxFileBytes), config.strictValidation);
  // A committed .DS_Store or __pycache__ is litter here as in the company folders, which never hold it.
  const filter = treeFilterFor(config.ignore, store);
  const committed = view.skills;
  const skills = await filterSkillMap(filter, store, committed, null);
  const recorded = from.recordAs ? null : [...[...skills].map(([name, oid]): TreeEntry => ({ name, mode: '40000', oid })), ...(await keptBlocked(store, view.blocked))];
  return {
    kind: from.kind,
    source: from.source,
    tree: from.recordAs ?? buildTree(recorded!).oid,
    ...view,
    skills,
    warnings,
    sourceCommit: from.commit,
    uncommitted: [],
    readable: { stores: [store] },
    async copyInto(s) {
      for (const [name, oid] of committed) if (skills.has(name)) await filter.materialize(store, s, oid, name);
      if (recorded) s.writeTree(recorded);
      validation.save();
      filter.save();
    },
  };
}
