/**
 * `library doctor --repair`: verify the store, delete corrupt objects, and
 * write back every object the library and company folders still hold.
 * History whose content no longer exists on disk cannot be rebuilt; the
 * report says how much.
 */
import type { Config } from './config.js';
import { resolveCompanies } from './config.js';
import { recordScanTree } from './scan/record.js';
import { scanSkillsFolder } from './scan/scan.js';
import { ignoreRulesOf } from './scan/ignore.js';
import { StatCache } from './scan/stat-cache.js';
import type { Store } from './store/store.js';
import { removeLooseObjects, verifyStore, type VerifyReport } from './store/verify.js';

export interface RepairReport {
  before: VerifyReport;
  after: VerifyReport;
  rerecorded: string[];
}

export async function repairStore(config: Config, store: Store): Promise<RepairReport> {
  const before = await verifyStore(store);
  removeLooseObjects(store, before.corrupt);
  const rerecorded: string[] = [];
  const folders = resolveCompanies(config).companies.map((c) => ({ what: `company ${c.name}`, dir: c.dir }));
  if (config.libraryDir) folders.push({ what: 'library', dir: config.libraryDir });
  for (const { what, dir } of folders) {
    const scan = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
    recordScanTree(store, scan.root, dir, true);
    rerecorded.push(what);
  }
  return { before, after: await verifyStore(store), rerecorded };
}
