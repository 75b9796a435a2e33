/**
 * The programmatic API: `import { openLibrarySync } from 'library-sync'`.
 * Each method that writes takes the store's lock itself (and gives it back),
 * so an embedder cannot forget it; read-only methods take none. Results are
 * plain data, the CLI's --json exactly (src/pipeline/report.ts makes both).
 * The CLI runs the same engine (src/engine.ts) and formats its rich results.
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
import { pushReport, statusReport, syncReport, type PushReport, type StatusReport, type SyncReport } from './pipeline/report.js';

/** Any logger with these four methods (pino, console, a wrapper). Optional: without one, nothing is logged. */
export type LibrarySyncLogger = Logger;

export type OpenOptions = ({ configFile?: string } | { config: RawConfig; configFile?: string }) & {
  logger?: LibrarySyncLogger;
  /** How long a writing method waits for another run's lock (default 0: fail at once with a LockedError). */
  waitSeconds?: number;
};

export interface LibrarySync {
  readonly config: Config;
  /** What `sync --fix` would do (`library sync --json`): per company, per skill. Writes nothing but a library fetched from its URL. */
  plan(opts?: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean }): Promise<SyncReport>;
  /**
   * `sync --fix` (`library sync --fix --json`): apply the plan, then rebuild the search index (unless `index: false`). A
   * library from a URL is fetched first (`fetch`), and a `report` URL gets the company histories after (`report`); their
   * failures are in `exitCode`.
   */
  sync(opts?: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean }): Promise<SyncReport>;
  /** Force the library's version of skills into companies, ending overrides (`library push --json`); `pushed`: each skill's state after the push. */
  push(skills: string | string[], opts: { companies: string[]; force?: boolean }): Promise<PushReport>;
  /** `library status --json`: the plan as the folders are now, the last run, drift, override explanations, health and remotes. */
  status(opts?: { companies?: string[]; maxAgeSeconds?: number }): Promise<StatusReport>;
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

  async plan(o: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean } = {}): Promise<SyncReport> {
    const { fetch, ...result } = await this.open.plan(o);
    return syncReport(result, { fetch });
  }

  async sync(o: { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean; index?: boolean } = {}): Promise<SyncReport> {
    const { result, ...extras } = await this.open.sync(o);
    return syncReport(result, extras);
  }

  async push(skills: string | string[], o: { companies: string[]; force?: boolean }): Promise<PushReport> {
    return pushReport(await this.open.push(Array.isArray(skills) ? skills : [skills], o?.companies ?? [], { force: o?.force }));
  }

  async status(o: { companies?: string[]; maxAgeSeconds?: number } = {}): Promise<StatusReport> {
    return statusReport(await this.open.status(o));
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
export type { Config, RawConfig, RollbackResult, SnapshotInfo, SnapshotTaken, ForgeSyncResult, IndexOutcome, FetchOutcome, ReportOutcome, SyncReport, PushReport, StatusReport };
export type { PushedCompany, CompanyReport, LibraryReport, StatusCompanyReport, StatusSkillReport } from './pipeline/report.js';
