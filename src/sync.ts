/**
 * The pipeline. Phase 1, per company: scan the folder, plan the merge, and
 * (when writing) record what the company has as an observed commit. Then, if
 * anything will change, one automatic snapshot of the whole store. Phase 2,
 * per company: apply the plan skill by skill, atomically, and record the
 * distribution. A company's state is in the store before anything in its
 * folder changes, and one failing company never stops the others.
 */
import path from 'node:path';
import pLimit from 'p-limit';
import { type Company, type Config, type ResolvedCompanies, resolveCompanies } from './config.js';
import { UsageError, errorMessage, isRunFatal } from './errors.js';
import type { Logger } from './log.js';
import { readLibrary, type LibraryView } from './library/source.js';
import { countStates, needsEarlier, planCompany, type CompanyPlan, type PlannedSkill } from './merge/plan.js';
import { earlierLibraryVersions, type EarlierVersions } from './library/earlier-versions.js';
import type { SkillState } from './merge/decide.js';
import { BlobReader } from './apply/apply.js';
import { SkillWriter } from './apply/writer.js';
import { ignoreRulesOf } from './scan/ignore.js';
import { treeFilterFor } from './scan/filter-tree.js';
import { mergeSkillFiles, recordConflicts, type SkillMerge } from './apply/merge-files.js';
import { planFileMerges } from './merge/file-merge.js';
import type { SkillProblem } from './scan/scan.js';
import type { TreeEntry } from './store/objects.js';
import type { Store } from './store/store.js';
import { readRunState, writeRunState, type RunState } from './state.js';
import { baseRef, companyRef, EMPTY_TREE, LIBRARY_REF, signature, describeSkillChanges } from './history.js';
import { observe, observeDuringRun, readCompany, skillMapOf, writeBaseTree, type CompanyView } from './company.js';
import { autoSnapshot } from './snapshot/snapshot.js';

export { skillMapOf };

export type SyncMode = 'plan' | 'fix' | 'push';

export interface SyncOptions {
  mode: SyncMode;
  companies?: string[];
  /** push: the skill to force. */
  skill?: string;
  force?: boolean;
  allowEmptyLibrary?: boolean;
}

export interface CompanyOutcome {
  name: string;
  dir: string;
  ok: boolean;
  error: string | null;
  /** The library commit last distributed to this company, before this run. */
  distributedCommit: string | null;
  lastSync: string | null;
  skills: PlannedSkill[];
  counts: Record<SkillState, number>;
  blocked: SkillProblem[];
  applied: { added: string[]; updated: string[]; removed: string[]; kept: string[]; failed: string[]; merged: string[]; changedDuringRun: string[] };
  /** File-level merges of overrides (config `merge`), with their conflicts. */
  merges: SkillMerge[];
  commits: { observed: string | null; observedDuringRun: string | null; distribution: string | null };
  recovered: string[];
}

export interface SyncResult {
  mode: SyncMode;
  libraryCommit: string | null;
  library: LibraryView;
  companies: CompanyOutcome[];
  /** Companies matched by the glob but unusable (bad name). */
  problems: ResolvedCompanies['problems'];
  /** The automatic snapshot taken before changes, if any. */
  snapshot: string | null;
}

export interface SyncContext {
  config: Config;
  /** null in plan mode when no store exists yet. */
  store: Store | null;
  log: Logger;
}

interface Prepared {
  outcome: CompanyOutcome;
  view?: CompanyView;
  plan?: CompanyPlan;
  started: number;
}

