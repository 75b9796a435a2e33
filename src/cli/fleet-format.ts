/** Human lines for a fleet machine's fetch and report (sync) and for `library fleet`. */
import type { FetchOutcome } from '../fleet/fetch.js';
import type { ReportOutcome } from '../fleet/report.js';

export const short = (oid: string | null | undefined) => (oid ? oid.slice(0, 7) : '-');

export function fetchLines(f: FetchOutcome): string[] {
  const head = `fetch of library ${f.url} (branch ${f.branch})`;
  if (!f.ok) return [`${head}: FAILED (exit ${f.exitCode}; the reason is on stderr): distributing the library as last fetched (${short(f.commit)}${f.lastFetch ? `, fetched ${f.lastFetch}` : ''})`];
  const lines = [`${head}: ${f.commit === f.previous ? `nothing new (${short(f.commit)})` : `${short(f.previous)} → ${short(f.commit)}`}`];
  if (f.rewritten) lines.push(`  REWRITTEN: the branch was force-pushed: ${short(f.rewritten.from)} is no longer in its history; followed to ${short(f.rewritten.to)}; the old commits are kept as ${f.rewritten.keptAs}`);
  return lines;
}

export function reportLine(r: ReportOutcome): string {
  const head = `report to ${r.url} (host ${r.host})`;
  if (r.skipped) return `${head}: nothing moved since the last report, nothing sent`;
  if (!r.ok && r.updated.length === 0 && r.deleted.length === 0) return `${head}: FAILED (exit ${r.exitCode}; the reason is on stderr)`;
  const parts = [`${r.updated.length} ref${r.updated.length === 1 ? '' : 's'} updated`, `${r.upToDate.length} already there`];
  if (r.deleted.length) parts.push(`${r.deleted.length} deleted (forgotten companies)`);
  if (r.refused.length) parts.push(`${r.refused.length} REFUSED`);
  return `${head}: ${parts.join(', ')}`;
}
