/**
 * Plan: the workspace as read, turned into what --fix would do, company by
 * company. Pure: `sync` without --fix prints exactly this, file-level merges
 * included, and `sync --fix` applies exactly this.
 */
import { countStates, planCompany, type CompanyPlan, type SyncRequest } from '../merge/plan.js';
import path from 'node:path';
import type { CompanyView } from '../company.js';
import type { SkillProblem } from '../scan/scan.js';
import { EMPTY_TREE_OID } from '../store/objects.js';
import { fail, type CompanyOutcome } from './outcome.js';
import type { Workspace } from './read.js';
import type { PlanPolicy } from '../policy.js';

/** A company as planned: its outcome so far, and (when it could be read) its view and plan, which apply carries out. */
export interface PlannedCompany {
  outcome: CompanyOutcome;
  /** Absent when the company could not be read or planned. */
  view?: CompanyView;
  plan?: CompanyPlan;
}

/** A skill whose folders hold different edits needs a person, as a blocked skill does: named with the way out. */
function conflictProblems(view: CompanyView, planned: ReadonlySet<string>): SkillProblem[] {
  const name = view.company.name;
  return [...view.conflicts].filter(([skill]) => planned.has(skill)).map(([skill, versions]) => ({
    skill,
    path: path.join(view.company.dir, skill), // the first folder's copy: a path that exists, where messages point
    message: `skill ${skill} of ${name} is a conflict: its folders hold different edits (${versions.map((v) => `${v.key}: ${v.tree ? v.tree.slice(0, 7) : 'deleted'}`).join(', ')}); nothing was written to any of them: keep one, with \`library push ${skill} --company ${name}\` (the library's) or by copying one folder's ${skill} over the other's, then \`library sync --fix\``,
  }));
}

export function planSync(ws: Workspace, request: SyncRequest, policy: PlanPolicy, opts: { force: boolean }): PlannedCompany[] {
  const { library } = ws;
  return ws.companies.map((read) => {
    const outcome: CompanyOutcome = {
      name: read.company.name,
      dir: read.company.dir,
      ok: true,
      error: null,
      distributedCommit: null,
      lastSync: ws.runState.companies[read.company.name]?.lastSync ?? null,
      skills: [],
      counts: countStates([]),
      blocked: [],
      applied: { added: [], updated: [], removed: [], kept: [], failed: [], merged: [], changedDuringRun: [], copied: [] },
      merges: [],
      commits: { observed: null, observedDuringRun: null, distribution: null },
      recovered: [],
    };
    if (!read.ok) {
      fail(outcome, read.error);
      return { outcome };
    }
    const { view } = read;
    outcome.blocked = [...view.scan.problems, ...view.scan.blocked.values()];
    outcome.distributedCommit = view.distributedCommit;
    const plan = planCompany({
      library: library.skills,
      company: view.skills,
      base: view.base,
      skip: new Set([...view.scan.blocked.keys(), ...library.blocked.keys()]),
      request,
      merge: policy.merge,
      mergeInputs: read.mergeInputs,
      maxRemovePercent: policy.maxRemovePercent,
      force: opts.force,
      earlier: ws.earlier ?? undefined,
      emptied: view.emptied,
      emptyTree: EMPTY_TREE_OID,
      checkouts: view.scan.checkouts,
      conflicts: new Set(view.conflicts.keys()),
    });
    outcome.skills = plan.skills;
    outcome.blocked.push(...conflictProblems(view, new Set(plan.skills.filter((s) => s.state === 'conflict' && s.action === 'keep-company').map((s) => s.name))));
    outcome.counts = countStates(plan.skills);
    outcome.applied.kept = plan.skills.filter((s) => s.action === 'keep-company' && s.state !== 'company-only').map((s) => s.name);
    outcome.merges = plan.skills.flatMap((s) => (s.action === 'merge' ? [(({ objects: _o, ...m }) => m)(s.merge)] : []));
    return { outcome, view, plan };
  });
}
