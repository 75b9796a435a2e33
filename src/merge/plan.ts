/**
 * The whole plan for one company, as data: every skill's decision, what
 * --fix does to it (a push forcing the library's version, a file-level merge
 * with its per-file results and conflicts), the merge base it leaves, and the
 * mass-deletion guard. Pure: no fs, no store, no clock. `library sync` prints
 * exactly the plan that `library sync --fix` applies.
 */
import { decideSkill, nextBase, type SkillState } from './decide.js';
import { planSkillMerge, type MergeMode, type SkillMergeInput, type SkillMergePlan } from './file-merge.js';

export type SkillMap = ReadonlyMap<string, string>;

interface Sides {
  name: string;
  state: SkillState;
  base?: string;
  library?: string;
  company?: string;
}

/** A skill and what --fix does to it; the action decides which sides are present. */
export type PlannedSkill =
  | (Sides & { action: 'none' | 'keep-company' })
  | (Sides & { action: 'take-library'; library: string })
  | (Sides & { action: 'remove'; company: string })
  | (Sides & { action: 'merge'; base: string; library: string; company: string; merge: SkillMergePlan });

/** What was asked: a sync, or a push forcing the library's version of some skills. */
export type SyncRequest = { kind: 'sync' } | { kind: 'push'; skills: ReadonlySet<string> };

export interface CompanyPlanInput {
  library: SkillMap;
  company: SkillMap;
  /** null on the company's first sync. */
  base: SkillMap | null;
  /** Skills not to decide this run (unreadable in the company, or invalid in the library). */
  skip: ReadonlySet<string>;
  request?: SyncRequest;
  merge?: MergeMode;
  /** What each file-level merge needs (src/pipeline/read.ts reads it for every override-behind skill). */
  mergeInputs?: ReadonlyMap<string, SkillMergeInput>;
  maxRemovePercent: number;
  force: boolean;
  /** skill → every earlier library version (for copies with no merge base). */
  earlier?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Skills a file-level merge left without files: the company holds them as `emptyTree`, it did not delete them. */
  emptied?: ReadonlySet<string>;
  emptyTree?: string;
  /** Skills whose folder is a git checkout: never replaced or removed by a sync; a push replaces their files only with `force`. */
  checkouts?: ReadonlySet<string>;
  /** Skills whose folders (a company kept in several) hold different edits: left as they are, in every folder. */
  conflicts?: ReadonlySet<string>;
}

export interface CompanyPlan {
  skills: PlannedSkill[];
  /** The base after every action succeeds. */
  nextBase: Map<string, string>;
  /** Set when the mass-deletion guard refuses this company's removals. */
  guard?: string;
  /** Set when the request cannot apply to this company at all (a push to a company never synced). */
  refused?: string;
}

export function planCompany(given: CompanyPlanInput): CompanyPlan {
  const input = withEmptied(given);
  const request = input.request ?? { kind: 'sync' };
  const names = new Set([...input.library.keys(), ...input.company.keys(), ...(input.base?.keys() ?? [])]);
  const skills: PlannedSkill[] = [];
  const base = new Map(input.base ?? []);
  const refusedCheckouts: string[] = [];
  for (const name of [...names].sort()) {
    if (input.skip.has(name)) continue;
    if (request.kind === 'push' && !request.skills.has(name)) continue;
    const inputs = {
      base: input.base?.get(name),
      library: input.library.get(name),
      company: input.company.get(name),
      firstSync: input.base === null,
      earlier: needsEarlier(input, name) && (input.earlier?.get(name)?.has(input.company.get(name)!) ?? false),
    };
    const decision = decideSkill(inputs);
    const sides = { name, state: decision.state, base: inputs.base, library: inputs.library, company: inputs.company };
    let skill = toPlanned(sides, decision.action); // one object per skill: a no-op plan makes 20,000 of them
    let nb = nextBase(inputs, decision);
    const checkout = input.checkouts?.has(name) === true;
    if (input.conflicts?.has(name) && request.kind !== 'push') {
      // Two folders, two edits: either could be the company's; a person decides (`library push` takes the library's).
      skill = { ...sides, state: 'conflict', action: 'keep-company' };
      nb = inputs.base;
    } else if (request.kind === 'push' && inputs.library !== undefined && (!checkout || input.force)) {
      // A push ends an override, or a conflict (even one whose recorded version is the library's): the library's version goes in whatever the company did.
      if (input.conflicts?.has(name)) skill = { ...sides, state: 'conflict', action: 'take-library', library: inputs.library };
      else if (inputs.company !== inputs.library) skill = { ...sides, state: checkout ? 'git-checkout' : sides.state, action: 'take-library', library: inputs.library };
      nb = inputs.library;
    } else if (checkout) {
      // The company's own git checkout: its history must keep matching its files, so only the company changes them.
      if (request.kind === 'push' && inputs.company !== inputs.library) refusedCheckouts.push(name);
      skill = { ...sides, state: 'git-checkout', action: 'keep-company' };
      nb = inputs.company === inputs.library || inputs.firstSync ? inputs.library : inputs.base;
    } else if (skill.state === 'override-behind' && input.merge && input.merge !== 'skill' && sides.base && sides.library && sides.company) {
      const mergeInput = input.mergeInputs?.get(name);
      if (mergeInput) {
        const merge = planSkillMerge(name, mergeInput, input.merge);
        skill = { ...sides, action: 'merge', base: sides.base, library: sides.library, company: sides.company, merge };
        nb = merge.base;
      }
    }
    skills.push(skill);
    if (nb === undefined) base.delete(name);
    else base.set(name, nb);
  }
  const refused = request.kind === 'push' && input.base === null ? 'has never been synced' : undefined;
  return { skills, nextBase: base, guard: massDeletionGuard(skills, input) ?? checkoutGuard(refusedCheckouts), refused };
}

