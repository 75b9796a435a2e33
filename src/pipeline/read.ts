/**
 * Read: everything the plan needs, and nothing written. The library as it is
 * now, each company's folder as scanned (actual state), its last recorded
 * commit and merge base, the earlier library versions when a copy without a
 * base needs them, and for file-level merges the three flat trees (and, for
 * "line", the texts) of each skill that will be merged. A company that cannot
 * be read is a failed read, not a failed run.
 */
import type { Config } from '../config.js';
import type { Policies } from '../policy.js';
import { resolveCompanies, selectCompanies, type Company, type ResolvedCompanies } from '../companies.js';
import { companyStatCaches, scanCompany, type CompanyView } from '../company.js';
import { ObjectOverlay } from '../drift/objects.js';
import { LIBRARY_REF } from '../refs.js';
import { earlierLibraryVersions, type EarlierVersions } from '../library/earlier-versions.js';
import { readLibrary, type LibraryView } from '../library/source.js';
import { pathsToMergeByLine, type SkillMergeInput } from '../merge/file-merge.js';
import { needsEarlier, needsMergeInput, type SyncRequest } from '../merge/plan.js';
import { treeFilterFor } from '../scan/filter-tree.js';
import { sameUnderNfc } from '../scan/name-forms.js';
import type { ScanTree } from '../scan/scan.js';
import { startPreload } from '../scan/preload.js';
import { readRunState, type RunState } from '../run-state.js';
import { EMPTY_TREE_OID } from '../store/objects.js';
import type { ReadonlyStore } from '../store/store.js';
import { flattenTree } from '../store/tree-files.js';

export type CompanyRead =
  | { company: Company; ok: true; view: CompanyView; mergeInputs: Map<string, SkillMergeInput> }
  | { company: Company; ok: false; error: unknown };

export interface Workspace {
  config: Config;
  store: ReadonlyStore | null;
  library: LibraryView;
  /** refs/heads/library now. */
  libraryTip: string | null;
  /** The recorded library commit whose tree is this library, or null until apply records it. */
  libraryCommit: string | null;
  companies: CompanyRead[];
  /** Folders matched by the glob but unusable (bad name). */
  problems: ResolvedCompanies['problems'];
  runState: RunState;
  /** Earlier library versions, read only if a company holds a copy with no base that differs from the library. */
  earlier: EarlierVersions | null;
}

export interface ReadOptions {
  companies?: string[];
  request: SyncRequest;
  /** The library, when the caller has read it already (a push checks its skills before anything else). */
  library?: LibraryView;
  /** The companies, when the caller has looked them up already (sync recovers them first). */
  resolved?: ResolvedCompanies;
}

export async function readWorkspace(config: Config, policies: Policies, store: ReadonlyStore | null, opts: ReadOptions): Promise<Workspace> {
  const resolved = opts.resolved ?? resolveCompanies(config);
  const { problems } = resolved;
  const companies = selectCompanies(config, opts.companies, resolved);
  const library = opts.library ?? (await readLibrary(policies.library, store));
  const libraryTip = store ? await store.readRef(config.libraryRef ?? LIBRARY_REF) : null;
  let libraryCommit: string | null = null;
  if (library.kind === 'ref') libraryCommit = library.sourceCommit;
  else if (store && libraryTip && (await store.readCommit(libraryTip)).tree === library.tree) libraryCommit = libraryTip;

  const filter = treeFilterFor(policies.scan.ignore, store);
  // Only file-level merges read trees beyond the plan's ids: built when the first one needs it.
  let overlay: ObjectOverlay | undefined;
  const reader = (): ObjectOverlay => {
    if (!overlay) {
      overlay = new ObjectOverlay([...(store ? [store] : []), ...library.readable.stores.filter((s) => s !== store)], filter);
      if (library.readable.scan) overlay.addScan(library.readable.scan.root, library.readable.scan.dir);
    }
    return overlay;
  };

  const reads: CompanyRead[] = [];
  // A worker thread lstat-s the later companies' files while this thread scans the first ones (src/scan/preload.ts).
  const preload = store ? startPreload(companies.flatMap((c, index) => companyStatCaches(store.dataDir, c).map((f) => ({ index, ...f })))) : null;
  try {
    for (const [index, company] of companies.entries()) {
      try {
        const view = await scanCompany(store, company, policies.scan, library.skills, preload?.take(index));
        await readNameForms(view, library, reader);
        reads.push({ company, ok: true, view, mergeInputs: await readMergeInputs(config, reader, library, view, opts.request) });
      } catch (err) {
        reads.push({ company, ok: false, error: err });
      }
    }
  } finally {
    preload?.stop();
  }

  const stale = reads.some((r) => r.ok && [...r.view.skills.keys()].some((name) => needsEarlier({ library: library.skills, company: r.view.skills, base: r.view.base }, name)));
  const earlier = stale ? await earlierLibraryVersions(policies.library, store, library.sourceCommit, filter) : null;
  return { config, store, library, libraryTip, libraryCommit, companies: reads, problems, runState: readRunState(store), earlier };
}

