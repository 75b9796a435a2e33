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
    missing: [],
    remotes: [],
    stateFile: '/s.git/library-sync/state.json',
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
    expect(checkSyncHealth(base).problems.map((p) => [p.check, p.message])).toEqual([['company-failed', `company B failed in its last run (${ago(60)}): company B (/b): ENOSPC`]]);
    // A later run of only company A (a push, `sync --fix --company A`) does not hide B's failure.
    base.state.lastRun = { at: ago(10), ok: true, failed: [], exitCode: 0, skipped: [] };
    expect(checkSyncHealth(base).problems.map((p) => p.check)).toEqual(['company-failed']);
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
  it('a lock folder without an owner file: named as the run that takes it over names it', () => {
    const ownerless = checkSyncHealth(input({ lock: { held: true, stale: true, owner: null, lockPath: '/l', ageMs: 5_000 } }));
    expect(ownerless.problems).toEqual([
      {
        check: 'lock',
        message: 'the store lock /l has no owner file (left by an older version, or made by hand; last touched 5s ago)',
        fix: 'the next run takes it over, with a warning; to clear it now, make sure no library command is running and remove that folder',
      },
    ]);
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

  it('fails for every reason the last run exited non-zero: skipped skills, an exit code alone', () => {
    const run = { at: ago(60), ok: false, failed: [], exitCode: 1, skipped: ['search index: EACCES'] };
    const state = input().state;
    state.companies.A.skipped = ['/a/pdf copy: invalid skill name "pdf copy"'];
    const h = checkSyncHealth(input({ state: { ...state, lastRun: run } }));
    expect(h.problems.map((p) => [p.check, p.message])).toEqual([
      ['skipped', `company A's last run (${ago(60)}) skipped /a/pdf copy: invalid skill name "pdf copy"`],
      ['skipped', `the last run (${ago(60)}) skipped search index: EACCES`],
    ]);
    const bare = checkSyncHealth(input({ state: { ...input().state, lastRun: { ...run, skipped: [] } } }));
    expect(bare.problems.map((p) => [p.check, p.message])).toEqual([['last-run', `the last run (${ago(60)}) exited 1`]]);
  });

  it('fails for a remote whose last forge-sync failed or diverged, not for one that succeeded since', () => {
    const remote = { name: 'forge', url: 'me@h:s.git', configured: true, lastPush: ago(600), lastPushedLibrary: null, lastObjectsSent: 0, lastAttempt: ago(60), lastError: 'forge: unreachable (ECONNREFUSED)', lastErrorAt: ago(60), lastFailure: 'unreachable' as const };
    const diverged = { ...remote, name: 'mirror', lastError: "mirror: the remote's library diverged", lastFailure: 'diverged' as const };
    const h = checkSyncHealth(input({ remotes: [remote, diverged, { ...remote, name: 'ok', lastError: null, lastErrorAt: null }, { ...remote, name: 'gone', configured: false }] }));
    expect(h.problems.map((p) => [p.check, p.message])).toEqual([
      ['remote', 'remote forge: the last forge-sync (60s ago) failed: forge: unreachable (ECONNREFUSED)'],
      ['remote', "remote mirror: the last forge-sync (60s ago) found its library diverged: mirror: the remote's library diverged"],
    ]);
    expect(h.problems[1].fix).toMatch(/library forge-sync mirror/);
  });

  it('fails for a configured company folder that is missing, and for a company the glob no longer finds', () => {
    const h = checkSyncHealth(input({ companies: ['A'], missing: [{ name: 'B', dir: null }, { name: 'C', dir: '/alai/C' }] }));
    expect(h.problems.map((p) => [p.check, p.message])).toEqual([
      ['company-missing', 'company B synced before (last 5m ago), but the companies glob no longer finds its folder'],
      ['company-missing', "company C's folder /alai/C does not exist"],
    ]);
    expect(h.problems[0].fix).toContain('/s.git/library-sync/state.json');
  });
});
