/** Drift for a status result: read reasons and conflicts from the store, then judge (analyze.ts). */
import { readConflicts } from '../apply/merge-files.js';
import type { Store } from '../store/store.js';
import type { SyncResult } from '../sync.js';
import { analyzeDrift, type DriftView } from './analyze.js';
import { latestReasons, readReasons, reasonKey } from './reasons.js';

export async function collectDrift(store: Store | null, result: SyncResult): Promise<DriftView> {
  const reasons = latestReasons(await readReasons(store));
  const conflicts = [];
  if (store) {
    for (const c of result.companies) conflicts.push(...(await readConflicts(store, c.name)).map((r) => ({ company: c.name, ...r })));
  }
  return analyzeDrift(result.companies, reasons, conflicts);
}

/** The JSON shape of drift in `status --json` and the report (SPEC.md). */
export function driftJson(d: DriftView) {
  const entry = (o: DriftView['overrides'][number]) => ({
    company: o.company,
    skill: o.skill,
    state: o.state,
    tree: o.tree,
    reason: o.reason ? { text: o.reason.reason, recorded: o.reason.recorded, commit: o.reason.commit } : null,
    staleReason: o.staleReason ? { text: o.staleReason.reason, recorded: o.staleReason.recorded, tree: o.staleReason.tree } : null,
  });
  return {
    overrides: d.overrides.map(entry),
    unexplained: d.unexplained.map(({ company, skill, state, tree }) => ({ company, skill, state, tree })),
    promoteCandidates: d.promoteCandidates,
    conflicts: d.conflicts,
  };
}

/** The reason shown beside one skill in `status`: text, or null for an unexplained override; undefined when not an override. */
export function reasonOf(d: DriftView, company: string, skill: string): string | null | undefined {
  const o = d.overrides.find((x) => reasonKey(x.company, x.skill) === reasonKey(company, skill));
  return o ? (o.reason?.reason ?? null) : undefined;
}
