/**
 * The programmatic API: `import { openLibrarySync } from 'library-sync'`.
 * Each method that writes takes the store's lock itself (and gives it back),
 * so an embedder cannot forget it; read-only methods take none. Results are
 * plain data (the same shapes as the CLI's --json). The CLI is one user of
 * these same functions.
 */
import os from 'node:os';
import { checkConfigPaths, loadConfig, parseConfig, type Config, type RawConfig } from './config.js';
import { refreshIndex, type IndexOutcome } from './discover/refresh.js';
import { UsageError } from './errors.js';
import { withLock } from './lock.js';
import { createLogger, type Logger } from './log.js';
import { forgeSync as pushToRemote, type ForgeSyncResult } from './remote/forge-sync.js';
import { hostRefName, resolveRemotes } from './remote/resolve.js';
import { runRollback, type RollbackResult } from './snapshot/rollback.js';
import { createSnapshot, listSnapshots, timestampName, type SnapshotInfo, type SnapshotTaken } from './snapshot/snapshot.js';
import { readRunState } from './state.js';
import { Store } from './store/store.js';
import { exitCodeOf, runSync, type SyncResult } from './sync.js';
import { toJson } from './cli/format.js';
import { pushedStates } from './pipeline/outcome.js';
import type { SkillState } from './merge/decide.js';

/** Any logger with these four methods (pino, console, a wrapper). Optional: without one, nothing is logged. */
export type LibrarySyncLogger = Logger;

export type OpenOptions = ({ configFile?: string } | { config: RawConfig; configFile?: string }) & {
  logger?: LibrarySyncLogger;
  /** How long a writing method waits for another run's lock (default 0: fail at once with a LockedError). */
  waitSeconds?: number;
};

/** A run's result as data: the CLI's `sync --json` shape, plus the exit code the CLI would give. */
export type SyncReport = ReturnType<typeof toJson> & { exitCode: number; snapshot: string | null };

/** One company after a push: each pushed skill's state before and after. */
export interface PushedCompany {
  company: string;
  ok: boolean;
  /** Spelled out (not derived from src/pipeline/outcome.ts) so that the shipped declarations need no Node types. */
  skills: { skill: string; before: SkillState; state: SkillState; changedDuringRun: boolean }[];
}

export interface PlanSkill {
  name: string;
  state: string;
  action: string;
}

export interface LibrarySync {
  readonly config: Config;
  /** What `sync --fix` would do: per company, per skill, the same `state` as `status --json`. Writes nothing. */
  plan(opts?: { companies?: string[] }): Promise<SyncReport>;
  /** `sync --fix`: apply the plan, then rebuild the search index (unless `index: false`). */
  sync(opts?: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean }): Promise<SyncReport & { index: IndexOutcome | null }>;
  /** Force the library's version of skills into companies, ending overrides; `pushed`: each skill's state after the push. */
  push(skills: string | string[], opts: { companies: string[] }): Promise<SyncReport & { pushed: PushedCompany[] }>;
  /** The plan plus each company's last sync and the last run. */
  status(opts?: { companies?: string[] }): Promise<SyncReport & { lastRun: unknown; lastSync: Record<string, string | null> }>;
  /** Refused with a RollbackRefusedError (exit 2, nothing written) when it would remove more than safety.maxRemovePercent of a company's skills, unless `force`. */
  rollback(snapshot: string, opts?: { companies?: string[]; skills?: string[]; dryRun?: boolean; force?: boolean }): Promise<RollbackResult>;
  /** Tag the store as it is now: the tag name (`snapshot/<name>`) and the company heads that could not be read. */
  snapshot(name?: string, opts?: { message?: string }): Promise<SnapshotTaken>;
  snapshots(): Promise<SnapshotInfo[]>;
  /** Push to the configured remotes (or the one named, a URL, or a host). */
  forgeSync(remote?: string, opts?: { tries?: number; timeoutSeconds?: number; connectTimeoutSeconds?: number }): Promise<ForgeSyncResult[]>;
  /** Release what this handle holds. Later calls fail. */
  close(): Promise<void>;
}

const SILENT: LibrarySyncLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function openLibrarySync(opts: OpenOptions = {}): Promise<LibrarySync> {
  const config = 'config' in opts ? checkConfigPaths(parseConfig(opts.config, opts.configFile ?? `${process.cwd()}/library.config.json`)) : loadConfig(opts.configFile);
  return new Handle(config, opts.logger ?? SILENT, opts.waitSeconds ?? 0);
}

