/**
 * Read what the health verdict needs: the run state, the configured company
 * folders, the remotes' last forge-sync and the lock. Cheap (no skill folder
 * is scanned, no object read) and writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { resolveCompanies } from '../companies.js';
import { lockHealth, type LockHealth } from '../lock.js';
import { remoteStatuses } from '../remote/state.js';
import { readRunState, type RunState } from '../run-state.js';
import type { Store } from '../store/store.js';
import { checkSyncHealth, type SyncHealth } from './health.js';
import { fleetProblems } from '../fleet/health.js';
import { readReportRecord, readUpstreamRecord } from '../fleet/state.js';

export interface GatherOptions {
  now?: number;
  /** The store, as the caller's engine opened it (null: none yet). */
  store: Store | null;
  /** Already read by the caller (doctor reads them leniently, to report each as its own check). */
  state?: RunState;
  lock?: LockHealth | null;
}

export function gatherSyncHealth(config: Config, maxAgeSeconds: number, opts: GatherOptions): SyncHealth & { lock: LockHealth | null } {
  const now = opts.now ?? Date.now();
  const store = opts.store;
  const lock = opts.lock !== undefined ? opts.lock : store ? lockHealth(store, now) : null;
  const state = opts.state ?? readRunState(store);
  const companies = resolveCompanies(config).companies;
  const names = new Set(companies.map((c) => c.name));
  const missing: { name: string; dir: string | null }[] = companies.filter((c) => !fs.existsSync(c.dir)).map((c) => ({ name: c.name, dir: c.dir }));
  // A glob only finds folders that exist: a company it found before and no longer finds is missing too.
  if (typeof config.companiesSpec === 'string') {
    for (const [name, s] of Object.entries(state.companies)) if (!names.has(name) && s.lastSync) missing.push({ name, dir: null });
  }
  const health = checkSyncHealth({
    state,
    companies: companies.map((c) => c.name).filter((n) => !missing.some((m) => m.name === n)),
    missing,
    remotes: remoteStatuses(config, store),
    fleet: fleetProblems({ libraryUrl: config.libraryUrl, report: config.report, upstream: readUpstreamRecord(store), reported: readReportRecord(store), now }),
    lock,
    now,
    maxAgeSeconds,
    storeDir: config.storeDir,
    stateFile: path.join(config.storeDir, 'library-sync', 'state.json'),
  });
  return { ...health, lock };
}
