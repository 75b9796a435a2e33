/**
 * Where each skill version lives, and its state in each company. Pure: the
 * states come from the same plan `library status` prints (planCompany), fed
 * with what the store recorded at the last sync.
 */
import { planCompany, type SkillMap } from '../merge/plan.js';
import type { CompanyLocation } from './index-file.js';

export interface CompanySnapshot {
  name: string;
  /** skill → tree id, as recorded on refs/heads/companies/<name>. */
  skills: SkillMap;
  /** refs/bases/<name>; null if the company was never distributed to. */
  base: SkillMap | null;
}

export interface Location {
  library: string[];
  companies: CompanyLocation[];
}

export function locateVersions(library: SkillMap, companies: readonly CompanySnapshot[]): Map<string, Location> {
  const where = new Map<string, Location>();
  const at = (tree: string) => {
    let loc = where.get(tree);
    if (!loc) where.set(tree, (loc = { library: [], companies: [] }));
    return loc;
  };
  for (const [folder, tree] of library) at(tree).library.push(folder);
  for (const c of companies) {
    const plan = planCompany({ library, company: c.skills, base: c.base, skip: new Set(), maxRemovePercent: 100, force: true });
    // Only versions the company holds: a skill it deleted (an override by deletion) is not something it "has".
    for (const s of plan.skills) if (s.company !== undefined) at(s.company).companies.push({ company: c.name, folder: s.name, state: s.state });
  }
  return where;
}
