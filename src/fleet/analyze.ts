/**
 * PURE: what a host's reported company history says, compared with the hub's
 * library now. The company's tree (its folder as last recorded), the library
 * tree last distributed there, and the library's tree now (its version of the
 * distributed commit, when the hub's history still has it) give, per skill:
 * - an override: the company's version differs from the one distributed (or it deleted it);
 * - behind: an untouched skill the library has changed since (or removed);
 * - new: a library skill distributed after this host's last sync.
 */
export interface CompanyTrees {
  /** skill → tree id, as the company's last recorded commit holds it. */
  company: ReadonlyMap<string, string>;
  /** skill → tree id, as distributed there last (the host's library commit); null when it never had a distribution. */
  distributed: ReadonlyMap<string, string> | null;
  /** The same library version as the hub holds it (unfiltered), when readable here: compared with `now` like for like. */
  distributedAtHub: ReadonlyMap<string, string> | null;
  /** skill → tree id, the hub's library now. */
  now: ReadonlyMap<string, string>;
}

export interface SkillDrift {
  overrides: string[];
  /** Overrides of skills the library has changed since. */
  overridesBehind: string[];
  behind: string[];
  new: string[];
}

export function driftOf(t: CompanyTrees): SkillDrift {
  const out: SkillDrift = { overrides: [], overridesBehind: [], behind: [], new: [] };
  const distributed = t.distributed ?? new Map<string, string>();
  const baseline = t.distributedAtHub ?? distributed;
  const moved = (s: string) => baseline.get(s) !== t.now.get(s);
  for (const [skill, tree] of distributed) {
    // Already what the hub has now (both deleted it, too); filtered and raw trees compare only when absent.
    if (t.company.get(skill) === t.now.get(skill) && (t.distributedAtHub === null || !t.company.has(skill))) continue;
    if (t.company.get(skill) !== tree) (moved(skill) ? out.overridesBehind : out.overrides).push(skill);
    else if (moved(skill)) out.behind.push(skill);
  }
  for (const skill of t.now.keys()) if (!distributed.has(skill) && !baseline.has(skill) && !t.company.has(skill)) out.new.push(skill);
  for (const list of Object.values(out)) list.sort();
  return out;
}

export interface FleetCompanyLike {
  atTip: boolean | null;
  drift: SkillDrift;
}

/** 2: behind the hub (not at its tip, or updates pending); 1: overrides only; 0: in sync. Sorted by this, highest first. */
export function severity(c: FleetCompanyLike): number {
  if (c.atTip === false || c.drift.behind.length || c.drift.new.length || c.drift.overridesBehind.length) return 2;
  return c.drift.overrides.length ? 1 : 0;
}
