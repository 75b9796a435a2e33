/**
 * The plan for one company: every skill's decision, the actions --fix would
 * take, and the merge base it would leave. Pure: `library sync` prints exactly
 * the plan that `library sync --fix` applies.
 */
import { decideSkill, nextBase, type SkillAction, type SkillState } from './decide.js';

export type SkillMap = ReadonlyMap<string, string>;

export interface PlannedSkill {
  name: string;
  state: SkillState;
  action: SkillAction;
  base?: string;
  library?: string;
  company?: string;
}

export interface CompanyPlanInput {
  library: SkillMap;
  company: SkillMap;
  /** null on the company's first sync. */
  base: SkillMap | null;
  /** Skills not to decide this run (unreadable in the company, or invalid in the library). */
  skip: ReadonlySet<string>;
  /** Restrict the plan to these skills (push). */
  only?: ReadonlySet<string>;
  maxRemovePercent: number;
  force: boolean;
  /** skill → every earlier library version (for copies with no merge base). */
  earlier?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Skills a file-level merge left without files: the company holds them as `emptyTree`, it did not delete them. */
  emptied?: ReadonlySet<string>;
  emptyTree?: string;
}

export interface CompanyPlan {
  skills: PlannedSkill[];
  /** The base after every action succeeds. */
  nextBase: Map<string, string>;
  /** Set when the mass-deletion guard refuses this company's removals. */
  guard?: string;
}

export function planCompany(given: CompanyPlanInput): CompanyPlan {
  const input = withEmptied(given);
  const names = new Set([...input.library.keys(), ...input.company.keys(), ...(input.base?.keys() ?? [])]);
  const skills: PlannedSkill[] = [];
  const base = new Map(input.base ?? []);
  for (const name of [...names].sort()) {
    if (input.skip.has(name)) continue;
    if (input.only && !input.only.has(name)) continue;
    const inputs = {
      base: input.base?.get(name),
      library: input.library.get(name),
      company: input.company.get(name),
      firstSync: input.base === null,
      earlier: needsEarlier(input, name) && (input.earlier?.get(name)?.has(input.company.get(name)!) ?? false),
    };
    const decision = decideSkill(inputs);
    skills.push({ name, ...decision, base: inputs.base, library: inputs.library, company: inputs.company });
    const nb = nextBase(inputs, decision);
    if (nb === undefined) base.delete(name);
    else base.set(name, nb);
  }
  return { skills, nextBase: base, guard: massDeletionGuard(skills, input) };
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

/**
 * A library folder on an unmounted volume looks like "every skill deleted".
 * Refuse to remove more than maxRemovePercent of a company's skills in one run
 * (a single removal is always allowed) unless --force.
 */
function massDeletionGuard(skills: PlannedSkill[], input: CompanyPlanInput): string | undefined {
  if (input.force) return undefined;
  const removals = skills.filter((s) => s.action === 'remove').length;
  const total = input.company.size;
  if (removals <= 1 || total === 0) return undefined;
  const percent = (removals * 100) / total;
  if (percent <= input.maxRemovePercent) return undefined;
  return `would remove ${removals} of ${total} skills (${percent.toFixed(0)}%), over safety.maxRemovePercent=${input.maxRemovePercent}%: check the library, then rerun with --force`;
}

/** Counts per state, in a stable order for printing. */
export function countStates(skills: readonly PlannedSkill[]): Record<SkillState, number> {
  const counts: Record<SkillState, number> = {
    'override-behind': 0,
    override: 0,
    behind: 0,
    new: 0,
    'removed-upstream': 0,
    'company-only': 0,
    'in-sync': 0,
  };
  for (const s of skills) counts[s.state]++;
  return counts;
}
