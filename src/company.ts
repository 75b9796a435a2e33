/**
 * One company as the store and its folder see it: the folder scanned (actual
 * state), its last recorded commit, and its merge base. Shared by sync, push
 * and rollback, which all begin by recording what the company has.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Company, Config } from './config.js';
import { StoreError, UnsafePathError, UsageError } from './errors.js';
import { baseRef, companyRef, describeSkillChanges, signature } from './history.js';
import { recoverLeftovers } from './apply/apply.js';
import { recordScanTree } from './scan/record.js';
import { scanSkillsFolder, type ScanResult } from './scan/scan.js';
import { StatCache } from './scan/stat-cache.js';
import { parseTrailers } from './store/objects.js';
import type { Store } from './store/store.js';

export interface CompanyView {
  company: Company;
  scan: ScanResult;
  cache: StatCache;
  scanStarted: number;
  /** The company's last commit in the store (after observe(), the folder as found). */
  head: string | null;
  headTree: string | null;
  baseTree: string | null;
  /** skill → library skill tree last distributed; null before the first sync. */
  base: Map<string, string> | null;
  /** The library commit of the newest distribution, before this run. */
  distributedCommit: string | null;
  /** Leftovers of a killed run that were resolved (writing runs only). */
  recovered: string[];
}

export async function skillMapOf(store: Store, tree: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const e of await store.readTree(tree)) if (e.mode === '40000') map.set(e.name, e.oid);
  return map;
}

function checkCompanyFolder(company: Company, config: Config): void {
  // ~/ALAI/<name>/.claude/skills: a symlinked <name> or .claude redirects writes just as surely.
  if (company.globRoot && !config.allowSymlinkedCompanies) {
    const parts = path.relative(company.globRoot, company.dir).split(path.sep);
    for (let i = 1; i < parts.length; i++) {
      const p = path.join(company.globRoot, ...parts.slice(0, i));
      if (fs.lstatSync(p).isSymbolicLink()) {
        throw new UnsafePathError(`${p} is a symlink: refusing to write through it into ${company.dir} (set "allowSymlinkedCompanies": true to allow)`);
      }
    }
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(company.dir);
  } catch {
    throw new UsageError(`folder ${company.dir} does not exist: create it or fix "companies" in ${config.file}`);
  }
  if (st.isSymbolicLink()) {
    if (!config.allowSymlinkedCompanies) {
      throw new UnsafePathError(`folder ${company.dir} is a symlink: refusing to write through it (set "allowSymlinkedCompanies": true to allow)`);
    }
    st = fs.statSync(company.dir);
  }
  if (!st.isDirectory()) throw new UsageError(`${company.dir} is not a folder`);
}

/** Scan the folder and read the company's history. `writing` also resolves a killed run's leftovers. */
export async function readCompany(store: Store | null, company: Company, config: Config, writing: boolean): Promise<CompanyView> {
  checkCompanyFolder(company, config);
  const recovered = writing ? recoverLeftovers(company.dir) : [];
  const cache = new StatCache(store ? path.join(store.dataDir, 'cache', `company-${company.name}.json`) : null);
  const scanStarted = Date.now();
  const scan = scanSkillsFolder(company.dir, { cache, maxFileBytes: config.maxFileBytes });
  const head = store ? await store.readRef(companyRef(company.name)) : null;
  const headTree = head ? (await store!.readCommit(head)).tree : null;
  const baseTree = store ? await store.readRef(baseRef(company.name)) : null;
  const base = baseTree ? await skillMapOf(store!, baseTree) : null;
  const distributedCommit = head ? await lastDistributedLibrary(store!, head) : null;
  if (distributedCommit && !baseTree) {
    // Without its base every skill the company never touched would look like an override: distribution would silently stop.
    throw new StoreError(`${baseRef(company.name)} is missing from store ${store!.gitdir}, though ${company.name} has been distributed to: run \`library doctor --repair\` to rebuild it from the distribution history`);
  }
  return { company, scan, cache, scanStarted, head, headTree, baseTree, base, distributedCommit, recovered };
}

/** The library commit of the newest distribution in a company's history (first-parent walk). */
async function lastDistributedLibrary(store: Store, head: string): Promise<string | null> {
  for (let oid: string | undefined = head; oid; ) {
    const commit = await store.readCommit(oid);
    const trailer = parseTrailers(commit.message)['Library-Commit'];
    if (trailer) return trailer;
    oid = commit.parents[0];
  }
  return null;
}

/**
 * Record the folder as found, if it differs from the last recorded tree: an
 * "observed" commit. This happens before anything in the folder changes, so
 * every overwrite can be undone. Returns the new commit, or null.
 */
export async function observe(store: Store, view: CompanyView): Promise<string | null> {
  const { company, scan, head, headTree } = view;
  if (head && headTree === scan.root.oid) return null;
  recordScanTree(store, scan.root, company.dir);
  const before = headTree ? await skillMapOf(store, headTree) : null;
  const n = scan.skills.size;
  const what = before
    ? describeSkillChanges(before, scan.skills, { added: 'added', changed: 'changed', removed: 'removed' })
    : `initial state, ${n} skill${n === 1 ? '' : 's'}`;
  const commit = store.writeCommit({
    tree: scan.root.oid,
    parents: head ? [head] : [],
    author: signature(),
    message: `observe ${company.name}: ${what || 'files beside the skills changed'}\n\nCompany-Folder: ${company.dir}\n`,
  });
  store.writeRef(companyRef(company.name), commit);
  view.head = commit;
  view.headTree = scan.root.oid;
  return commit;
}
