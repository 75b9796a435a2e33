/**
 * The pipeline, per company: scan → record what the company has (observed
 * commit) → merge skill by skill → apply atomically → record the distribution.
 * A company's state is in the store before anything in its folder changes, so
 * every overwrite can be undone. One failing company never stops the others.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { type Company, type Config, type ResolvedCompanies, resolveCompanies } from './config.js';
import { UnsafePathError, UsageError, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { readLibrary, type LibraryView } from './library/source.js';
import { countStates, planCompany, type PlannedSkill } from './merge/plan.js';
import type { SkillState } from './merge/decide.js';
import { BlobReader, recoverLeftovers, removeSkill, writeSkill } from './apply/apply.js';
import { mergeSkillFiles, recordConflicts, type SkillMerge } from './apply/merge-files.js';
import { planFileMerges } from './merge/file-merge.js';
import { recordScanTree } from './scan/record.js';
import { scanSkillsFolder, type ScanEntry, type SkillProblem } from './scan/scan.js';
import { StatCache } from './scan/stat-cache.js';
import { parseTrailers, type TreeEntry } from './store/objects.js';
import type { Store } from './store/store.js';
import { readRunState, writeRunState, type RunState } from './state.js';
import { companyRef, baseRef, LIBRARY_REF, signature, describeSkillChanges } from './history.js';

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
  applied: { added: string[]; updated: string[]; removed: string[]; kept: string[]; failed: string[]; merged: string[] };
  /** File-level merges of overrides (config `merge`), with their conflicts. */
  merges: SkillMerge[];
  commits: { observed: string | null; distribution: string | null };
  recovered: string[];
}

export interface SyncResult {
  mode: SyncMode;
  libraryCommit: string | null;
  library: LibraryView;
  companies: CompanyOutcome[];
  /** Companies matched by the glob but unusable (bad name). */
  problems: ResolvedCompanies['problems'];
}

export interface SyncContext {
  config: Config;
  /** null in plan mode when no store exists yet. */
  store: Store | null;
  log: Logger;
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
  const blobs = store ? new BlobReader(store) : null;
  const limit = pLimit(Math.max(1, config.concurrency));
  const outcomes = await Promise.all(
    companies.map((company) =>
      limit(async () => {
        const started = Date.now();
        const outcome = await syncCompany({ ...ctx, blobs }, company, library, libraryCommit, runState, opts).catch((err: unknown) =>
          failedOutcome(company, err, runState),
        );
        const fields = { company: company.name, action: opts.mode, durationMs: Date.now() - started, ...summaryCounts(outcome) };
        if (outcome.ok) log.info(fields, `${company.name}: ${opts.mode} ok`);
        else log.error({ ...fields, err: outcome.error }, `${company.name}: ${outcome.error}`);
        for (const b of outcome.blocked) log.warn({ company: company.name, skill: b.skill, path: b.path }, b.message);
        return outcome;
      }),
    ),
  );
  if (store && writing) {
    const now = new Date().toISOString();
    for (const o of outcomes) {
      const prev = runState.companies[o.name] ?? { lastSync: null, lastAttempt: null, lastError: null };
      runState.companies[o.name] = { lastSync: o.ok ? now : prev.lastSync, lastAttempt: now, lastError: o.error };
      o.lastSync = runState.companies[o.name].lastSync;
    }
    runState.lastRun = { at: now, ok: outcomes.every((o) => o.ok), failed: outcomes.filter((o) => !o.ok).map((o) => o.name) };
    writeRunState(store, runState);
  }
  return { mode: opts.mode, libraryCommit, library, companies: outcomes, problems };
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
  store.writeRef(LIBRARY_REF, commit);
  return commit;
}

export async function skillMapOf(store: Store, tree: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const e of await store.readTree(tree)) if (e.mode === '40000') map.set(e.name, e.oid);
  return map;
}

function emptyOutcome(company: Company, runState: RunState): CompanyOutcome {
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
    applied: { added: [], updated: [], removed: [], kept: [], failed: [], merged: [] },
    merges: [],
    commits: { observed: null, distribution: null },
    recovered: [],
  };
}

function failedOutcome(company: Company, err: unknown, runState: RunState): CompanyOutcome {
  return { ...emptyOutcome(company, runState), ok: false, error: `company ${company.name} (${company.dir}): ${errorMessage(err)}` };
}

