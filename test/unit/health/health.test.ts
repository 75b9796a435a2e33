/** The health check as a pure function: run state, companies, lock and clock in; problems out. */
import { describe, expect, it } from 'vitest';
import { checkSyncHealth, parseDuration, type HealthInput } from '../../../src/health/health.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function input(over: Partial<HealthInput> = {}): HealthInput {
  return {
    state: {
      lastRun: { at: ago(60), ok: true, failed: [] },
      companies: { A: { lastSync: ago(60), lastAttempt: ago(60), lastError: null }, B: { lastSync: ago(300), lastAttempt: ago(60), lastError: null } },
    },
    companies: ['A', 'B'],
    lock: null,
    now: NOW,
    maxAgeSeconds: 900,
    storeDir: '/s.git',
    ...over,
  };
}

describe('checkSyncHealth', () => {
  it('healthy: no problems; the oldest company sync is reported', () => {
    const h = checkSyncHealth(input());
    expect(h.problems).toEqual([]);
    expect(h.oldestSync).toBe(ago(300));
    expect(h.oldestSyncAgeSeconds).toBe(300);
  });
  it('a last sync over the limit', () => {
    const h = checkSyncHealth(input({ maxAgeSeconds: 120 }));
    expect(h.problems.map((p) => p.message)).toEqual(['company B last synced successfully 5m ago, over the limit of 2m']);
  });
  it('a company that failed in the last run', () => {
    const base = input();
    base.state.lastRun = { at: ago(60), ok: false, failed: ['B'] };
    base.state.companies.B.lastError = 'company B (/b): ENOSPC';
    expect(checkSyncHealth(base).problems.map((p) => [p.check, p.message])).toEqual([['company-failed', `company B failed in the last run (${ago(60)}): company B (/b): ENOSPC`]]);
  });
  it('never synced: no run at all, or a configured company never synced', () => {
    expect(checkSyncHealth(input({ state: { lastRun: null, companies: {} } })).problems[0].message).toBe('no sync has ever run on store /s.git');
    const h = checkSyncHealth(input({ companies: ['A', 'B', 'C'] }));
    expect(h.problems.map((p) => p.message)).toEqual(['company C has never synced successfully']);
    expect(h.oldestSync).toBe(null);
  });
  it('a stale lock: a dead holder, or not refreshed', () => {
    const owner = { pid: 42, host: 'h', command: 'library sync --fix', startedAt: ago(100), alive: false };
    const dead = checkSyncHealth(input({ lock: { held: true, stale: true, owner, lockPath: '/l', ageMs: 1000 } }));
    expect(dead.problems.map((p) => p.message)).toEqual([`the store lock /l is stale: held by pid 42 on h (library sync --fix) since ${ago(100)}, and that process is gone`]);
    const old = checkSyncHealth(input({ lock: { held: true, stale: true, owner: { ...owner, alive: true }, lockPath: '/l', ageMs: 120_000 } }));
    expect(old.problems[0].message).toMatch(/it was not refreshed for 2m$/);
    expect(checkSyncHealth(input({ lock: { held: true, stale: false, owner: { ...owner, alive: true }, lockPath: '/l', ageMs: 1 } })).problems).toEqual([]);
  });
});

describe('parseDuration', () => {
  it('units and plain seconds', () => {
    expect(['15m', '90s', '2h', '1d', '30', '1.5m'].map(parseDuration)).toEqual([900, 90, 7200, 86400, 30, 90]);
  });
  it('garbage is a usage error saying what is accepted (the CLI names the flag)', () => {
    expect(() => parseDuration('soon')).toThrow(/^expected a duration such as 15m, 90s, 2h or 1d, got "soon"$/);
    expect(() => parseDuration('-5m')).toThrow();
  });
});
