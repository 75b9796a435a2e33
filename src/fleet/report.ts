/**
 * After each `sync --fix`, this machine's company histories go to the hub:
 * `refs/heads/companies/<name>` → `refs/hosts/<host>/companies/<name>`, and
 * nothing else (never a branch, never the library). Fast-forward only, with
 * the system's git, bounded and retried like the library's fetch. When no
 * company ref moved since the last report (and it was checked within a day),
 * no request is made at all: a fleet of idle machines costs the host nothing.
 * A company this machine forgot (`library forget`) is deleted from its own
 * namespace on the hub. A failed report never undoes the local sync.
 */
import os from 'node:os';
import { EXIT_STATUS, type Failure } from '../exit-codes.js';
import type { Logger } from '../log.js';
import { hostRefName } from '../remote/resolve.js';
import type { Store } from '../store/store.js';
import type { NetworkConfig, ReportConfig } from './config.js';
import { failureClause, httpBounds, QUIET_STORE, runRemoteGit } from './git.js';
import { readReportRecord, writeReportRecord, type ReportRecord } from './state.js';

const COMPANIES_PREFIX = 'refs/heads/companies/';
/** An unchanged machine still compares its refs with the hub's once a day (a hub restored from a backup heals). */
export const RECHECK_MS = 24 * 3600 * 1000;

export interface ReportOutcome {
  url: string;
  host: string;
  ok: boolean;
  /** `unreachable` (also a refusal, exit 3) or `diverged` (a hub ref is not an ancestor of ours, exit 4). */
  failure: Failure | null;
  exitCode: number;
  error: string | null;
  tries: number;
  /** Nothing moved since the last report: no request was made. */
  skipped: boolean;
  updated: string[];
  upToDate: string[];
  deleted: string[];
  refused: { ref: string; reason: string }[];
  durationMs: number;
}

/** This machine's name under refs/hosts/: the config's `host`, else its hostname made to fit the name pattern. */
export const hostName = (config: { host: string | null }) => config.host ?? hostRefName(os.hostname());
export const hubCompanyRef = (host: string, company: string) => `refs/hosts/${host}/companies/${company}`;

/** PURE: porcelain lines of `git push --porcelain` (`<flag>\t<from>:<to>\t<summary>`), by destination ref. */
export function parsePorcelain(stdout: string): Map<string, { flag: string; summary: string }> {
  const out = new Map<string, { flag: string; summary: string }>();
  for (const line of stdout.split('\n')) {
    const m = /^([ +\-*=!])\t[^\t]*:([^\t]+)\t(.*)$/.exec(line);
    if (m) out.set(m[2], { flag: m[1], summary: m[3] });
  }
  return out;
}

export async function reportCompanies(store: Store, report: ReportConfig, host: string, net: NetworkConfig, log: Logger, now = Date.now()): Promise<ReportOutcome> {
  const started = Date.now();
  const label = `report to ${report.url} (host ${host})`;
  const local = new Map<string, string>(); // hub ref → our commit
  const localRef = new Map<string, string>();
  for (const ref of await store.listRefs(COMPANIES_PREFIX)) {
    const oid = await store.readRef(ref);
    if (!oid) continue;
    const remote = hubCompanyRef(host, ref.slice(COMPANIES_PREFIX.length));
    local.set(remote, oid);
    localRef.set(remote, ref);
  }
  const prior = readReportRecord(store);
  const record: ReportRecord =
    prior && prior.url === report.url && prior.host === host
      ? prior
      : { url: report.url, host, lastReport: null, lastChecked: null, lastAttempt: null, lastError: null, lastErrorAt: null, lastFailure: null, reported: {} };
  const gone = Object.keys(record.reported).filter((r) => !local.has(r));
  const out: ReportOutcome = { url: report.url, host, ok: true, failure: null, exitCode: EXIT_STATUS.ok, error: null, tries: 0, skipped: false, updated: [], upToDate: [], deleted: [], refused: [], durationMs: 0 };
  const iso = new Date(now).toISOString();

  const unchanged = gone.length === 0 && [...local].every(([r, oid]) => record.reported[r] === oid);
  const checkedRecently = record.lastChecked !== null && now - Date.parse(record.lastChecked) < RECHECK_MS;
  if ((unchanged && checkedRecently && !record.lastError) || (local.size === 0 && gone.length === 0)) {
    out.skipped = true;
    out.upToDate = [...local.keys()];
    record.lastReport = iso;
    writeReportRecord(store, record);
    log.debug({ url: report.url, host }, `${label}: nothing moved since the last report; nothing sent`);
    return out;
  }

  const refspecs = [...[...local.keys()].map((r) => `${localRef.get(r)}:${r}`), ...gone.map((r) => `:${r}`)];
  const args = ['--git-dir', store.gitdir, ...QUIET_STORE, ...httpBounds(net), 'push', '--porcelain', '--no-verify', '--no-follow-tags', '--', report.url, ...refspecs];
  // A push that reached the hub ends its porcelain with "Done", even when some refs were rejected (exit 1).
  const result = await runRemoteGit(args, { url: report.url, net, log, label, ok: (run) => /^Done$/m.test(run.stdout) });
  out.tries = result.tries;
  record.lastAttempt = iso;
  if (!result.ok) {
    out.ok = false;
    out.failure = 'unreachable';
    out.error = `${label} ${failureClause(result.failure, result.tries)}; the local sync is done, the hub still shows this machine's last report`;
  } else {
    record.lastChecked = iso;
    for (const [ref, { flag, summary }] of parsePorcelain(result.run.stdout)) {
      if (flag === '!') {
        const diverged = /non-fast-forward|fetch first|stale info/.test(summary);
        out.refused.push({
          ref,
          reason: diverged
            ? `${ref} there is not an ancestor of this machine's ${localRef.get(ref) ?? ref} (${summary}): another machine reports as host "${host}" (give each its own "host" in its config), or this store was rebuilt; it was not overwritten`
            : `the hub refused ${ref}: ${summary}`,
        });
        if (diverged && !out.failure) out.failure = 'diverged';
        continue;
      }
      if (flag === '-') {
        out.deleted.push(ref);
        delete record.reported[ref];
        continue;
      }
      (flag === '=' ? out.upToDate : out.updated).push(ref);
      if (local.has(ref)) record.reported[ref] = local.get(ref)!;
    }
    if (out.refused.length > 0) {
      out.ok = false;
      out.failure = out.refused.some((r) => /not an ancestor/.test(r.reason)) ? 'diverged' : 'unreachable';
      out.error = `${label}: ${out.refused.map((r) => r.reason).join('; ')}`;
    }
  }
  if (out.ok) Object.assign(record, { lastReport: iso, lastError: null, lastErrorAt: null, lastFailure: null });
  else Object.assign(record, { lastError: out.error, lastErrorAt: iso, lastFailure: out.failure });
  writeReportRecord(store, record);
  out.exitCode = out.failure ? EXIT_STATUS[out.failure] : EXIT_STATUS.ok;
  out.durationMs = Date.now() - started;
  const fields = { url: report.url, host, tries: out.tries, updated: out.updated.length, deleted: out.deleted.length, durationMs: out.durationMs };
  if (out.error) log.error({ ...fields, err: out.error }, out.error);
  else log.info(fields, `${label}: ${out.updated.length} refs updated, ${out.upToDate.length} already there`);
  return out;
}
