/**
 * Record a company folder as it is now, outside a sync: `override` attaches
 * its note to a commit holding the explained version, and `promote` copies
 * from it. The observed commit is the same one sync writes (src/company.ts).
 */
import type { Company, Config } from '../config.js';
import { UsageError } from '../errors.js';
import { observe, readCompany } from '../company.js';
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
  const view = await readCompany(store, company, config);
  if (!view.head) throw new UsageError(`company ${company.name} has never been synced: run \`library sync --fix --company ${company.name}\` first`);
  const observed = await observe(store, view);
  view.cache.save(view.scanStarted);
  return { head: view.head!, scan: view.scan, observed };
}
