/** Human-readable drift: reasons, unexplained drift, promote candidates, conflicts. */
import type { DriftView } from '../drift/analyze.js';
import { reasonOf } from '../drift/collect.js';

/** The note printed after an override's line in `status`. */
export function reasonNote(d: DriftView, company: string, skill: string): string {
  const r = reasonOf(d, company, skill);
  if (r === undefined) return '';
  return r === null ? '  (unexplained)' : `  reason: ${r}`;
}

/** Human lines for `status`, after the per-company lines. */
export function formatDrift(d: DriftView): string[] {
  const lines: string[] = [];
  if (d.unexplained.length) {
    lines.push(`unexplained drift (${d.unexplained.length}): record why with \`library override <skill> --company <name> --reason "…"\``);
    for (const o of d.unexplained) {
      const stale = o.staleReason ? ` (a reason was recorded for an earlier version: "${o.staleReason.reason}")` : '';
      lines.push(`  ${o.company}/${o.skill} ${o.state}${stale}`);
    }
  }
  if (d.promoteCandidates.length) {
    lines.push(`promote candidates (the same override in several companies: a library fix nobody upstreamed?):`);
    for (const p of d.promoteCandidates) {
      lines.push(`  ${p.skill} (version ${p.tree.slice(0, 7)}) in ${p.companies.join(', ')}: \`library promote ${p.skill} --from ${p.companies[0]}\``);
    }
  }
  if (d.conflicts.length) {
    lines.push(`file conflicts from the last sync (company versions kept; see \`library diff\`):`);
    for (const c of d.conflicts) lines.push(`  ${c.company}/${c.skill}/${c.path}: ${c.reason}`);
  }
  return lines;
}
