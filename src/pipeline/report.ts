/**
 * A run's results as plain data: what `sync --json`, `push --json` and
 * `status --json` print and what the API returns, built here and nowhere
 * else, so the CLI and the API cannot drift apart (SPEC.md, "JSON output").
 * Pure: it shapes results that were read already.
 */
import type { DriftView } from '../drift/analyze.js';
import { driftJson, reasonOf } from '../drift/collect.js';
import type { OverrideExplanation } from '../drift/explain.js';
import type { IndexOutcome } from '../discover/refresh.js';
import { exitStatus, type Failure } from '../exit-codes.js';
import type { FetchOutcome } from '../fleet/fetch.js';
import type { ReportOutcome } from '../fleet/report.js';
import type { SyncHealth } from '../health/health.js';
import type { SkillState } from '../merge/decide.js';
import type { PlannedSkill } from '../merge/plan.js';
import type { RemoteStatus } from '../remote/state.js';
import type { RunState } from '../run-state.js';
import type { Finding } from '../validate/rules.js';
import type { CompanyOutcome } from './outcome.js';
import { pushedStates, skippedOf } from './outcome.js';
import type { SyncResult } from '../sync.js';

/** Drift first: what an operator must look at comes before what is fine. */
export const STATE_ORDER: SkillState[] = ['conflict', 'override-behind', 'override', 'behind', 'new', 'removed-upstream', 'git-checkout', 'company-only', 'in-sync'];

export function sortByState<T extends Pick<PlannedSkill, 'state' | 'name'>>(skills: readonly T[]): T[] {
  return [...skills].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || (a.name < b.name ? -1 : 1));
}

export interface LibraryReport {
  kind: 'git' | 'folder' | 'ref' | 'url';
  source: string;
  tree: string;
  sourceCommit: string | null;
  skills: string[];
  uncommitted: string[];
  problems: { skill: string; message: string }[];
  warnings: Finding[];
}

/** A company in the JSON: its outcome, with skills, problems and merges cut to what a reader needs. */
export interface CompanyReport extends Pick<CompanyOutcome, 'name' | 'dir' | 'ok' | 'error' | 'distributedCommit' | 'lastSync' | 'counts' | 'applied' | 'commits' | 'recovered'> {
  skills: { name: string; state: SkillState; action: PlannedSkill['action'] }[];
  blocked: { skill: string; message: string }[];
  merges: Pick<CompanyOutcome['merges'][number], 'skill' | 'tree' | 'fromLibrary' | 'lineMerged' | 'conflicts'>[];
}

/** `sync --json` and the API's plan() and sync(). */
export interface SyncReport {
  mode: SyncResult['mode'];
  libraryCommit: string | null;
  library: LibraryReport;
  companies: CompanyReport[];
  problems: { company: string; message: string }[];
  /** The exit code the CLI gives for this run. */
  exitCode: number;
  /** The automatic snapshot taken before changes, if any. */
  snapshot: string | null;
  /** A library from a URL: the fetch before the run (src/fleet/). */
  fetch?: FetchOutcome;
  /** A `report` URL: the company histories pushed after the run. */
  report?: ReportOutcome;
  /** `sync --fix`: the search index rebuilt after it (null with `--no-index`). */
  index?: IndexOutcome | null;
}

/** What else a sync did around the run itself; each may fail on its own. */
export interface RunExtras {
  fetch?: FetchOutcome | null;
  report?: ReportOutcome | null;
  index?: IndexOutcome | null;
}

/** What went wrong in a sync and what came with it, as facts for the one exit table. */
export function syncFailures(result: SyncResult, extras: RunExtras = {}): Failure[] {
  const failures: Failure[] = [];
  if (result.companies.some((c) => !c.ok)) failures.push('incomplete');
  if (skippedOf(result.library, result.problems, result.companies).count > 0) failures.push('needs-attention');
  if (extras.index?.error) failures.push('incomplete');
  for (const f of [extras.fetch?.failure, extras.report?.failure]) if (f) failures.push(f);
  return failures;
}

function companyReport(o: CompanyOutcome): CompanyReport {
  return {
    name: o.name,
    dir: o.dir,
    ok: o.ok,
    error: o.error,
    distributedCommit: o.distributedCommit,
    lastSync: o.lastSync,
    skills: sortByState(o.skills).map((s) => ({ name: s.name, state: s.state, action: s.action })),
    counts: o.counts,
    blocked: o.blocked.map((p) => ({ skill: p.skill, message: p.message })),
    applied: o.applied,
    merges: o.merges.map(({ skill, tree, fromLibrary, lineMerged, conflicts }) => ({ skill, tree, fromLibrary, lineMerged, conflicts })),
    commits: o.commits,
    recovered: o.recovered,
  };
}

