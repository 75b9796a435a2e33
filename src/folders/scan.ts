/**
 * Read every skills folder of a company kept in several (config `folders`):
 * each distinct folder scanned with its own stat cache and identity, a folder
 * that is a symlink to another of the company's folders read once (it is that
 * folder), a skill that is a symlink into another of its folders (the layout
 * `npx skills add` makes) followed as that folder's skill, and each folder's
 * last record (src/folders/record.ts). Reads only; a missing folder reads as
 * empty (the next writing run creates it).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Company, CompanyFolder } from '../companies.js';
import type { ScanPolicy } from '../policy.js';
import { captureIdentity, type FolderIdentity } from '../apply/identity.js';
import { buildTree, scanSkillsFolder, type ScanResult } from '../scan/scan.js';
import { attachPreload, type PreloadedFolders } from '../scan/preload.js';
import { StatCache } from '../scan/stat-cache.js';
import { statCacheFile } from '../scan/stat-cache-file.js';
import { EMPTY_TREE_OID } from '../store/objects.js';
import type { ReadonlyStore } from '../store/store.js';
import type { FolderState } from './combine.js';
import { folderEntryName } from './config.js';
import { readFolderRecords, type FolderRecords } from './record.js';

export interface FolderView {
  key: string;
  dir: string;
  /** null: the folder does not exist yet (a writing run creates it first). */
  identity: FolderIdentity | null;
  scan: ScanResult;
  cache: StatCache;
  scanStarted: number;
  /** Other configured folders that are this one (symlinks to it): never written apart. */
  aliases: string[];
  state: FolderState;
}

export interface CompanyFolders {
  folders: FolderView[];
  records: FolderRecords;
}

const emptyScan = (): ScanResult => ({ root: buildTree([]), skills: new Map(), blocked: new Map(), checkouts: new Set(), unread: [], problems: [], filesRead: 0 });

const realpathOr = (p: string): string | null => {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return null;
  }
};

/** The company's folders, one per distinct folder on disk: later ones that resolve to an earlier one are its aliases. */
export function distinctFolders(company: Company): { folder: CompanyFolder; real: string | null; aliases: string[] }[] {
  const out: { folder: CompanyFolder; real: string | null; aliases: string[] }[] = [];
  for (const folder of company.folders ?? [{ key: '', dir: company.dir }]) {
    const real = realpathOr(folder.dir);
    const same = real === null ? undefined : out.find((o) => o.real === real);
    if (same) same.aliases.push(folder.key);
    else out.push({ folder, real, aliases: [] });
  }
  return out;
}

/** A company's stat cache: its only folder's, or the first of its folders'. */
export const companyCacheFile = (dataDir: string, company: string) => statCacheFile(dataDir, `company-${company}`);

/** '+' is in no company name and in no encoded key: `company-Acme--skills` was both Acme's "skills" folder and company Acme--skills. */
export const folderCacheFile = (dataDir: string, company: string, key: string, first: boolean) =>
  first ? companyCacheFile(dataDir, company) : statCacheFile(dataDir, `company-${company}+${folderEntryName(key)}`);

export async function scanFolders(store: ReadonlyStore | null, company: Company, policy: ScanPolicy, preloaded?: PreloadedFolders): Promise<CompanyFolders> {
  const records = await readFolderRecords(store, company.name);
  const distinct = distinctFolders(company);
  const folders: FolderView[] = [];
  for (const [i, { folder, real, aliases }] of distinct.entries()) {
    const cacheFile = store ? folderCacheFile(store.dataDir, company.name, folder.key, i === 0) : null;
    const cache = new StatCache(cacheFile);
    if (cacheFile && real !== null) attachPreload(cache, preloaded?.get(cacheFile), folder.dir);
    const scanStarted = Date.now();
    const identity = real === null ? null : captureIdentity(folder.dir, company.globRoot, policy.allowSymlinkedCompanies, policy.configFile);
    const scan = identity ? scanSkillsFolder(folder.dir, { cache, maxFileBytes: policy.maxFileBytes, ignore: policy.ignore }) : emptyScan();
    const recordedTree = records.trees.get(folder.key);
    const recorded = recordedTree ? await skillsOf(store!, recordedTree) : null;
    folders.push({ key: folder.key, dir: folder.dir, identity, scan, cache, scanStarted, aliases, state: { key: folder.key, skills: scan.skills, blocked: new Set(scan.blocked.keys()), links: new Map(), checkouts: scan.checkouts, recorded } });
  }
  // A skill that is a symlink into a sibling folder of the company is that folder's skill, not a blocked one.
  for (const f of folders) {
    for (const name of [...f.scan.blocked.keys()]) {
      const target = linkedFolder(path.join(f.dir, name), name, distinct.map((d) => d.real));
      if (target === null || target === folders.indexOf(f)) continue;
      f.scan.blocked.delete(name);
      f.scan.unread = f.scan.unread.filter((n) => n !== name);
      (f.state.blocked as Set<string>).delete(name);
      (f.state.links as Map<string, string>).set(name, folders[target].key);
    }
  }
  return { folders, records };
}

/** The index of the company folder a symlinked skill points into (as `<folder>/<same name>`), or null. */
function linkedFolder(abs: string, name: string, reals: (string | null)[]): number | null {
  try {
    if (!fs.lstatSync(abs).isSymbolicLink()) return null;
  } catch {
    return null;
  }
  const target = realpathOr(abs);
  if (!target || path.basename(target) !== name) return null;
  const i = reals.indexOf(path.dirname(target));
  return i < 0 ? null : i;
}

async function skillsOf(store: ReadonlyStore, tree: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (tree === EMPTY_TREE_OID) return out;
  for (const e of await store.readTree(tree)) if (e.mode === '40000') out.set(e.name, e.oid);
  return out;
}