export async function runSync(ctx: SyncContext, opts: SyncOptions): Promise<SyncResult> {
  const { config, store, log } = ctx;
  const writing = opts.mode !== 'plan';
  const { companies: all, problems } = resolveCompanies(config);
  const companies = selectCompanies(all, opts.companies, config);
  const library = await readLibrary(config, store);
  for (const p of [...library.problems, ...library.blocked.values()]) log.warn({ skill: p.skill, path: p.path }, p.message);
  if (opts.skill && !library.skills.has(opts.skill)) {
    throw new UsageError(`skill "${opts.skill}" is not in the library (${library.source}): nothing to push`);
  }
  if (library.skills.size === 0 && !opts.allowEmptyLibrary) {
    throw new UsageError(
      `library ${library.source} has no skills: refusing to sync, since an unmounted or emptied library would remove every company's skills; pass --allow-empty-library if this is intended`,
    );
  }

  let libraryCommit: string | null = store ? await store.readRef(LIBRARY_REF) : null;
  if (store && writing) libraryCommit = await recordLibrary(store, library, libraryCommit);
  else if (store && libraryCommit && (await store.readCommit(libraryCommit)).tree !== library.tree) libraryCommit = null;

  const runState = readRunState(store);
  const limit = pLimit(Math.max(1, config.concurrency));
  // Read once, and only if some company holds a copy with no merge base that differs from the library.
  let earlier: Promise<EarlierVersions> | undefined;
  const earlierVersions = () => (earlier ??= earlierLibraryVersions(config, store, library.sourceCommit, treeFilterFor(ignoreRulesOf(config), store)));
  const prepared = await Promise.all(
    companies.map((company) => limit(() => prepareCompany(ctx, company, library, runState, opts, earlierVersions))),
  );

  // One snapshot of the whole store, taken just before the first change to any folder (none if nothing changes).
  let snapshot: string | null = null;
  let snapshotting: Promise<void> | undefined;
  const beforeFirstChange = (): Promise<void> =>
    (snapshotting ??= (async () => {
      const changing = prepared.filter((p) => p.plan?.skills.some((s) => s.action !== 'none' && s.action !== 'keep-company'));
      const detail = `${opts.mode === 'push' ? `push ${opts.skill} to` : 'sync --fix of'} ${changing.map((p) => p.outcome.name).join(', ')}`;
      snapshot = await autoSnapshot(store!, opts.mode === 'push' ? 'push' : 'sync', config.snapshotsKeep, detail);
      log.info({ action: 'snapshot', snapshot }, `snapshot ${snapshot} taken before changes`);
    })());

  const blobs = store ? new BlobReader(store) : null;
  const outcomes = await Promise.all(
    prepared.map((p) =>
      limit(async () => {
        const { outcome } = p;
        if (outcome.ok && p.view && p.plan && store && writing) {
          await applyCompany({ store, blobs: blobs!, log, config, beforeFirstChange }, p.view, p.plan, outcome, libraryCommit!, opts).catch((err: unknown) => fail(outcome, err));
        }
        logOutcome(log, outcome, opts.mode, Date.now() - p.started);
        return outcome;
      }),
    ),
  );
  if (store && writing) {
    recordRunState(store, runState, outcomes);
    treeFilterFor(ignoreRulesOf(config), store).save();
  }
  return { mode: opts.mode, libraryCommit, library, companies: outcomes, problems, snapshot };
}

/**
 * 0 when everything went through; 1 when a company failed, or anything was
 * skipped (a blocked skill, an invalid name): each needs a person, and the
 * scheduler's LastExitStatus should say so.
 */
export function exitCodeOf(result: SyncResult): number {
  const skipped = result.library.problems.length + result.library.blocked.size + result.problems.length;
  return result.companies.every((c) => c.ok && c.blocked.length === 0) && skipped === 0 ? 0 : 1;
}

function selectCompanies(all: Company[], wanted: string[] | undefined, config: Config): Company[] {
  if (!wanted || wanted.length === 0) return all;
  return wanted.map((name) => {
    const c = all.find((x) => x.name === name);
    if (!c) {
      throw new UsageError(`unknown company "${name}": known companies are ${all.map((x) => x.name).join(', ') || '(none)'} (from ${config.file})`);
    }
    return c;
  });
}

