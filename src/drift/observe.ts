/**
 * Record a company folder as it is now, outside a sync: `override` attaches
 * its note to a commit holding the explained version, and `promote` copies
 * from it. Same observed-commit format as src/sync.ts (SPEC.md "The store").
 */
import path from 'node:path';
import type { Company } from '../config.js';
import { UsageError } from '../errors.js';
import { companyRef, describeSkillChanges, signature } from '../history.js';
import { recordScanTree } from '../scan/record.js';
import { scanSkillsFolder, type ScanResult } from '../scan/scan.js';
import { StatCache } from '../scan/stat-cache.js';
import type { Store } from '../store/store.js';
import { skillMapOf } from '../sync.js';

export interface Observed {
  /** The company's commit whose tree is the folder as scanned. */
  head: string;
  scan: ScanResult;
  /** The observed commit written, or null when the last commit already held this folder. */
  observed: string | null;
}

export async function observeCompany(store: Store, company: Company, maxFileBytes: number): Promise<Observed> {
  const head = await store.readRef(companyRef(company.name));
  if (!head) throw new UsageError(`company ${company.name} has never been synced: run \`library sync --fix --company ${company.name}\` first`);
  const cache = new StatCache(path.join(store.dataDir, 'cache', `company-${company.name}.json`));
  const started = Date.now();
  const scan = scanSkillsFolder(company.dir, { cache, maxFileBytes });
  const headTree = (await store.readCommit(head)).tree;
  if (headTree === scan.root.oid) {
    cache.save(started);
    return { head, scan, observed: null };
  }
  recordScanTree(store, scan.root, company.dir);
  const what = describeSkillChanges(await skillMapOf(store, headTree), scan.skills, { added: 'added', changed: 'changed', removed: 'removed' });
  const commit = store.writeCommit({
    tree: scan.root.oid,
    parents: [head],
    author: signature(),
    message: `observe ${company.name}: ${what || 'files beside the skills changed'}\n\nCompany-Folder: ${company.dir}\n`,
  });
  store.writeRef(companyRef(company.name), commit);
  cache.save(started);
  return { head: commit, scan, observed: commit };
}
