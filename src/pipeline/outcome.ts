/** What happened to one company in a run: the plan's view of it, and what --fix did. The JSON of sync, push and status. */
import type { SkillState } from '../merge/decide.js';
import type { SkillMergePlan } from '../merge/file-merge.js';
import type { PlannedSkill } from '../merge/plan.js';
import type { SkillProblem } from '../scan/scan.js';
import { errorMessage, isRunFatal } from '../errors.js';

export type SkillMergeOutcome = Omit<SkillMergePlan, 'objects'>;

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
  /** `copied`: skills whose company version (an edit made in one of its folders) was written to its other folders. */
  applied: { added: string[]; updated: string[]; removed: string[]; kept: string[]; failed: string[]; merged: string[]; changedDuringRun: string[]; copied: string[] };
  /** File-level merges of overrides (config `merge`), with their conflicts: planned, then as applied. */
  merges: SkillMergeOutcome[];
  commits: { observed: string | null; observedDuringRun: string | null; distribution: string | null };
  /** Leftovers of a killed run that this run resolved first. */
  recovered: string[];
}

export function fail(outcome: CompanyOutcome, err: unknown): void {
  if (isRunFatal(err)) throw err; // the lock was lost: nothing more may be written, for any company
  outcome.ok = false;
  outcome.error = `company ${outcome.name} (${outcome.dir}): ${errorMessage(err)}`;
}

/**
 * What a run skipped that needs a person: the library's invalid or blocked
 * skills and folders with invalid company names (`run`), each company's
 * blocked skills (`companies`). Any of them makes the exit code 1.
 */
export function skippedOf(
  library: { problems: readonly SkillProblem[]; blocked: ReadonlyMap<string, SkillProblem> },
  problems: readonly { message: string }[],
  outcomes: readonly CompanyOutcome[],
): { run: string[]; companies: Map<string, string[]>; count: number } {
  const run = [...[...library.problems, ...library.blocked.values()].map((p) => p.message), ...problems.map((p) => p.message)];
  const companies = new Map(outcomes.map((o) => [o.name, o.blocked.map((b) => b.message)]));
  return { run, companies, count: run.length + [...companies.values()].reduce((n, xs) => n + xs.length, 0) };
}

/**
 * A push's skills as they are AFTER it: the library's version went in
 * (in-sync), or the company changed the skill while the push wrote (kept,
 * an override), or the write failed (as before). `before` is the planned state.
 */
export function pushedStates(o: CompanyOutcome): { skill: string; before: SkillState; state: SkillState; changedDuringRun: boolean }[] {
  return o.skills.map((s) => {
    const changedDuringRun = o.applied.changedDuringRun.includes(s.name);
    const done = s.action === 'none' || o.applied.updated.includes(s.name) || o.applied.added.includes(s.name);
    return { skill: s.name, before: s.state, state: changedDuringRun ? 'override' : done ? 'in-sync' : s.state, changedDuringRun };
  });
}