/** Record the library tree as a commit on refs/heads/library, once per distinct tree. */
async function recordLibrary(store: Store, library: LibraryView, tip: string | null): Promise<string> {
  await library.copyInto(store);
  if (library.kind === 'ref') return library.sourceCommit!;
  const prevTree = tip ? (await store.readCommit(tip)).tree : null;
  if (tip && prevTree === library.tree) return tip;
  const before = prevTree ? await skillMapOf(store, prevTree) : new Map<string, string>();
  const summary = describeSkillChanges(before, library.skills, { added: 'added', changed: 'updated', removed: 'removed' });
  const trailers = [`Library-Source: ${library.source}`];
  if (library.sourceCommit) trailers.push(`Source-Commit: ${library.sourceCommit}`);
  const message = `library: ${summary || 'no skill changes'}\n\n${trailers.join('\n')}\n`;
  const commit = store.writeCommit({ tree: library.tree, parents: tip ? [tip] : [], author: signature(), message });
  await store.updateRef(LIBRARY_REF, commit, tip);
  return commit;
}

function newOutcome(company: Company, runState: RunState): CompanyOutcome {
  return {
    name: company.name,
    dir: company.dir,
    ok: true,
    error: null,
    distributedCommit: null,
    lastSync: runState.companies[company.name]?.lastSync ?? null,
    skills: [],
    counts: countStates([]),
    blocked: [],
    applied: { added: [], updated: [], removed: [], kept: [], failed: [], merged: [], changedDuringRun: [] },
    merges: [],
    commits: { observed: null, observedDuringRun: null, distribution: null },
    recovered: [],
  };
}

function fail(outcome: CompanyOutcome, err: unknown): void {
  if (isRunFatal(err)) throw err; // the lock was lost: nothing more may be written, for any company
  outcome.ok = false;
  outcome.error = `company ${outcome.name} (${outcome.dir}): ${errorMessage(err)}`;
}

function logOutcome(log: Logger, o: CompanyOutcome, mode: SyncMode, durationMs: number): void {
  const fields = {
    company: o.name,
    action: mode,
    durationMs,
    added: o.applied.added.length,
    updated: o.applied.updated.length,
    removed: o.applied.removed.length,
    overrides: o.counts.override + o.counts['override-behind'],
    companyOnly: o.counts['company-only'],
    inSync: o.counts['in-sync'],
    blocked: o.blocked.length,
  };
  for (const line of o.recovered) log.warn({ company: o.name }, line);
  for (const b of o.blocked) log.warn({ company: o.name, skill: b.skill, path: b.path }, b.message);
  if (o.ok) log.info(fields, `${o.name}: ${mode} ok`);
  else log.error({ ...fields, err: o.error }, o.error ?? 'failed');
}

function recordRunState(store: Store, runState: RunState, outcomes: CompanyOutcome[]): void {
  const now = new Date().toISOString();
  for (const o of outcomes) {
    const prev = runState.companies[o.name] ?? { lastSync: null, lastAttempt: null, lastError: null };
    runState.companies[o.name] = { ...prev, lastSync: o.ok ? now : prev.lastSync, lastAttempt: now, lastError: o.error };
    o.lastSync = runState.companies[o.name].lastSync;
  }
  runState.lastRun = { at: now, ok: outcomes.every((o) => o.ok), failed: outcomes.filter((o) => !o.ok).map((o) => o.name) };
  writeRunState(store, runState);
}

