/**
 * Drift, judged: which overrides are explained, which are not, which look
 * like a library fix nobody upstreamed (the same version in 2+ companies),
 * and which file-level conflicts are open. Pure: inputs are the status result,
 * the recorded reasons and the recorded conflicts.
 */
import type { SkillState } from '../merge/decide.js';
import { reasonKey, type OverrideReason } from './reasons.js';

export interface DriftSkill {
  name: string;
  state: SkillState;
  company?: string;
  library?: string;
}

export interface DriftCompany {
  name: string;
  skills: readonly DriftSkill[];
}

export interface DriftOverride {
  company: string;
  skill: string;
  state: SkillState;
  /** The company's version (tree id); null when the company deleted the skill. */
  tree: string | null;
  /** The reason recorded for exactly this version, or null. */
  reason: OverrideReason | null;
  /** A reason recorded for an earlier version of this override, shown for context. */
  staleReason: OverrideReason | null;
}

export interface PromoteCandidate {
  skill: string;
  tree: string;
  companies: string[];
}

export interface DriftConflict {
  company: string;
  skill: string;
  path: string;
  reason: string;
}

export interface DriftView {
  overrides: DriftOverride[];
  unexplained: DriftOverride[];
  promoteCandidates: PromoteCandidate[];
  conflicts: DriftConflict[];
}

export const isOverride = (state: SkillState) => state === 'override' || state === 'override-behind';

export function analyzeDrift(
  companies: readonly DriftCompany[],
  reasons: ReadonlyMap<string, OverrideReason>,
  conflicts: readonly DriftConflict[] = [],
): DriftView {
  const overrides: DriftOverride[] = [];
  const byVersion = new Map<string, PromoteCandidate>();
  for (const c of companies) {
    for (const s of c.skills) {
      if (!isOverride(s.state)) continue;
      const tree = s.company ?? null;
      const recorded = reasons.get(reasonKey(c.name, s.name)) ?? null;
      const current = recorded !== null && recorded.tree === tree;
      overrides.push({ company: c.name, skill: s.name, state: s.state, tree, reason: current ? recorded : null, staleReason: current ? null : recorded });
      // A deletion is not something to copy into the library.
      if (tree === null) continue;
      const key = `${s.name}\0${tree}`;
      const cand = byVersion.get(key) ?? { skill: s.name, tree, companies: [] };
      cand.companies.push(c.name);
      byVersion.set(key, cand);
    }
  }
  const promoteCandidates = [...byVersion.values()]
    .filter((p) => p.companies.length >= 2)
    .sort((a, b) => b.companies.length - a.companies.length || (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
  // A conflict matters while its skill is still an override the library moved on under.
  const behind = new Set(overrides.filter((o) => o.state === 'override-behind').map((o) => reasonKey(o.company, o.skill)));
  return {
    overrides,
    unexplained: overrides.filter((o) => o.reason === null),
    promoteCandidates,
    conflicts: conflicts.filter((c) => behind.has(reasonKey(c.company, c.skill))),
  };
}
