/**
 * What a fleet machine remembers between runs, beside the run state:
 * `<store>/library-sync/fetch.json` (the library's last fetch: when it last
 * succeeded, the last error, the rewrites followed) and `report.json` (the last
 * report: what each hub ref was set to, and the last error). `status --check`
 * reads both (src/fleet/health.ts); nothing here is needed to distribute.
 */
import path from 'node:path';
import type { Failure } from '../exit-codes.js';
import type { Store } from '../store/store.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';

export interface Rewrite {
  at: string;
  /** The tip this store had, no longer in the branch's history. */
  from: string;
  to: string;
  /** The ref that keeps the old commits in the store. */
  keptAs: string;
}

export interface UpstreamRecord {
  url: string;
  branch: string;
  /** The commit last fetched (refs/fetched/library). */
  commit: string | null;
  /** When a fetch last succeeded (nothing new counts). */
  lastFetch: string | null;
  lastAttempt: string | null;
  /** null after a successful fetch. */
  lastError: string | null;
  /** Why it failed, and the fix (the clause of lastError after the URL). */
  lastCause?: string | null;
  lastErrorAt: string | null;
  /** The last force-pushes followed, newest last (at most 20). */
  rewrites: Rewrite[];
}

export interface ReportRecord {
  url: string;
  host: string;
  /** When a report last succeeded (nothing to send counts). */
  lastReport: string | null;
  /** When the hub's refs were last compared with ours (a push, not skipped). */
  lastChecked: string | null;
  lastAttempt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastFailure: Failure | null;
  /** Hub ref → the commit it was set to by this machine. */
  reported: Record<string, string>;
}

const FIX = 'delete it (when no library command is running): the next run starts it again';
const fetchStateFile = (store: Store) => path.join(store.dataDir, 'fetch.json');
const reportFile = (store: Store) => path.join(store.dataDir, 'report.json');

export function readUpstreamRecord(store: Store | null): UpstreamRecord | null {
  return store ? (readJsonIfExists<UpstreamRecord>(fetchStateFile(store), FIX) ?? null) : null;
}

export function writeUpstreamRecord(store: Store, record: UpstreamRecord): void {
  writeFileAtomic(fetchStateFile(store), `${JSON.stringify({ ...record, rewrites: record.rewrites.slice(-20) }, null, 2)}\n`, 0o600);
}

export function readReportRecord(store: Store | null): ReportRecord | null {
  return store ? (readJsonIfExists<ReportRecord>(reportFile(store), FIX) ?? null) : null;
}

export function writeReportRecord(store: Store, record: ReportRecord): void {
  writeFileAtomic(reportFile(store), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}