export function syncReport(result: SyncResult, extras: RunExtras = {}): SyncReport {
  const lib = result.library;
  return {
    mode: result.mode,
    libraryCommit: result.libraryCommit,
    library: {
      kind: lib.kind,
      source: lib.source,
      tree: lib.tree,
      sourceCommit: lib.sourceCommit,
      skills: [...lib.skills.keys()],
      uncommitted: lib.uncommitted,
      problems: [...lib.problems, ...lib.blocked.values()].map((p) => ({ skill: p.skill, message: p.message })),
      warnings: lib.warnings,
    },
    companies: result.companies.map(companyReport),
    problems: result.problems.map((p) => ({ company: p.name, message: p.message })),
    exitCode: exitStatus(syncFailures(result, extras)),
    snapshot: result.snapshot,
    ...(extras.fetch ? { fetch: extras.fetch } : {}),
    ...(extras.report ? { report: extras.report } : {}),
    ...(extras.index !== undefined ? { index: extras.index } : {}),
  };
}

/** One company after a push: each pushed skill's state before and after. */
export interface PushedCompany {
  company: string;
  ok: boolean;
  skills: { skill: string; before: SkillState; state: SkillState; changedDuringRun: boolean }[];
}

/** `push --json` and the API's push(). */
export interface PushReport extends SyncReport {
  pushed: PushedCompany[];
}

export function pushReport(result: SyncResult): PushReport {
  return { ...syncReport(result), pushed: result.companies.map((c) => ({ company: c.name, ok: c.ok, skills: pushedStates(c) })) };
}

/** Everything `status` shows, read once (src/engine.ts, status()): the text and the JSON are made from it. */
export interface StatusView {
  result: SyncResult;
  runState: RunState;
  drift: DriftView;
  /** company → skill → the files that make an override one. */
  explanations: Map<string, Map<string, OverrideExplanation>>;
  health: SyncHealth;
  maxAgeSeconds: number;
  remotes: RemoteStatus[];
  now: number;
}

/** The snapshot a skill was rolled back to, while it is still that version. */
export function rollbackOf(view: StatusView, company: string, skill: string): string | undefined {
  const mark = view.runState.companies[company]?.rollbacks?.[skill];
  const now = view.result.companies.find((c) => c.name === company)?.skills.find((s) => s.name === skill)?.company ?? null;
  return mark && mark.tree === now ? mark.snapshot : undefined;
}

export interface StatusSkillReport extends Partial<OverrideExplanation> {
  name: string;
  state: SkillState;
  /** An override's recorded reason (null: none); absent for other states. */
  reason?: string | null;
  /** The snapshot a rolled-back override came from. */
  rollback?: string;
}

export interface StatusCompanyReport extends Pick<CompanyReport, 'name' | 'dir' | 'ok' | 'error' | 'distributedCommit' | 'lastSync' | 'counts' | 'blocked'> {
  lastSyncAgeSeconds: number | null;
  skills: StatusSkillReport[];
}

/** `status --json` and the API's status(). */
export interface StatusReport {
  libraryCommit: string | null;
  library: LibraryReport;
  lastRun: RunState['lastRun'];
  companies: StatusCompanyReport[];
  problems: SyncReport['problems'];
  health: { ok: boolean; maxAgeSeconds: number; problems: SyncHealth['problems'] };
  drift: ReturnType<typeof driftJson>;
  remotes: RemoteStatus[];
}

export function statusReport(view: StatusView): StatusReport {
  const json = syncReport(view.result);
  return {
    libraryCommit: json.libraryCommit,
    library: json.library,
    lastRun: view.runState.lastRun,
    companies: json.companies.map(({ name, dir, ok, error, distributedCommit, lastSync, skills, counts, blocked }) => ({
      name,
      dir,
      ok,
      error,
      distributedCommit,
      lastSync,
      lastSyncAgeSeconds: lastSync ? Math.round((view.now - Date.parse(lastSync)) / 1000) : null,
      skills: skills.map(({ name: skill, state }) => {
        const reason = reasonOf(view.drift, name, skill);
        const rollback = state.startsWith('override') ? rollbackOf(view, name, skill) : undefined;
        const e = view.explanations.get(name)?.get(skill);
        return { name: skill, state, ...(reason === undefined ? {} : { reason }), ...(rollback ? { rollback } : {}), ...(e ?? {}) };
      }),
      counts,
      blocked,
    })),
    problems: json.problems,
    health: { ok: view.health.problems.length === 0, maxAgeSeconds: view.maxAgeSeconds, problems: view.health.problems },
    drift: driftJson(view.drift),
    remotes: view.remotes,
  };
}
