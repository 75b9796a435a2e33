/**
 * Is the scheduled sync healthy? Pure: run state, company names, lock state
 * and the clock in; problems out, each with the fix. `status --check` and
 * `doctor` both ask this.
 */
import { UsageError } from '../errors.js';
import type { LockHealth } from '../lock.js';
import type { RunState } from '../state.js';

export interface HealthProblem {
  check: 'last-sync' | 'company-failed' | 'lock';
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
  companies: string[];
  lock: LockHealth | null;
  now: number;
  maxAgeSeconds: number;
  storeDir: string;
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

  if (!state.lastRun) {
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
    for (const name of state.lastRun.failed) {
      const err = state.companies[name]?.lastError;
      problems.push({ check: 'company-failed', message: `company ${name} failed in the last run (${state.lastRun.at})${err ? `: ${err}` : ''}`, fix: `fix the cause above, then \`library sync --fix --company ${name}\`` });
    }
  }
  const lock = input.lock;
  if (lock?.stale) {
    const who = lock.owner ? `pid ${lock.owner.pid} on ${lock.owner.host} (${lock.owner.command}) since ${lock.owner.startedAt}` : 'an unknown process';
    const why = lock.owner && !lock.owner.alive ? 'that process is gone' : `it was not refreshed for ${formatAge((lock.ageMs ?? 0) / 1000)}`;
    problems.push({
      check: 'lock',
      message: `the store lock ${lock.lockPath} is stale: held by ${who}, and ${why}`,
      fix: 'the next run takes it over; if runs keep failing, make sure no library process is running and remove that folder',
    });
  }
  const oldestSync = never ? null : oldest;
  return { lastRun: state.lastRun, oldestSync, oldestSyncAgeSeconds: oldestSync ? Math.round(age(oldestSync)) : null, problems };
}

/** `--max-age`: "15m", "90s", "2h", "1d" or plain seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new UsageError(`expected a duration such as 15m, 90s, 2h or 1d, got "${value}"`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
}