/**
 * A copy that differs from the library's version or its base only in how its
 * names are spelled (NFC, NFD) is that version: in the company's skill set,
 * and in each of its folders (so no folder is rewritten for a spelling).
 */
async function readNameForms(view: CompanyView, library: LibraryView, reader: () => ObjectOverlay): Promise<void> {
  const sameIn = (scan: CompanyView['scan']) => {
    const trees = new Map<string, ScanTree>();
    for (const e of scan.root.entries) if (e.tree && scan.skills.has(e.name)) trees.set(e.name, e.tree);
    return sameUnderNfc(trees, (name) => [library.skills.get(name), view.base?.get(name)], { readTree: (oid) => reader().readTree(oid) });
  };
  for (const folder of view.folders?.folders ?? []) {
    const same = await sameIn(folder.scan);
    if (same.size > 0) folder.state.sameAs = same;
  }
  const same = await sameIn(view.scan);
  if (same.size === 0) return;
  view.skills = new Map(view.scan.skills);
  for (const [name, tree] of same) view.skills.set(name, tree);
}

/** The flat trees (and texts) of every skill the plan will merge file by file. */
async function readMergeInputs(config: Config, readerOf: () => ObjectOverlay, library: LibraryView, view: CompanyView, request: SyncRequest): Promise<Map<string, SkillMergeInput>> {
  const out = new Map<string, SkillMergeInput>();
  if (config.merge === 'skill' || request.kind !== 'sync' || !view.base) return out;
  // A skill a merge emptied is held as the empty tree (src/merge/plan.ts), so it can be merged again.
  const company = new Map(view.skills);
  for (const name of view.emptied) if (!company.has(name)) company.set(name, EMPTY_TREE_OID);
  const sides = { library: library.skills, company, base: view.base };
  let reader: ObjectOverlay | undefined;
  const flat = (t: string | undefined) => (t === EMPTY_TREE_OID ? Promise.resolve(new Map()) : flattenTree(reader!, t));
  for (const name of company.keys()) {
    if (!needsMergeInput(sides, name)) continue;
    if (!reader) {
      reader = readerOf();
      reader.addScan(view.scan.root, view.company.dir);
    }
    const [base, lib, ours] = await Promise.all([view.base.get(name), library.skills.get(name), company.get(name)].map(flat));
    const texts = new Map<string, { base?: Buffer; library: Buffer; company: Buffer }>();
    if (config.merge === 'line') {
      for (const p of pathsToMergeByLine(base, lib, ours)) {
        const b = base.get(p);
        texts.set(p, { base: b ? await reader.readBlob(b.oid) : undefined, library: await reader.readBlob(lib.get(p)!.oid), company: await reader.readBlob(ours.get(p)!.oid) });
      }
    }
    out.set(name, { base, library: lib, company: ours, texts });
  }
  return out;
}