function summaryCounts(o: CompanyOutcome): Record<string, number> {
  return {
    added: o.applied.added.length,
    updated: o.applied.updated.length,
    removed: o.applied.removed.length,
    overrides: o.counts.override + o.counts['override-behind'],
    companyOnly: o.counts['company-only'],
    inSync: o.counts['in-sync'],
    blocked: o.blocked.length,
  };
}

function checkCompanyFolder(company: Company, config: Config): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(company.dir);
  } catch {
    throw new UsageError(`folder ${company.dir} does not exist: create it or fix "companies" in ${config.file}`);
  }
  if (st.isSymbolicLink()) {
    if (!config.allowSymlinkedCompanies) {
      throw new UnsafePathError(`folder ${company.dir} is a symlink: refusing to write through it (set "allowSymlinkedCompanies": true to allow)`);
    }
    st = fs.statSync(company.dir);
  }
  if (!st.isDirectory()) throw new UsageError(`${company.dir} is not a folder`);
}

interface CompanyContext extends SyncContext {
  blobs: BlobReader | null;
}

async function syncCompany(
  ctx: CompanyContext,
  company: Company,
  library: LibraryView,
  libraryCommit: string | null,
  runState: RunState,
  opts: SyncOptions,
): Promise<CompanyOutcome> {
  const { config, store, log } = ctx;
  const outcome = emptyOutcome(company, runState);
  checkCompanyFolder(company, config);
  const writing = opts.mode !== 'plan';
  if (writing) {
    outcome.recovered = recoverLeftovers(company.dir);
    for (const line of outcome.recovered) log.warn({ company: company.name }, line);
  }

  const cacheFile = store ? path.join(store.dataDir, 'cache', `company-${company.name}.json`) : null;
  const cache = new StatCache(cacheFile);
  const scanStarted = Date.now();
  const scan = scanSkillsFolder(company.dir, { cache, maxFileBytes: config.maxFileBytes });
  outcome.blocked = [...scan.problems, ...scan.blocked.values()];

  const head = store ? await store.readRef(companyRef(company.name)) : null;
  const headTree = head ? (await store!.readCommit(head)).tree : null;
  const baseTree = store ? await store.readRef(baseRef(company.name)) : null;
  const base = baseTree ? await skillMapOf(store!, baseTree) : null;
  outcome.distributedCommit = head ? await lastDistributedLibrary(store!, head) : null;

  const plan = planCompany({
    library: library.skills,
    company: scan.skills,
    base,
    skip: new Set([...scan.blocked.keys(), ...library.blocked.keys()]),
    only: opts.skill ? new Set([opts.skill]) : undefined,
    maxRemovePercent: config.maxRemovePercent,
    force: opts.force ?? false,
  });
  if (opts.mode !== 'push') planFileMerges(plan.skills, config.merge);
  if (opts.mode === 'push') {
    if (base === null) throw new UsageError(`company ${company.name} has never been synced: run \`library sync --fix --company ${company.name}\` first`);
    for (const s of plan.skills) {
      if (s.company !== s.library) s.action = 'take-library';
      plan.nextBase.set(s.name, s.library!);
    }
  }
  outcome.skills = plan.skills;
  outcome.counts = countStates(plan.skills);
  outcome.applied.kept = plan.skills.filter((s) => s.action === 'keep-company' && s.state !== 'company-only').map((s) => s.name);
  if (!writing || !store) return outcome;

  // 1. Observe: what the company has goes into the store before anything changes.
  let current = head;
  if (!head || headTree !== scan.root.oid) {
    recordScanTree(store, scan.root, company.dir);
    const before = headTree ? await skillMapOf(store, headTree) : null;
    const what = before ? describeSkillChanges(before, scan.skills, { added: 'added', changed: 'changed', removed: 'removed' }) : `initial state, ${scan.skills.size} skill${scan.skills.size === 1 ? '' : 's'}`;
    current = store.writeCommit({
      tree: scan.root.oid,
      parents: head ? [head] : [],
      author: signature(),
      message: `observe ${company.name}: ${what || 'files beside the skills changed'}\n\nCompany-Folder: ${company.dir}\n`,
    });
    store.writeRef(companyRef(company.name), current);
    outcome.commits.observed = current;
  }
  if (plan.guard) {
    cache.save(scanStarted);
    throw new UsageError(plan.guard);
  }

  // 2. Apply, skill by skill; a failed skill keeps its old folder and its old base.
  const rootEntries = new Map<string, ScanEntry | TreeEntry>(scan.root.entries.map((e) => [e.name, e]));
  const nextBase = plan.nextBase;
  const failures: string[] = [];
  for (const s of plan.skills) {
    if (s.action !== 'take-library' && s.action !== 'remove' && s.action !== 'merge') continue;
    try {
      if (s.action === 'merge') {
        const m = await mergeSkillFiles(store, s.name, { base: s.base!, library: s.library!, company: s.company! }, config.merge as 'file' | 'line');
        if (m.tree !== s.company) {
          await writeSkill(store, ctx.blobs!, company.dir, s.name, m.tree, cache);
          rootEntries.set(s.name, { name: s.name, mode: '40000', oid: m.tree });
        }
        (m.tree !== s.company ? outcome.applied.merged : outcome.applied.kept).push(s.name);
        nextBase.set(s.name, m.base);
        outcome.merges.push(m);
      } else if (s.action === 'take-library') {
        await writeSkill(store, ctx.blobs!, company.dir, s.name, s.library!, cache);
        rootEntries.set(s.name, { name: s.name, mode: '40000', oid: s.library! });
        (s.company === undefined ? outcome.applied.added : outcome.applied.updated).push(s.name);
      } else {
        removeSkill(company.dir, s.name, cache);
        rootEntries.delete(s.name);
        outcome.applied.removed.push(s.name);
      }
    } catch (err) {
      if (s.base === undefined) nextBase.delete(s.name);
      else nextBase.set(s.name, s.base);
      outcome.applied.failed.push(s.name);
      failures.push(`skill ${s.name} (${path.join(company.dir, s.name)}): ${errorMessage(err)}`);
      log.error({ company: company.name, skill: s.name, err }, `cannot update skill ${s.name}`);
    }
  }
  cache.save(scanStarted);
  if (opts.mode === 'fix') await recordConflicts(store, company.name, outcome.merges, libraryCommit);

  // 3. Record the distribution as a merge of the library into the company.
  const tree = store.writeTree([...rootEntries.values()].map(({ name, mode, oid }) => ({ name, mode, oid })));
  const changed = tree !== scan.root.oid;
  if (changed || outcome.distributedCommit !== libraryCommit) {
    const parents = libraryCommit && libraryCommit !== current ? [current!, libraryCommit] : [current!];
    const message = distributionMessage(company.name, opts, outcome, libraryCommit!);
    outcome.commits.distribution = store.writeCommit({ tree, parents, author: signature(), message });
    store.writeRef(companyRef(company.name), outcome.commits.distribution);
  }
  // The per-skill merge base: a tree of skill → library skill tree, on refs/bases/<company>.
  const nextBaseTree = store.writeTree([...nextBase].map(([name, oid]) => ({ name, mode: '40000', oid })));
  if (nextBaseTree !== baseTree) store.writeRef(baseRef(company.name), nextBaseTree);
  if (failures.length > 0) {
    outcome.ok = false;
    outcome.error = `company ${company.name} (${company.dir}): ${failures.join('; ')}`;
  }
  return outcome;
}

function distributionMessage(name: string, opts: SyncOptions, o: CompanyOutcome, libraryCommit: string): string {
  const parts: string[] = [];
  const list = (label: string, xs: string[]) => xs.length && parts.push(`${label} ${xs.join(', ')}`);
  list('added', o.applied.added);
  list('updated', o.applied.updated);
  list('removed', o.applied.removed);
  list('merged from the library into overrides:', o.applied.merged);
  list('overrides kept:', o.applied.kept);
  list('failed:', o.applied.failed);
  const title = opts.mode === 'push' ? `push ${opts.skill} to ${name}` : `distribute library ${libraryCommit.slice(0, 7)} to ${name}`;
  return `${title}: ${parts.join('; ') || 'nothing to change'}\n\nLibrary-Commit: ${libraryCommit}\n`;
}

/** The library commit of the newest distribution in a company's history (first-parent walk). */
async function lastDistributedLibrary(store: Store, head: string): Promise<string | null> {
  for (let oid: string | undefined = head; oid; ) {
    const commit = await store.readCommit(oid);
    const trailer = parseTrailers(commit.message)['Library-Commit'];
    if (trailer) return trailer;
    oid = commit.parents[0];
  }
  return null;
}
