/** Read what the health check needs: the run state, the configured companies and the lock. Writes nothing. */
import { resolveCompanies, type Config } from '../config.js';
import { lockHealth, type LockHealth } from '../lock.js';
import { readRunState } from '../state.js';
import { Store, StoreAccessError } from '../store/store.js';
import { checkSyncHealth, type SyncHealth } from './health.js';

export function gatherSyncHealth(config: Config, maxAgeSeconds: number, now = Date.now()): SyncHealth & { lock: LockHealth | null } {
  let store: Store | null = null;
  try {
    store = Store.open(config.storeDir);
  } catch (err) {
    if (err instanceof StoreAccessError) throw err;
    store = null; // never synced: reported as such
  }
  const lock = store ? lockHealth(store, now) : null;
  const companies = resolveCompanies(config).companies.map((c) => c.name);
  const health = checkSyncHealth({ state: readRunState(store), companies, lock, now, maxAgeSeconds, storeDir: config.storeDir });
  return { ...health, lock };
}
