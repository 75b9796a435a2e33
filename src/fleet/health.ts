/**
 * PURE: the fleet's part of the health verdict (`status --check`). Red while
 * the library's last fetch failed (naming the URL and when a fetch last
 * succeeded) and while the last report failed; green again after one that
 * succeeds.
 */
import type { HealthProblem } from '../health/health.js';
import { formatAge } from '../health/health.js';
import type { ReportConfig, UrlLibrary } from './config.js';
import type { ReportRecord, UpstreamRecord } from './state.js';

export interface FleetHealthInput {
  libraryUrl: UrlLibrary | null;
  report: ReportConfig | null;
  upstream: UpstreamRecord | null;
  reported: ReportRecord | null;
  now: number;
}

export function fleetProblems(input: FleetHealthInput): HealthProblem[] {
  const out: HealthProblem[] = [];
  const ago = (iso: string) => `${formatAge(Math.max(0, (input.now - Date.parse(iso)) / 1000))} ago`;
  const u = input.upstream;
  const lib = input.libraryUrl;
  if (lib && u && u.url === lib.url && u.branch === lib.branch && u.lastError && u.lastErrorAt && !(u.lastFetch && u.lastFetch > u.lastErrorAt)) {
    out.push({
      check: 'library-fetch',
      message: `the library's last fetch from ${lib.url} (branch ${lib.branch}), ${ago(u.lastErrorAt)}, ${u.lastCause ?? u.lastError}; ${
        u.lastFetch ? `the last successful fetch was ${ago(u.lastFetch)} (${u.lastFetch}, commit ${u.commit?.slice(0, 7) ?? '-'}): companies have the library as it was then` : 'no fetch has ever succeeded'
      }`,
      fix: 'fix the cause above (the host, this machine\'s network, its key or token), then `library sync --fix`',
    });
  }
  const r = input.reported;
  if (input.report && r && r.url === input.report.url && r.lastError && r.lastErrorAt && !(r.lastReport && r.lastReport > r.lastErrorAt)) {
    const diverged = r.lastFailure === 'diverged';
    out.push({
      check: 'report',
      message: `the last report to ${r.url} (host ${r.host}, ${ago(r.lastErrorAt)}) ${diverged ? 'was refused as not a fast-forward' : 'failed'}: ${r.lastError}`,
      fix: diverged ? 'give each machine its own "host" in its config, then `library sync --fix`' : 'fix the cause above, then `library sync --fix` (the local sync is not affected)',
    });
  }
  return out;
}
