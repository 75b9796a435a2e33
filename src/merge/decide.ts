/**
 * The merge, per skill, comparing tree ids. Pure and synchronous: no fs, no
 * git, no clock. Each row of SPEC.md's merge table is one branch here and one
 * case in test/merge.decide.test.ts, with the same name.
 *
 *   b = the skill at the last library version distributed to this company (merge base)
 *   l = the skill in the library now
 *   c = the skill in the company folder now
 * `undefined` means absent. `firstSync` means the company has no base at all.
 * `earlier` means c, though not l, is a version the library had before
 * (src/library/earlier-versions.ts): a stale copy, not a customization.
 */
export type SkillState =
  | 'in-sync'
  | 'behind'
  | 'new'
  | 'removed-upstream'
  | 'override'
  | 'override-behind'
  | 'company-only'
  /** Set by the plan, not this table: the folder is the company's own git checkout, never replaced by a sync. */
  | 'git-checkout'
  /** Set by the plan: the company's folders hold different edits of it (src/folders/); nothing is written until a person picks one. */
  | 'conflict';

/**
 * What --fix does: write the library's version, delete the folder, or leave it.
 * `merge` (config `merge: "file" | "line"`) is set after this table, by
 * planCompany in plan.ts: take the library's changes file by file.
 */
export type SkillAction = 'none' | 'take-library' | 'remove' | 'keep-company' | 'merge';

export interface SkillInputs {
  base: string | undefined;
  library: string | undefined;
  company: string | undefined;
  firstSync: boolean;
  earlier?: boolean;
}

export interface SkillDecision {
  state: SkillState;
  action: SkillAction;
}

export function decideSkill({ base: b, library: l, company: c, firstSync, earlier = false }: SkillInputs): SkillDecision {
  if (c === l) return { state: 'in-sync', action: 'none' };
  if (b === undefined && c === undefined) return { state: 'new', action: 'take-library' }; // l present, since c ≠ l
  if (firstSync || b === undefined) {
    // No base: a copy of an earlier library version is stale; only content that never came from the library is a customization.
    if (l === undefined) return { state: 'company-only', action: 'keep-company' };
    if (earlier) return { state: 'behind', action: 'take-library' };
    if (firstSync) return { state: 'override', action: 'keep-company' };
  }
  if (c === b) {
    return l === undefined ? { state: 'removed-upstream', action: 'remove' } : { state: 'behind', action: 'take-library' };
  }
  if (l === b) return { state: 'override', action: 'keep-company' };
  return { state: 'override-behind', action: 'keep-company' };
}

/**
 * The merge base this skill has after --fix applied the decision: the library's
 * version wherever the company now holds it; unchanged for overrides, so an
 * `override-behind` stays visible until someone resolves it.
 */
export function nextBase(inputs: SkillInputs, decision: SkillDecision): string | undefined {
  switch (decision.action) {
    case 'take-library':
    case 'remove':
      return inputs.library;
    case 'none':
      return inputs.library;
    case 'keep-company':
    case 'merge': // the merge itself sets the base it leaves; until then, as for keep-company
      // A first-sync override diverged from today's library: that is its base.
      return inputs.firstSync ? inputs.library : inputs.base;
  }
}
