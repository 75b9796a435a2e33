/**
 * `library forget <company>`: a company whose folder is gone for good stops
 * counting, without anyone editing `state.json`. Its entry in the run state,
 * its base, open conflicts and stat cache go; its history is kept, under
 * `refs/forgotten/<time>/<name>` (out of every command that reads company
 * heads, still in `git log`); and the next report removes it from this
 * machine's namespace on the hub. Run under the store's lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { resolveCompanies } from '../companies.js';
import { ConfigError, UsageError } from '../errors.js';
import { checkName } from '../names.js';
import { conflictsRef } from '../apply/merge-files.js';
import { foldersRef, readFolderRecords } from '../folders/record.js';
import { companyCacheFile, folderCacheFile } from '../folders/scan.js';
import { baseRef, companyRef } from '../refs.js';
import { timestampName } from '../snapshot/snapshot.js';
import { readRunState, writeRunState } from '../run-state.js';
import type { Store } from '../store/store.js';

export interface ForgottenCompany {
  company: string;
  /** Where its history is kept (null: it had none). */
  keptAs: string | null;
  /** Refs and files removed. */
  removed: string[];
}

/** Refused (exit 2, nothing written) while the config still finds the company, or when the store never knew it. */
export function checkForgettable(config: Config, name: string): void {
  checkName('company', name);
  if (typeof config.companiesSpec !== 'string' && name in config.companiesSpec) {
    throw new UsageError(`company ${name} is listed under "companies" in ${config.file}: delete that entry first, then \`library forget ${name}\``);
  }
  let found;
  try {
    found = resolveCompanies(config).companies.find((c) => c.name === name);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err; // the glob finds no folder at all: not this one either
  }
  if (found) throw new UsageError(`company ${name}'s folder ${found.dir} is still there (the companies glob finds it): forget is for a company whose folder is gone for good; move or delete the folder first`);
}

export async function forgetCompany(store: Store, name: string, now = new Date()): Promise<ForgottenCompany> {
  const state = readRunState(store);
  const head = await store.readRef(companyRef(name));
  const others = [baseRef(name), conflictsRef(name), foldersRef(name)];
  const present = await Promise.all(others.map(async (r) => ((await store.readRef(r)) ? r : null)));
  if (!head && !(name in state.companies) && present.every((r) => r === null)) {
    throw new UsageError(`store ${store.gitdir} knows no company ${name}: nothing to forget (\`library status\` lists the companies)`);
  }
  const out: ForgottenCompany = { company: name, keptAs: null, removed: [] };
  // Its folders' stat caches are named by the folders its record holds (read before the record goes).
  const caches = [companyCacheFile(store.dataDir, name), ...[...(await readFolderRecords(store, name)).trees.keys()].map((key) => folderCacheFile(store.dataDir, name, key, false))];
  if (head) {
    // Kept before the head goes: a run killed in between leaves both, never neither.
    out.keptAs = `refs/forgotten/${timestampName('', now)}/${name}`;
    await store.updateRef(out.keptAs, head, null);
    await store.deleteRef(companyRef(name));
    out.removed.push(companyRef(name));
  }
  for (const ref of present) {
    if (!ref) continue;
    await store.deleteRef(ref);
    out.removed.push(ref);
  }
  if (name in state.companies) {
    delete state.companies[name];
    writeRunState(store, state);
    out.removed.push(`its entry in ${path.join(store.dataDir, 'state.json')}`);
  }
  for (const cache of caches) {
    if (!fs.existsSync(cache)) continue;
    fs.rmSync(cache, { force: true });
    out.removed.push(cache);
  }
  return out;
}