function toPlanned(sides: Sides, action: PlannedSkill['action']): PlannedSkill {
  const planned = sides as PlannedSkill;
  planned.action = action === 'merge' ? 'keep-company' : action; // 'merge' is only set with its plan, below
  return planned;
}

function withEmptied(input: CompanyPlanInput): CompanyPlanInput {
  const missing = [...(input.emptied ?? [])].filter((name) => !input.company.has(name) && input.base?.has(name));
  if (missing.length === 0 || !input.emptyTree) return input;
  const company = new Map(input.company);
  for (const name of missing) company.set(name, input.emptyTree);
  return { ...input, company };
}

/** A company copy with no merge base that differs from the library: the only case where earlier versions matter. */
export function needsEarlier(input: Pick<CompanyPlanInput, 'base' | 'library' | 'company'>, name: string): boolean {
  const c = input.company.get(name);
  const l = input.library.get(name);
  return c !== undefined && l !== undefined && c !== l && input.base?.get(name) === undefined;
}

/** Skills whose file-level merge the plan will need (override-behind, all three sides present). */
export function needsMergeInput(input: Pick<CompanyPlanInput, 'base' | 'library' | 'company'>, name: string): boolean {
  const [b, l, c] = [input.base?.get(name), input.library.get(name), input.company.get(name)];
  return b !== undefined && l !== undefined && c !== undefined && c !== l && c !== b && l !== b;
}

/**
 * A library folder on an unmounted volume looks like "every skill deleted".
 * Refuse to remove more than maxRemovePercent of a company's skills in one run
 * (a single removal is always allowed) unless --force.
 */
function massDeletionGuard(skills: PlannedSkill[], input: CompanyPlanInput): string | undefined {
  if (input.force) return undefined;
  const removals = skills.filter((s) => s.action === 'remove').map((s) => s.name);
  const over = removalGuard(removals, input.company.size, input.maxRemovePercent);
  return over && `${over}: check the library, then rerun with --force`;
}

/** A push to a skill that is a git checkout replaces files its own history does not have: only with --force. */
function checkoutGuard(skills: string[]): string | undefined {
  if (skills.length === 0) return undefined;
  const which = skills.length === 1 ? `skill ${skills[0]} is a git checkout` : `skills ${skills.join(', ')} are git checkouts`;
  return `${which} (a .git at the top of the folder): its files would no longer match its own history; nothing was pushed to this company: rerun with --force to replace the files (the .git is kept)`;
}

/**
 * The mass-deletion rule, shared by sync and rollback: losing more than
 * maxPercent of a company's skills (a single removal is always allowed) is
 * said this way, and refused without --force.
 */
export function removalGuard(removals: readonly string[], total: number, maxPercent: number): string | undefined {
  if (!(removals.length > 1 && total > 0 && (removals.length * 100) / total > maxPercent)) return undefined;
  return `would lose ${removals.length} of its ${total} skills (${((removals.length * 100) / total).toFixed(0)}%, over safety.maxRemovePercent=${maxPercent}%): ${removals.join(', ')}`;
}

/** Counts per state, in a stable order for printing. */
export function countStates(skills: readonly Pick<PlannedSkill, 'state'>[]): Record<SkillState, number> {
  const counts: Record<SkillState, number> = {
    'override-behind': 0,
    override: 0,
    behind: 0,
    new: 0,
    'removed-upstream': 0,
    'company-only': 0,
    'git-checkout': 0,
    conflict: 0,
    'in-sync': 0,
  };
  for (const s of skills) counts[s.state]++;
  return counts;
}
