/**
 * Apply: every write of a sync or push, in this order, so that a company's
 * state is in the store before anything in its folder changes:
 *   1. the library's objects and commit;
 *   2. per company, an observed commit of the folder as read;
 *   3. one automatic snapshot, just before the first folder changes (none if nothing does);
 *   4. per company, skill by skill through the compare-and-swap writer, then
 *      the distribution commit, the merge base and the open conflicts;
 *   5. the run state.
 * One failing company never stops the others; a lost lock stops everything.
 */
import pLimit from 'p-limit';
import type { Config } from '../config.js';
import type { Policies } from '../policy.js';
import { exitStatus } from '../exit-codes.js';
import type { Logger } from '../log.js';
import { BlobReader } from '../apply/blob-reader.js';
import { recordConflicts } from '../apply/merge-files.js';
import { SkillWriter } from '../apply/writer.js';
import { writeSkills } from '../apply/write-skills.js';
import { writeFolders } from '../folders/apply.js';
import { observe, observeConflictSides, skillMapOf, writeBaseTree, type CompanyView } from '../company.js';
import { baseRef, companyRef, describeSkillChanges, LIBRARY_REF, recordCommit } from '../refs.js';
import type { LibraryView } from '../library/source.js';
import type { SkillMergePlan } from '../merge/file-merge.js';
import { countStates, type CompanyPlan, type PlannedSkill, type SyncRequest } from '../merge/plan.js';
import { treeFilterFor } from '../scan/filter-tree.js';
import { autoSnapshot } from '../snapshot/snapshot.js';
import { writeRunState, type RunState } from '../run-state.js';
import { EMPTY_TREE_OID, type TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { writePlanned } from '../store/tree-files.js';
import type { CompanyOutcome } from './outcome.js';
import { fail, skippedOf } from './outcome.js';
import type { Workspace } from './read.js';
import type { PlannedCompany } from './plan.js';

export interface ApplyContext {
  config: Config;
  policies: Policies;
  store: Store;
  log: Logger;
  /** --force: a push also replaces git checkouts' files. */
  force: boolean;
}

/** Record the library tree as a commit on refs/heads/library, once per distinct tree. */
export async function recordLibrary(store: Store, library: LibraryView, tip: string | null): Promise<string> {
  await library.copyInto(store);
  if (library.kind === 'ref') return library.sourceCommit!;
  const prevTree = tip ? (await store.readCommit(tip)).tree : null;
  if (tip && prevTree === library.tree) return tip;
  const before = prevTree ? await skillMapOf(store, prevTree) : new Map<string, string>();
  // The recorded tree, not the skills distributed: a blocked skill keeps its last version there, so it is not "removed".
  const summary = describeSkillChanges(before, await skillMapOf(store, library.tree), { added: 'added', changed: 'updated', removed: 'removed' });
  const trailers = [`Library-Source: ${library.source}`];
  if (library.sourceCommit) trailers.push(`Source-Commit: ${library.sourceCommit}`);
  const message = `library: ${summary || 'no skill changes'}\n\n${trailers.join('\n')}\n`;
  return recordCommit(store, LIBRARY_REF, tip, { tree: library.tree, message });
}

const changes = (p: PlannedCompany) => p.plan?.skills.some((s) => s.action === 'take-library' || s.action === 'remove' || (s.action === 'merge' && s.merge.tree !== s.company)) ?? false;

export async function applySync(
  ctx: ApplyContext,
  ws: Workspace,
  planned: PlannedCompany[],
  request: SyncRequest,
  onCompanyDone?: (o: CompanyOutcome) => void,
): Promise<{ libraryCommit: string; snapshot: string | null }> {
  const { config, store, log } = ctx;
  const libraryCommit = await recordLibrary(store, ws.library, ws.libraryTip);
  const limit = pLimit(Math.max(1, config.writeConcurrency));

  // Each folder as read goes into the store first; a refused plan fails its company after that.
  await Promise.all(
    planned.map((p) =>
      limit(async () => {
        if (!p.view || !p.outcome.ok) return;
        try {
          p.outcome.commits.observed = await observe(store, p.view);
          const refusal = p.plan?.guard ?? (p.plan?.refused ? `company ${p.outcome.name} ${p.plan.refused}: run \`library sync --fix --company ${p.outcome.name}\` first` : undefined);
          if (refusal) {
            p.view.cache.save(p.view.scanStarted);
            fail(p.outcome, refusal);
            return;
          }
          // A push over a conflict: each folder's edit goes into the company's history before the push replaces it.
          const resolved = p.plan?.skills.filter((s) => s.state === 'conflict' && s.action === 'take-library').map((s) => s.name) ?? [];
          p.outcome.commits.observed = (await observeConflictSides(store, p.view, resolved)) ?? p.outcome.commits.observed;
        } catch (err) {
          fail(p.outcome, err);
        }
      }),
    ),
  );

  let snapshot: string | null = null;
  let snapshotting: Promise<void> | undefined;
  const beforeFirstChange = (): Promise<void> =>
    (snapshotting ??= (async () => {
      const changing = planned.filter((p) => p.outcome.ok && changes(p)).map((p) => p.outcome.name);
      // No skill of the library's changing: the run only copies a company's edit between its folders.
      const detail = `${request.kind === 'push' ? `push ${[...request.skills].join(', ')} to` : 'sync --fix of'} ${changing.join(', ') || "companies' edits into their other folders"}`;
      snapshot = await autoSnapshot(store, request.kind === 'push' ? 'push' : 'sync', config.snapshotsKeep, detail);
      log.info({ action: 'snapshot', snapshot }, `snapshot ${snapshot} taken before changes`);
    })());

  const blobs = new BlobReader(store);
  await Promise.all(
    planned.map((p) =>
      limit(async () => {
        if (p.outcome.ok && p.view && p.plan) {
          await applyCompany({ ...ctx, blobs, beforeFirstChange }, p.view, p.plan, p.outcome, libraryCommit, request).catch((err: unknown) => fail(p.outcome, err));
        }
        onCompanyDone?.(p.outcome);
      }),
    ),
  );
  const outcomes = planned.map((p) => p.outcome);
  recordRunState(store, ws.runState, outcomes, skippedOf(ws.library, ws.problems, outcomes));
  treeFilterFor(ctx.policies.scan.ignore, store).save();
  return { libraryCommit, snapshot };
}

interface CompanyApplyContext extends ApplyContext {
  blobs: BlobReader;
  /** Resolves once the run's automatic snapshot exists; call before changing any folder. */
  beforeFirstChange: () => Promise<void>;
}

/** One company's writes; a failed skill keeps its old folder and its old base. */
async function applyCompany(
  { store, blobs, log, policies, force, beforeFirstChange }: CompanyApplyContext,
  view: CompanyView,
  plan: CompanyPlan,
  outcome: CompanyOutcome,
  libraryCommit: string,
  request: SyncRequest,
): Promise<void> {
  const { company, scan, cache } = view;
  const writer = new SkillWriter({ store, blobs, identity: view.identity, cache, maxFileBytes: policies.scan.maxFileBytes, ignore: policies.scan.ignore });
  const rootEntries = new Map<string, TreeEntry>(scan.root.entries.map(({ name, mode, oid }) => [name, { name, mode, oid }]));
  const setSkill = (name: string, tree: string | null) => (tree ? rootEntries.set(name, { name, mode: '40000', oid: tree }) : rootEntries.delete(name));
  const nextBase = new Map(plan.nextBase);
  const keepBase = (s: PlannedSkill, base = s.base) => (base === undefined ? nextBase.delete(s.name) : nextBase.set(s.name, base));
  const emptied = new Set(view.emptied);
  const merges: SkillMergePlan[] = [];
  const dropMerge = (s: PlannedSkill) => s.action === 'merge' && merges.splice(merges.indexOf(s.merge), 1);
  const changing = plan.skills.filter((s) => s.action !== 'none' && s.action !== 'keep-company');
  // What a skill's writes mean for the company, settled once per skill (over all its folders, for a company kept in several).
  const settle = {
    done(s: PlannedSkill, next: string | null, wrote = 1) {
      if (s.action === 'none' || s.action === 'keep-company') {
        if (wrote > 0) outcome.applied.copied.push(s.name); // the company's version, taken to its other folders
        return;
      }
      setSkill(s.name, next);
      if (s.action === 'merge') {
        outcome.applied.merged.push(s.name);
        if (s.merge.tree === EMPTY_TREE_OID) emptied.add(s.name);
        else emptied.delete(s.name);
      } else if (next === null) outcome.applied.removed.push(s.name);
      else (s.company === undefined ? outcome.applied.added : outcome.applied.updated).push(s.name);
    },
    changed(s: PlannedSkill, found: string | null) {
      // An override for this run, compared (as a first-sync override is) with the library version it diverged from.
      setSkill(s.name, found);
      keepBase(s, s.base ?? s.library);
      dropMerge(s);
      Object.assign(s, { state: 'override', action: 'keep-company', company: found ?? undefined });
      outcome.applied.changedDuringRun.push(s.name);
    },
    failed(s: PlannedSkill) {
      keepBase(s);
      dropMerge(s);
      outcome.applied.failed.push(s.name);
    },
  };
  const retry = request.kind === 'push' ? "push again if you still want the library's" : undefined;
  const { failures, observedDuringRun } = view.folders
    ? await writeCompanyFolders()
    : await writeSkills(changing, {
        store,
        writer,
        view,
        log,
        verb: 'update',
        retry,
        skillOf: (s) => s.name,
        async prepare(s) {
          let next: string | null = targetOf(s);
          if (s.action === 'merge') {
            writePlanned(store, s.merge.objects);
            merges.push(s.merge);
            if (s.merge.tree === s.company) {
              outcome.applied.kept.push(s.name);
              return null;
            }
            if (next === EMPTY_TREE_OID) next = null; // each side deleted what the other kept: no folder, and not the company's deletion
          }
          await beforeFirstChange();
          // The folder as scanned (a copy read as the library's because only its names' Unicode form differs is compared as it is).
          const expected = s.company === undefined || s.company === EMPTY_TREE_OID ? null : (view.scan.skills.get(s.name) ?? s.company);
          return { skill: s.name, expected, next };
        },
        done: (s, { next }) => settle.done(s, next),
        changed: (s, _write, found) => settle.changed(s, found),
        failed: (s) => settle.failed(s),
      });

  /** Every folder of a company kept in several: each holds the company's skill set after the plan (src/folders/apply.ts). */
  async function writeCompanyFolders() {
    for (const s of changing) {
      if (s.action !== 'merge') continue;
      writePlanned(store, s.merge.objects);
      merges.push(s.merge);
    }
    const targets = (s: PlannedSkill) => (s.action === 'none' || s.action === 'keep-company' ? (s.company ?? null) : targetOf(s));
    return writeFolders({ store, blobs, log, scan: policies.scan, retry, force: request.kind === 'push' && force, beforeFirstChange }, view, plan.skills, targets, settle);
  }
  outcome.commits.observedDuringRun = observedDuringRun;
  outcome.merges = merges.map(({ objects: _objects, ...m }) => m);
  outcome.counts = countStates(outcome.skills);
  if (request.kind === 'sync') await recordConflicts(store, company.name, merges, libraryCommit);

  // The per-skill merge base: a tree of skill → library skill tree, on refs/bases/<company>. It goes first: a run
  // killed or frozen between the two refs then leaves a base without its distribution commit, which the next run
  // records, never a distribution without its base (which would stop the company until `doctor --repair`).
  for (const name of emptied) if (rootEntries.has(name) || !nextBase.has(name)) emptied.delete(name); // back in the folder, or gone for good
  const filter = treeFilterFor(policies.scan.ignore, store);
  for (const oid of nextBase.values()) await filter.ensure(store, oid); // bases filtered of litter this run
  const nextBaseTree = writeBaseTree(store, nextBase, emptied);
  if (nextBaseTree !== view.baseTree) await store.updateRef(baseRef(company.name), nextBaseTree, view.baseTree);

  // Record the distribution as a merge of the library into the company.
  const tree = store.writeTree([...rootEntries.values()]);
  if (tree !== view.headTree || view.distributedCommit !== libraryCommit) {
    const head = view.head!;
    const parents = libraryCommit !== head ? [head, libraryCommit] : [head];
    outcome.commits.distribution = await recordCommit(store, companyRef(company.name), head, { tree, parents, message: distributionMessage(company.name, request, outcome, libraryCommit) });
  }
  if (failures.length > 0) fail(outcome, failures.join('; '));
}

/** The tree a skill's folder is to hold after --fix (null: no folder). */
function targetOf(s: PlannedSkill): string | null {
  switch (s.action) {
    case 'take-library':
      return s.library;
    case 'merge':
      return s.merge.tree;
    case 'remove':
      return null;
    default:
      return s.company ?? null;
  }
}

function distributionMessage(name: string, request: SyncRequest, o: CompanyOutcome, libraryCommit: string): string {
  const parts: string[] = [];
  const list = (label: string, xs: string[]) => xs.length && parts.push(`${label} ${xs.join(', ')}`);
  list('added', o.applied.added);
  list('updated', o.applied.updated);
  list('removed', o.applied.removed);
  list('merged from the library into overrides:', o.applied.merged);
  list('overrides kept:', o.applied.kept);
  list('changed by the company during this run, kept:', o.applied.changedDuringRun);
  list("copied to the company's other folders:", o.applied.copied);
  list('failed:', o.applied.failed);
  const title = request.kind === 'push' ? `push ${[...request.skills].join(', ')} to ${name}` : `distribute library ${libraryCommit.slice(0, 7)} to ${name}`;
  return `${title}: ${parts.join('; ') || 'nothing to change'}\n\nLibrary-Commit: ${libraryCommit}\n`;
}

/** Per company the last successful sync, its error and what it skipped; for the run, the exit code its command gives. */
function recordRunState(store: Store, runState: RunState, outcomes: CompanyOutcome[], skipped: ReturnType<typeof skippedOf>): void {
  const now = new Date().toISOString();
  for (const o of outcomes) {
    const prev = runState.companies[o.name] ?? { lastSync: null, lastAttempt: null, lastError: null };
    runState.companies[o.name] = { ...prev, lastSync: o.ok ? now : prev.lastSync, lastAttempt: now, lastError: o.error, skipped: skipped.companies.get(o.name) ?? [] };
    o.lastSync = runState.companies[o.name].lastSync;
  }
  const failed = outcomes.filter((o) => !o.ok).map((o) => o.name);
  const exitCode = exitStatus([failed.length > 0 && 'incomplete', skipped.count > 0 && 'needs-attention']);
  runState.lastRun = { at: now, ok: exitCode === 0, failed, exitCode, skipped: skipped.run };
  writeRunState(store, runState);
}
