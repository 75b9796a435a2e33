/**
 * The programmatic API: `import { openLibrarySync } from 'library-sync'`.
 * Each method that writes takes the store's lock itself (and gives it back),
 * so an embedder cannot forget it; read-only methods take none. Results are
 * plain data (the same shapes as the CLI's --json). The CLI runs the same
 * engine (src/engine.ts) and formats its rich results.
 */
import { checkConfigPaths, loadConfig, parseConfig, type Config, type RawConfig } from './config.js';
import type { IndexOutcome } from './discover/refresh.js';
import { Engine } from './engine.js';
import { UsageError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import type { ForgeSyncResult } from './remote/forge-sync.js';
import type { FetchOutcome } from './fleet/fetch.js';
import type { ReportOutcome } from './fleet/report.js';
import type { RollbackResult } from './snapshot/rollback.js';
import type { SnapshotInfo, SnapshotTaken } from './snapshot/snapshot.js';
import { readRunState } from './run-state.js';
import { exitCodeOf, type SyncResult } from './sync.js';
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
  /**
   * `sync --fix`: apply the plan, then rebuild the search index (unless `index: false`). A library from a URL is
   * fetched first (`fetch`), and a `report` URL gets the company histories after (`report`); their failures are in `exitCode`.
   */
  sync(opts?: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean }): Promise<SyncReport & { index: IndexOutcome | null; fetch?: FetchOutcome; report?: ReportOutcome }>;
  /** Force the library's version of skills into companies, ending overrides; `pushed`: each skill's state after the push. */
  push(skills: string | string[], opts: { companies: string[]; force?: boolean }): Promise<SyncReport & { pushed: PushedCompany[] }>;
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
  return new Handle(new Engine({ config, log: opts.logger ?? SILENT, waitSeconds: opts.waitSeconds ?? 0 }));
}

/** The engine the CLI runs, with its results as plain data. */
class Handle implements LibrarySync {
  private closed = false;

  constructor(private readonly engine: Engine) {}

  get config(): Config {
    return this.engine.config;
  }

  /** Every call goes through here: a closed handle refuses. */
  private get open(): Engine {
    if (this.closed) throw new UsageError('this library-sync handle is closed: open another with openLibrarySync()');
    return this.engine;
  }

  private report(result: SyncResult): SyncReport {
    return { ...toJson(result), exitCode: exitCodeOf(result), snapshot: result.snapshot };
  }

  async plan(o: { companies?: string[] } = {}): Promise<SyncReport> {
    return this.report(await this.open.view(o.companies));
  }

  async sync(o: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean } = {}) {
    const { result, index, fetch, report } = await this.open.sync(o);
    const out = this.report(result);
    const exitCode = Math.max(out.exitCode, fetch?.exitCode ?? 0, report?.exitCode ?? 0);
    return { ...out, exitCode, index, ...(fetch && { fetch }), ...(report && { report }) };
  }

  async push(skills: string | string[], o: { companies: string[]; force?: boolean }) {
    const result = await this.open.push(Array.isArray(skills) ? skills : [skills], o?.companies ?? [], { force: o?.force });
    return { ...this.report(result), pushed: result.companies.map((c) => ({ company: c.name, ok: c.ok, skills: pushedStates(c) })) };
  }

  async status(o: { companies?: string[] } = {}) {
    const engine = this.open;
    const report = this.report(await engine.view(o.companies));
    const runState = readRunState(engine.readable());
    const lastSync = Object.fromEntries(report.companies.map((c) => [c.name, runState.companies[c.name]?.lastSync ?? null]));
    return { ...report, lastRun: runState.lastRun, lastSync };
  }

  async rollback(snapshot: string, o: { companies?: string[]; skills?: string[]; dryRun?: boolean; force?: boolean } = {}) {
    return this.open.rollback(snapshot, { companies: o.companies, skills: o.skills, dryRun: o.dryRun ?? false, force: o.force ?? false });
  }

  async snapshot(name?: string, o: { message?: string } = {}) {
    return this.open.snapshot(name, o.message);
  }

  async snapshots() {
    const engine = this.open;
    return engine.readable() ? engine.snapshots() : [];
  }

  async forgeSync(remote?: string, o: { tries?: number; timeoutSeconds?: number; connectTimeoutSeconds?: number } = {}) {
    return this.open.forgeSync(remote, o);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export { createLogger };
export type { Config, RawConfig, RollbackResult, SnapshotInfo, SnapshotTaken, ForgeSyncResult, IndexOutcome };