/** Phase 1: scan, plan, and (when writing) observe. Never throws: failures land in the outcome. */
async function prepareCompany(
  ctx: SyncContext,
  company: Company,
  library: LibraryView,
  runState: RunState,
  opts: SyncOptions,
  earlierVersions: () => Promise<EarlierVersions>,
): Promise<Prepared> {
  const { config, store } = ctx;
  const outcome = newOutcome(company, runState);
  const started = Date.now();
  try {
    const writing = opts.mode !== 'plan';
    const view = await readCompany(store, company, config, writing);
    outcome.recovered = view.recovered;
    outcome.blocked = [...view.scan.problems, ...view.scan.blocked.values()];
    outcome.distributedCommit = view.distributedCommit;

    const sides = { library: library.skills, company: view.scan.skills, base: view.base };
    const stale = [...view.scan.skills.keys()].some((name) => needsEarlier(sides, name));
    const plan = planCompany({
      ...sides,
      earlier: stale ? await earlierVersions() : undefined,
      emptied: view.emptied,
      emptyTree: EMPTY_TREE,
      skip: new Set([...view.scan.blocked.keys(), ...library.blocked.keys()]),
      only: opts.skill ? new Set([opts.skill]) : undefined,
      maxRemovePercent: config.maxRemovePercent,
      force: opts.force ?? false,
    });
    if (opts.mode !== 'push') planFileMerges(plan.skills, config.merge);
    if (opts.mode === 'push') {
      if (view.base === null) throw new UsageError(`company ${company.name} has never been synced: run \`library sync --fix --company ${company.name}\` first`);
      for (const s of plan.skills) {
        if (s.company !== s.library) s.action = 'take-library';
        plan.nextBase.set(s.name, s.library!);
      }
    }
    outcome.skills = plan.skills;
    outcome.counts = countStates(plan.skills);
    outcome.applied.kept = plan.skills.filter((s) => s.action === 'keep-company' && s.state !== 'company-only').map((s) => s.name);
    if (writing && store) {
      outcome.commits.observed = await observe(store, view);
      if (plan.guard) {
        view.cache.save(view.scanStarted);
        throw new UsageError(plan.guard);
      }
    }
    return { outcome, view, plan, started };
  } catch (err) {
    fail(outcome, err);
    return { outcome, started };
  }
}

/** Phase 2: apply skill by skill; a failed skill keeps its old folder and its old base. */
interface ApplyContext {
  store: Store;
  blobs: BlobReader;
  log: Logger;
  config: Config;
  /** Resolves once the run's automatic snapshot exists; call before changing any folder. */
  beforeFirstChange: () => Promise<void>;
}