class Handle implements LibrarySync {
  private closed = false;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    private readonly waitSeconds: number,
  ) {}

  private ctx(store: Store | null) {
    if (this.closed) throw new UsageError('this library-sync handle is closed: open another with openLibrarySync()');
    return { config: this.config, store, log: this.log };
  }

  private readable(): Store | null {
    try {
      return Store.open(this.config.storeDir);
    } catch {
      return null;
    }
  }

  private async locked<T>(command: string, fn: (store: Store) => Promise<T>): Promise<T> {
    this.ctx(null);
    const store = await Store.openOrCreate(this.config.storeDir);
    return withLock(store, { waitSeconds: this.waitSeconds, command, log: this.log, staleMs: this.config.lockStaleMs }, () => fn(store));
  }

  private report(result: SyncResult): SyncReport {
    return { ...toJson(result), exitCode: exitCodeOf(result), snapshot: result.snapshot };
  }

  async plan(o: { companies?: string[] } = {}): Promise<SyncReport> {
    return this.report(await runSync(this.ctx(this.readable()), { mode: 'plan', companies: o.companies, allowEmptyLibrary: true }));
  }

  async sync(o: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean } = {}) {
    return this.locked('library-sync API: sync', async (store) => {
      const result = await runSync(this.ctx(store), { mode: 'fix', companies: o.companies, force: o.force, allowEmptyLibrary: o.allowEmptyLibrary });
      const index = o.index === false ? null : await refreshIndex(this.ctx(store), store);
      return { ...this.report(result), index };
    });
  }

  async push(skills: string | string[], o: { companies: string[] }) {
    const list = Array.isArray(skills) ? skills : [skills];
    if (list.length === 0 || !o?.companies?.length) throw new UsageError('push needs at least one skill and one company');
    return this.locked(`library-sync API: push ${list.join(' ')}`, async (store) => {
      const result = await runSync(this.ctx(store), { mode: 'push', skills: list, companies: o.companies });
      return { ...this.report(result), pushed: result.companies.map((c) => ({ company: c.name, ok: c.ok, skills: pushedStates(c) })) };
    });
  }

  async status(o: { companies?: string[] } = {}) {
    const store = this.readable();
    const report = this.report(await runSync(this.ctx(store), { mode: 'plan', companies: o.companies, allowEmptyLibrary: true }));
    const runState = readRunState(store);
    const lastSync = Object.fromEntries(report.companies.map((c) => [c.name, runState.companies[c.name]?.lastSync ?? null]));
    return { ...report, lastRun: runState.lastRun, lastSync };
  }

  async rollback(snapshot: string, o: { companies?: string[]; skills?: string[]; dryRun?: boolean; force?: boolean } = {}) {
    return this.locked(`library-sync API: rollback ${snapshot}`, (store) =>
      runRollback(this.ctx(store) as { config: Config; store: Store; log: Logger }, { snapshot, companies: o.companies, skills: o.skills, dryRun: o.dryRun ?? false, force: o.force ?? false }),
    );
  }

  async snapshot(name?: string, o: { message?: string } = {}) {
    return this.locked('library-sync API: snapshot', (store) => createSnapshot(store, name ?? timestampName(''), o.message ?? (name ? `snapshot ${name}` : 'manual snapshot')));
  }

  async snapshots() {
    const store = this.readable();
    return store ? listSnapshots(store) : [];
  }

  async forgeSync(remote?: string, o: { tries?: number; timeoutSeconds?: number; connectTimeoutSeconds?: number } = {}) {
    this.ctx(null);
    const store = Store.open(this.config.storeDir);
    const results: ForgeSyncResult[] = [];
    for (const r of resolveRemotes(remote, this.config.remotes, this.config.file)) {
      const token = r.tokenEnv ? process.env[r.tokenEnv] : undefined;
      if (r.tokenEnv && !token) throw new UsageError(`forge-sync: remote ${r.name} needs a token in $${r.tokenEnv}, which is not set`);
      results.push(
        await pushToRemote(store, r, this.log, {
          connectTimeoutMs: (o.connectTimeoutSeconds ?? 10) * 1000,
          timeoutMs: (o.timeoutSeconds ?? 120) * 1000,
          tries: o.tries ?? 3,
          retryDelayMs: 1000,
          host: hostRefName(os.hostname()),
          authorization: token ? `Basic ${Buffer.from(`library-sync:${token}`).toString('base64')}` : null,
          sshCommand: process.env.LIBRARY_SSH || undefined,
        }),
      );
    }
    return results;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export { createLogger };
export type { Config, RawConfig, RollbackResult, SnapshotInfo, SnapshotTaken, ForgeSyncResult, IndexOutcome };
