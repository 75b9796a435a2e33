/**
 * Everything the drift page shows, gathered from a status result, the drift
 * judgement and the store's history. Read-only. The page itself is rendered
 * by report-html.ts, a pure function of this data.
 */
import { LIBRARY_REF, companyRef } from '../refs.js';
import type { SkillState } from '../merge/decide.js';
import type { RunState } from '../run-state.js';
import type { Store } from '../store/store.js';
import type { SyncResult } from '../sync.js';
import type { HealthProblem, SyncHealth } from '../health/health.js';
import type { DriftView } from './analyze.js';
import { driftJson } from './collect.js';

/** How far back a company's history is walked to date each skill's last change. */
export const HISTORY_LIMIT = 200;

export interface ChangeInfo {
  commit: string;
  date: string;
  subject: string;
  /** The walk stopped at HISTORY_LIMIT: the change is this commit or older. */
  orOlder: boolean;
}

export interface ReportCompany {
  name: string;
  dir: string;
  ok: boolean;
  error: string | null;
  lastSync: string | null;
  distributedCommit: string | null;
  counts: Record<SkillState, number>;
  /** skill → state, for the skills this company has a state for. */
  states: Record<string, SkillState>;
  /** skill → the company commit that last changed it (as recorded in the store). */
  lastChange: Record<string, ChangeInfo>;
  /** Skills whose folder differs from the last recorded commit (edited since the last sync). */
  unrecorded: string[];
}

export interface ReportData {
  generatedAt: string;
  libraryCommit: string | null;
  librarySource: string;
  lastRun: RunState['lastRun'];
  /** The health verdict (src/health/health.ts), as `status --check` gives it. */
  health: { ok: boolean; problems: HealthProblem[] };
  /** Remote-tracking refs in the store (refs/remotes/…), with their tip's date. */
  remotes: { ref: string; commit: string; date: string }[];
  skills: string[];
  /** library skill → the library commit that last changed it. */
  libraryChanges: Record<string, ChangeInfo>;
  companies: ReportCompany[];
  drift: ReturnType<typeof driftJson>;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Per skill (top-level folder), the commit on `ref`'s first-parent history that last changed it. */
async function lastChanges(store: Store, ref: string): Promise<{ changes: Record<string, ChangeInfo>; tree: Map<string, string> }> {
  const changes: Record<string, ChangeInfo> = {};
  const head = await store.readRef(ref);
  if (!head) return { changes, tree: new Map() };
  const treeOf = async (oid: string) => new Map((await store.readTree(oid)).filter((e) => e.mode === '40000').map((e) => [e.name, e.oid]));
  let commit = await store.readCommit(head);
  const current = await treeOf(commit.tree);
  const open = new Set(current.keys());
  for (let depth = 0; open.size > 0; depth++) {
    const info = { commit: commit.oid, date: iso(commit.author.timestamp), subject: commit.message.split('\n')[0], orOlder: false };
    for (const s of open) changes[s] = info;
    const parent = commit.parents[0];
    if (!parent || depth + 1 >= HISTORY_LIMIT) {
      for (const s of open) changes[s] = { ...info, orOlder: Boolean(parent) };
      break;
    }
    commit = await store.readCommit(parent);
    const older = await treeOf(commit.tree);
    for (const s of [...open]) if (older.get(s) !== current.get(s)) open.delete(s);
  }
  return { changes, tree: current };
}

export async function gatherReport(store: Store | null, result: SyncResult, drift: DriftView, runState: RunState, health: SyncHealth): Promise<ReportData> {
  const skills = new Set<string>(result.library.skills.keys());
  const companies: ReportCompany[] = [];
  for (const o of result.companies) {
    for (const s of o.skills) skills.add(s.name);
    // A company whose history cannot be read has already failed (o.error says why): its row shows that, the others are whole.
    const none = { changes: {} as Record<string, ChangeInfo>, tree: new Map<string, string>() };
    const { changes, tree } = store ? await lastChanges(store, companyRef(o.name)).catch(() => none) : none;
    companies.push({
      name: o.name,
      dir: o.dir,
      ok: o.ok,
      error: o.error,
      lastSync: o.lastSync,
      distributedCommit: o.distributedCommit,
      counts: o.counts,
      states: Object.fromEntries(o.skills.map((s) => [s.name, s.state])),
      lastChange: changes,
      unrecorded: o.skills.filter((s) => s.company !== undefined && tree.get(s.name) !== s.company).map((s) => s.name),
    });
  }
  const remotes = [];
  if (store) {
    for (const ref of await store.listRefs('refs/remotes/').catch(() => [] as string[])) {
      const commit = await store.readRef(ref);
      if (!commit) continue;
      const c = await store.readCommit(commit).catch(() => null);
      remotes.push({ ref, commit, date: c ? iso(c.author.timestamp) : '' });
    }
  }
  return {
    generatedAt: new Date().toISOString(),
    libraryCommit: result.libraryCommit,
    librarySource: result.library.source,
    lastRun: runState.lastRun,
    health: { ok: health.problems.length === 0, problems: health.problems },
    remotes,
    skills: [...skills].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    libraryChanges: store ? (await lastChanges(store, LIBRARY_REF).catch(() => ({ changes: {} }))).changes : {},
    companies,
    drift: driftJson(drift),
  };
}
