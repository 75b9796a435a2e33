/**
 * The health verdict: is the scheduled sync doing its job? Pure: run state,
 * company folders, remotes, lock state and the clock in; one problem per
 * reason out, each with its fix. `status --check`, `status`, `doctor` and the
 * drift page all show this one verdict, so a monitor that runs
 * `status --check` learns everything the scheduler's exit status knows.
 */
import { UsageError } from '../errors.js';
import type { LockHealth } from '../lock.js';
import { ownerlessLockMessage } from '../lock-folder.js';
import type { RemoteStatus } from '../remote/state.js';
import type { RunState } from '../run-state.js';

export type HealthCheckName = 'last-sync' | 'last-run' | 'company-failed' | 'skipped' | 'company-missing' | 'library-fetch' | 'report' | 'remote' | 'lock';

export interface HealthProblem {
  check: HealthCheckName;
  message: string;
  fix: string;
}

export interface SyncHealth {
  lastRun: RunState['lastRun'];
  /** The oldest last successful sync among the configured companies: every company is at least this fresh. */
  oldestSync: string | null;
  oldestSyncAgeSeconds: number | null;
  problems: HealthProblem[];
}

export interface HealthInput {
  state: RunState;
  /** The companies the config resolves to now. */
  companies: string[];
  /** Configured company folders that do not exist, and companies synced before whose folder the glob no longer finds. */
  missing: { name: string; dir: string | null }[];
  remotes: readonly RemoteStatus[];
  /** A library pulled from a URL, and reports to a hub (src/fleet/health.ts): their problems, in that order. */
  fleet?: HealthProblem[];
  lock: LockHealth | null;
  now: number;
  maxAgeSeconds: number;
  storeDir: string;
  stateFile: string;
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

const RUN_FIX = 'run `library sync --fix` and read its errors; check the schedule with `library doctor`';

export function checkSyncHealth(input: HealthInput): SyncHealth {
  const { state, now, maxAgeSeconds } = input;
  const problems: HealthProblem[] = [];
  const age = (iso: string) => Math.max(0, (now - Date.parse(iso)) / 1000);
  let oldest: string | null = null;
  let never = false;
  const run = state.lastRun;

  if (!run) {
    problems.push({ check: 'last-sync', message: `no sync has ever run on store ${input.storeDir}`, fix: 'run `library sync --fix`, then install the schedule (`library launchd install` or `library systemd install`)' });
  } else {
    for (const name of input.companies) {
      const last = state.companies[name]?.lastSync ?? null;
      if (!last) {
        never = true;
        problems.push({ check: 'last-sync', message: `company ${name} has never synced successfully`, fix: RUN_FIX });
        continue;
      }
      if (oldest === null || last < oldest) oldest = last;
      if (age(last) > maxAgeSeconds) {
        problems.push({
          check: 'last-sync',
          message: `company ${name} last synced successfully ${formatAge(age(last))} ago, over the limit of ${formatAge(maxAgeSeconds)}`,
          fix: RUN_FIX,
        });
      }
    }
    // Per company, from its own last attempt: a later run of other companies (a push, `--company`) does not hide it.
    for (const name of input.companies) {
      const s = state.companies[name];
      if (s?.lastError) {
        problems.push({ check: 'company-failed', message: `company ${name} failed in its last run (${s.lastAttempt ?? run.at}): ${s.lastError}`, fix: `fix the cause above, then \`library sync --fix --company ${name}\`` });
      }
    }
    for (const name of input.companies) {
      const s = state.companies[name];
      for (const what of s?.skipped ?? []) {
        problems.push({ check: 'skipped', message: `company ${name}'s last run (${s!.lastAttempt ?? run.at}) skipped ${what}`, fix: 'do what the message says (rename, fix or remove what it names), then `library sync --fix`' });
      }
    }
    for (const what of run.skipped ?? []) {
      problems.push({ check: 'skipped', message: `the last run (${run.at}) skipped ${what}`, fix: 'do what the message says (rename, fix or remove what it names), then `library sync --fix`' });
    }
    // Older state files have no exit code; a run they call failed has its companies listed above.
    if ((run.exitCode ?? 0) !== 0 && !problems.some((p) => p.check === 'company-failed' || p.check === 'skipped')) {
      problems.push({ check: 'last-run', message: `the last run (${run.at}) exited ${run.exitCode}`, fix: RUN_FIX });
    }
  }
  for (const m of input.missing) {
    const last = state.companies[m.name]?.lastSync;
    problems.push(
      m.dir
        ? { check: 'company-missing', message: `company ${m.name}'s folder ${m.dir} does not exist`, fix: 'create or restore the folder (moved? an unmounted volume?), or fix "companies" in the config' }
        : {
            check: 'company-missing',
            message: `company ${m.name} synced before${last ? ` (last ${formatAge(age(last))} ago)` : ''}, but the companies glob no longer finds its folder`,
            fix: `restore the folder (moved, renamed, or on an unmounted volume?); if ${m.name} is gone for good, delete its entry under "companies" in ${input.stateFile} (its history stays in the store)`,
          },
    );
  }
  problems.push(...(input.fleet ?? []));
  for (const r of input.remotes) {
    if (!r.configured || !r.lastError || !r.lastErrorAt || (r.lastPush && r.lastPush > r.lastErrorAt)) continue;
    const diverged = r.lastFailure === 'diverged';
    problems.push({
      check: 'remote',
      message: `remote ${r.name}: the last forge-sync (${formatAge(age(r.lastErrorAt))} ago) ${diverged ? 'found its library diverged' : 'failed'}: ${r.lastError}`,
      fix: diverged
        ? `find what else writes ${r.name}'s library (a receiving machine has "library": { "ref": "refs/heads/library" }), then \`library forge-sync ${r.name}\``
        : `fix the cause above, then \`library forge-sync ${r.name}\``,
    });
  }
  const lock = input.lock;
  if (lock?.stale && !lock.owner) {
    problems.push({
      check: 'lock',
      message: ownerlessLockMessage(lock.lockPath, lock.ageMs ?? 0),
      fix: 'the next run takes it over, with a warning; to clear it now, make sure no library command is running and remove that folder',
    });
  } else if (lock?.stale) {
    const who = lock.owner ? `pid ${lock.owner.pid} on ${lock.owner.host} (${lock.owner.command}) since ${lock.owner.startedAt}` : 'an unknown process';
    const why = lock.owner && !lock.owner.alive ? 'that process is gone' : `it was not refreshed for ${formatAge((lock.ageMs ?? 0) / 1000)}`;
    problems.push({
      check: 'lock',
      message: `the store lock ${lock.lockPath} is stale: held by ${who}, and ${why}`,
      fix: 'the next run takes it over; if runs keep failing, make sure no library command is running and remove that folder',
    });
  }
  const oldestSync = never ? null : oldest;
  return { lastRun: run, oldestSync, oldestSyncAgeSeconds: oldestSync ? Math.round(age(oldestSync)) : null, problems };
}

/** `--max-age`: "15m", "90s", "2h", "1d" or plain seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UsageError(`expected a duration such as 15m, 90s, 2h or 1d, got "${value}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}

const ago = (iso: string, now: number) => `${formatAge(Math.max(0, Math.round((now - Date.parse(iso)) / 1000)))} ago`;

/** One line: how stale the stalest company is, and how the last run ended. */
export function healthSummary(h: SyncHealth, now = Date.now()): string {
  const r = h.lastRun;
  const n = h.problems.filter((p) => p.check === 'skipped').length;
  const skipped = n ? `skipped ${n}` : '';
  const failed = r?.failed.length ? `failed for ${r.failed.join(', ')}` : '';
  const how = !r ? 'no run yet' : `last run ${ago(r.at, now)}: ${r.ok ? 'ok' : `exit ${r.exitCode ?? 1}${failed || skipped ? ` (${[failed, skipped].filter(Boolean).join('; ')})` : ''}`}`;
  return `last successful sync: ${h.oldestSync ? `${ago(h.oldestSync, now)} (the oldest of every company's)` : 'never'}; ${how}`;
}

/** One line per problem, `<check>: <message>; fix: <fix>`: what `status --check` prints, and the top of `status`. */
export function formatProblems(h: SyncHealth): string[] {
  return h.problems.map((p) => `${p.check}: ${p.message}; fix: ${p.fix}`);
}
