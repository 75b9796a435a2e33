/**
 * Record a company folder as it is now, outside a sync: `override` attaches
 * its note to a commit holding the explained version, and `promote` copies
 * from it. The observed commit is the same one sync writes (src/company.ts).
 */
import type { Config } from '../config.js';
import { policiesOf } from '../policy.js';
import { selectCompanies, unknownCompany, type Company } from '../companies.js';
import { LibrarySyncError, UsageError } from '../errors.js';
import type { PlannedSkill } from '../merge/plan.js';
import type { CompanyOutcome, SyncResult } from '../sync.js';
import { observe, scanCompany } from '../company.js';
import type { ScanResult } from '../scan/scan.js';
import type { Store } from '../store/store.js';

export interface Observed {
  /** The company's commit whose tree is the folder as scanned. */
  head: string;
  scan: ScanResult;
  /** The observed commit written, or null when the last commit already held this folder. */
  observed: string | null;
}

export async function observeCompany(store: Store, company: Company, config: Config): Promise<Observed> {
  const view = await scanCompany(store, company, policiesOf(config).scan);
  if (!view.head) throw new UsageError(`company ${company.name} has never been synced: run \`library sync --fix --company ${company.name}\` first`);
  const observed = await observe(store, view);
  view.cache.save(view.scanStarted);
  return { head: view.head!, scan: view.scan, observed };
}

/** A company's plan entry for one skill, refusing a company that failed or a skill that cannot be read (override, promote). */
export function plannedSkillOf(result: SyncResult, company: string, skill: string): { outcome: CompanyOutcome; planned: PlannedSkill | undefined } {
  const outcome = result.companies.find((c) => c.name === company);
  if (!outcome) throw unknownCompany(company, result.companies.map((c) => c.name), 'the companies of this run');
  if (!outcome.ok) throw new LibrarySyncError(outcome.error ?? `company ${company} failed`);
  const blocked = outcome.blocked.find((b) => b.skill === skill);
  if (blocked) throw new UsageError(`${company}'s ${skill} cannot be read: ${blocked.message}`);
  return { outcome, planned: outcome.skills.find((s) => s.name === skill) };
}

/** Record the company as it is now, and make sure the skill is still the version the plan saw. */
export async function observeVersion(store: Store, outcome: CompanyOutcome, skill: string, expected: string | null, config: Config, doing: string): Promise<Observed & { tree: string | null }> {
  // The configured company (with its glob root), so the identity checks are the ones a sync makes.
  const [company] = selectCompanies(config, [outcome.name]);
  const seen = await observeCompany(store, company, config);
  const tree = seen.scan.skills.get(skill) ?? null;
  if (tree !== expected) throw new LibrarySyncError(`${outcome.dir}/${skill} changed while ${doing}: run the command again`);
  return { ...seen, tree };
}
