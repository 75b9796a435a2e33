/**
 * The two moments a sync talks to the git host, as the engine calls them:
 * before the library is read (fetch it, when it is a URL) and after
 * `sync --fix` (report the company histories, when there is a `report` URL).
 * Neither takes the store's lock: objects are only added, and the refs they
 * move (`refs/fetched/*`) are moved compare-and-swap, so a slow or dead host
 * never holds up a run of this machine.
 */
import type { Config } from '../config.js';
import { RemoteError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { fetchLibrary, type FetchOutcome } from './fetch.js';
import { hostName, reportCompanies, type ReportOutcome } from './report.js';

/** Fetch the library when it is a URL (creating the store on a first run); null otherwise. Throws only when there is nothing to distribute. */
export async function fetchBeforeRead(config: Pick<Config, 'libraryUrl' | 'network'>, store: () => Promise<Store>, log: Logger): Promise<FetchOutcome | null> {
  if (!config.libraryUrl) return null;
  const outcome = await fetchLibrary(await store(), config.libraryUrl, config.network, log);
  if (!outcome.commit) throw new RemoteError(outcome.error!);
  return outcome;
}

/** Report the company histories to the hub when `report` is configured; null otherwise. */
export async function reportAfterSync(config: Pick<Config, 'report' | 'host' | 'network'>, store: Store, log: Logger): Promise<ReportOutcome | null> {
  if (!config.report) return null;
  return reportCompanies(store, config.report, hostName(config), config.network, log);
}
