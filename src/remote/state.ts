/**
 * `<store>/library-sync/remotes.json`: per remote, the last successful push and
 * the last error, so `library status` can say whether FORGE is current.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { Failure } from '../exit-codes.js';
import type { Store } from '../store/store.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';

export interface RemoteRecord {
  url: string;
  /** When a forge-sync last finished without error (nothing to send counts). */
  lastPush: string | null;
  /** The library commit the remote had after that push. */
  lastPushedLibrary: string | null;
  lastObjectsSent: number | null;
  lastAttempt: string | null;
  /** null after a successful push. */
  lastError: string | null;
  /** What that error was (src/exit-codes.ts): `unreachable` (also a refusal or a timeout) or `diverged`. */
  lastFailure?: Failure | null;
  lastErrorAt: string | null;
}

export interface RemoteStatus extends RemoteRecord {
  name: string;
  configured: boolean;
}

function file(store: Store): string {
  return path.join(store.dataDir, 'remotes.json');
}

export function readRemoteRecords(store: Store | null): Record<string, RemoteRecord> {
  if (!store) return {};
  return readJsonIfExists<Record<string, RemoteRecord>>(file(store)) ?? {};
}

const EMPTY: Omit<RemoteRecord, 'url'> = {
  lastPush: null,
  lastPushedLibrary: null,
  lastObjectsSent: null,
  lastAttempt: null,
  lastError: null,
  lastErrorAt: null,
};

/** Update one remote's record. Re-read just before writing, so a parallel forge-sync to another remote is kept. */
export function recordRemote(store: Store, name: string, url: string, patch: Partial<RemoteRecord>): void {
  const all = readRemoteRecords(store);
  all[name] = { ...EMPTY, ...all[name], url, ...patch };
  writeFileAtomic(file(store), `${JSON.stringify(all, null, 2)}\n`, 0o600);
}

/** A remote that is not in the config (a URL pushed to directly) is shown for this long after its last try. */
export const UNCONFIGURED_REMOTE_SHOWN_MS = 7 * 24 * 3600 * 1000;

/** Configured remotes first (in config order), then any recorded remote not configured, tried within the last week. */
export function remoteStatuses(config: Config, store: Store | null, now = Date.now()): RemoteStatus[] {
  const records = readRemoteRecords(store);
  const out: RemoteStatus[] = config.remotes.map((r) => ({ ...EMPTY, ...records[r.name], url: r.url, name: r.name, configured: true }));
  for (const [name, rec] of Object.entries(records)) {
    const last = Date.parse(rec.lastAttempt ?? rec.lastPush ?? '') || 0;
    if (!config.remotes.some((r) => r.name === name) && now - last < UNCONFIGURED_REMOTE_SHOWN_MS) out.push({ ...EMPTY, ...rec, name, configured: false });
  }
  return out;
}

/** Lines for `library status`; `ago` formats a time as "3m ago". */
export function formatRemoteStatuses(list: readonly RemoteStatus[], ago: (iso: string | null) => string): string[] {
  return list.map((r) => {
    const push = r.lastPush ? `last push ${ago(r.lastPush)} (library ${r.lastPushedLibrary?.slice(0, 7) ?? '-'})` : 'never pushed';
    const error = r.lastError ? `; LAST ERROR ${ago(r.lastErrorAt)}: ${r.lastError}` : '';
    const until = r.configured ? '' : '; not in the config: shown until a week after its last try';
    return `remote ${r.name === r.url ? r.url : `${r.name} (${r.url})`}: ${push}${error}${until}`;
  });
}