async function applyCompany(
  { store, blobs, log, config, beforeFirstChange }: ApplyContext,
  view: CompanyView,
  plan: CompanyPlan,
  outcome: CompanyOutcome,
  libraryCommit: string,
  opts: SyncOptions,
): Promise<void> {
  const { company, scan, cache } = view;
  const writer = new SkillWriter({ store, blobs, identity: view.identity, cache, maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
  const rootEntries = new Map<string, TreeEntry>(scan.root.entries.map(({ name, mode, oid }) => [name, { name, mode, oid }]));
  const setSkill = (name: string, tree: string | null) => (tree ? rootEntries.set(name, { name, mode: '40000', oid: tree }) : rootEntries.delete(name));
  const nextBase = plan.nextBase;
  const keepBase = (s: PlannedSkill, base = s.base) => (base === undefined ? nextBase.delete(s.name) : nextBase.set(s.name, base));
  const failures: string[] = [];
  const emptied = new Set(view.emptied);
  // Skills the company changed while this run was writing: left as found, recorded, overrides for this run.
  const changed = new Map<string, string | null>();
  for (const s of plan.skills) {
    if (s.action !== 'take-library' && s.action !== 'remove' && s.action !== 'merge') continue;
    try {
      let merge: SkillMerge | undefined;
      let target: string | null = s.action === 'remove' ? null : s.library!;
      if (s.action === 'merge') {
        merge = await mergeSkillFiles(store, s.name, { base: s.base!, library: s.library!, company: s.company! }, config.merge as 'file' | 'line');
        target = merge.tree === EMPTY_TREE ? null : merge.tree; // each side deleted what the other kept: no folder, but not the company's deletion
        if (merge.tree === s.company) {
          outcome.applied.kept.push(s.name);
          nextBase.set(s.name, merge.base);
          outcome.merges.push(merge);
          continue;
        }
      }
      await beforeFirstChange();
      const result = await writer.write(s.name, s.company === EMPTY_TREE ? null : (s.company ?? null), target);
      if (!result.done) {
        changed.set(s.name, result.found);
        setSkill(s.name, result.found);
        keepBase(s, s.base ?? s.library); // as a first-sync override: compared with the library it diverged from
        Object.assign(s, { state: 'override', action: 'keep-company', company: result.found ?? undefined });
        outcome.applied.changedDuringRun.push(s.name);
        if (opts.mode === 'push') failures.push(`skill ${s.name} (${path.join(company.dir, s.name)}): ${result.why}; the company's version is kept and recorded: push again if you still want the library's`);
        log.warn({ company: company.name, skill: s.name }, `skill ${s.name} of ${company.name} (${path.join(company.dir, s.name)}): ${result.why}; the company's version is kept and recorded`);
        continue;
      }
      setSkill(s.name, target);
      if (merge) {
        outcome.applied.merged.push(s.name);
        nextBase.set(s.name, merge.base);
        outcome.merges.push(merge);
        if (merge.tree === EMPTY_TREE) emptied.add(s.name);
        else emptied.delete(s.name);
      } else if (target === null) outcome.applied.removed.push(s.name);
      else (s.company === undefined ? outcome.applied.added : outcome.applied.updated).push(s.name);
    } catch (err) {
      if (isRunFatal(err)) throw err;
      keepBase(s);
      outcome.applied.failed.push(s.name);
      failures.push(`skill ${s.name} (${path.join(company.dir, s.name)}): ${errorMessage(err)}`);
      log.error({ company: company.name, skill: s.name, err }, `cannot update skill ${s.name}`);
    }
  }
  cache.save(view.scanStarted);
  outcome.counts = countStates(outcome.skills);
  if (opts.mode === 'fix') await recordConflicts(store, company.name, outcome.merges, libraryCommit);
  if (changed.size > 0) outcome.commits.observedDuringRun = await observeDuringRun(store, view, changed);

  // Record the distribution as a merge of the library into the company.
  const tree = store.writeTree([...rootEntries.values()]);
  if (tree !== view.headTree || view.distributedCommit !== libraryCommit) {
    const head = view.head!;
    const parents = libraryCommit !== head ? [head, libraryCommit] : [head];
    const commit = store.writeCommit({ tree, parents, author: signature(), message: distributionMessage(company.name, opts, outcome, libraryCommit) });
    await store.updateRef(companyRef(company.name), commit, head);
    outcome.commits.distribution = commit;
  }
  // The per-skill merge base: a tree of skill → library skill tree, on refs/bases/<company>.
  for (const name of emptied) if (rootEntries.has(name) || !nextBase.has(name)) emptied.delete(name); // back in the folder, or gone for good
  const nextBaseTree = writeBaseTree(store, nextBase, emptied);
  if (nextBaseTree !== view.baseTree) await store.updateRef(baseRef(company.name), nextBaseTree, view.baseTree);
  if (failures.length > 0) fail(outcome, failures.join('; '));
}

function distributionMessage(name: string, opts: SyncOptions, o: CompanyOutcome, libraryCommit: string): string {
  const parts: string[] = [];
  const list = (label: string, xs: string[]) => xs.length && parts.push(`${label} ${xs.join(', ')}`);
  list('added', o.applied.added);
  list('updated', o.applied.updated);
  list('removed', o.applied.removed);
  list('merged from the library into overrides:', o.applied.merged);
  list('overrides kept:', o.applied.kept);
  list('changed by the company during this run, kept:', o.applied.changedDuringRun);
  list('failed:', o.applied.failed);
  const title = opts.mode === 'push' ? `push ${opts.skill} to ${name}` : `distribute library ${libraryCommit.slice(0, 7)} to ${name}`;
  return `${title}: ${parts.join('; ') || 'nothing to change'}\n\nLibrary-Commit: ${libraryCommit}\n`;
}
