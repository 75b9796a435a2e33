/**
 * One workspace's operations, as both the CLI and the API (src/api.ts) run them:
 * which store each opens (none, an existing one, or one it creates), and the lock
 * every writing operation takes and gives back. Results are the rich ones the
 * CLI formats; the API turns them into plain data.
 */
import type { Config } from './config.js';
import { policiesOf, type Policies } from './policy.js';
import { refreshIndex, type IndexOutcome } from './discover/refresh.js';
import type { FetchOutcome } from './fleet/fetch.js';
import { hostName, type ReportOutcome } from './fleet/report.js';
import { fetchBeforeRead, reportAfterSync } from './fleet/run.js';
import { StoreError, UsageError } from './errors.js';
import { readQuietly, withLock } from './lock.js';
import type { Logger } from './log.js';
import type { RemoteConfig } from './remote/config.js';
import { forgeSync, type ForgeSyncOptions, type ForgeSyncResult } from './remote/forge-sync.js';
import { resolveRemotes } from './remote/resolve.js';
import { runRollback, type RollbackOptions, type RollbackResult } from './snapshot/rollback.js';
import { createSnapshot, listSnapshots, timestampName, type SnapshotInfo, type SnapshotTaken } from './snapshot/snapshot.js';
import { Store, StoreAccessError } from './store/store.js';
import { collectDrift } from './drift/collect.js';
import { recordOverride, type OverrideRecorded } from './drift/override.js';
import { promoteSkill, type PromoteResult } from './drift/promote.js';
import { explainOverrides } from './drift/explain.js';
import { gatherSyncHealth } from './health/gather.js';
import type { StatusView } from './pipeline/report.js';
import { remoteStatuses } from './remote/state.js';
import { readRunState } from './run-state.js';
import { runSync, type SyncContext, type SyncResult } from './sync.js';

export interface EngineOptions {
  config: Config;
  log: Logger;
  /** How long a writing operation waits for another run's lock (0: a LockedError at once). */
  waitSeconds?: number;
  /** Called as each company of a sync is done (a terminal's progress line). */
  onCompanyDone?: SyncContext['onCompanyDone'];
}

export type SyncRequestOptions = { companies?: string[]; force?: boolean; allowEmptyLibrary?: boolean };

/** forge-sync's knobs, in seconds; the rest (host, tokens, ssh command) comes from the machine. */
export type ForgeSyncCall = { tries?: number; timeoutSeconds?: number; connectTimeoutSeconds?: number; retryDelaySeconds?: number } & Pick<ForgeSyncOptions, 'onStderr' | 'verbose'> & {
    /** Each remote's result as soon as it is known (the CLI prints as it goes). */
    onResult?: (result: ForgeSyncResult) => void;
  };

export class Engine {
  readonly config: Config;
  /** The slices of the config the lower layers get, built once (src/policy.ts). */
  readonly policies: Policies;
  readonly log: Logger;
  private readonly waitSeconds: number;
  private readonly onCompanyDone?: SyncContext['onCompanyDone'];
  /** One Store per engine, so a command reads pack indexes once however many steps it takes. */
  private opened: Store | null = null;

  constructor(opts: EngineOptions) {
    this.config = opts.config;
    this.policies = policiesOf(opts.config);
    this.log = opts.log;
    this.waitSeconds = opts.waitSeconds ?? 0;
    this.onCompanyDone = opts.onCompanyDone;
  }

  /** The store if it exists: reading commands open nothing new and take no lock. */
  readable(): Store | null {
    if (this.opened) return this.opened;
    try {
      return (this.opened = Store.open(this.config.storeDir));
    } catch (err) {
      if (err instanceof StoreAccessError) throw err; // it exists, but this user cannot read it: say so
      return null;
    }
  }

  /** The store, which must exist already (a command reading snapshots or pushing it). */
  existing(): Store {
    const store = this.readable();
    if (!store) throw new StoreError(`store ${this.config.storeDir} does not exist yet: run \`library sync --fix\` first`);
    return store;
  }

  /**
   * The store, created if needed, for what writes without the lock: objects
   * added and refs moved compare-and-swap (a library fetched from its URL,
   * `serve`'s receiving side).
   */
  async writable(): Promise<Store> {
    return (this.opened = await Store.openOrCreate(this.config.storeDir)); // checks write access every time
  }

  /** Open (creating if needed) the store and run `fn` under its lock; `command` names the holder to anyone waiting. */
  async locked<T>(command: string, fn: (store: Store) => Promise<T>): Promise<T> {
    const store = await this.writable();
    return withLock(store, { waitSeconds: this.waitSeconds, command, log: this.log, staleMs: this.config.lockStaleMs }, () => fn(store));
  }

  private context(store: Store | null): SyncContext {
    return { config: this.config, policies: this.policies, store, log: this.log, onCompanyDone: this.onCompanyDone };
  }

  /** What `sync --fix` would do, per company and skill. Writes nothing but a library fetched from its URL. */
  async plan(opts: SyncRequestOptions = {}): Promise<SyncResult & { fetch: FetchOutcome | null }> {
    const fetch = await fetchBeforeRead(this.config, () => this.writable(), this.log);
    // One read, never waiting for a run that writes (the operator's dry run), but said when one did meanwhile.
    const store = this.readable();
    const { value, raced } = await readQuietly(store, () => runSync(this.context(store), { mode: 'plan', ...opts }), 0);
    if (raced) this.log.warn({ action: 'read-raced' }, 'a sync --fix was writing while this plan was read: a skill it wrote meanwhile may show as the company\'s change; run it again');
    return { ...value, fetch };
  }

  /** The plan as the folders are now, for commands that show it (status, diff, report): an empty library is shown, not refused. */
  async view(companies?: string[]): Promise<SyncResult> {
    // Read with no lock, as if under it: the scheduled sync may be writing meanwhile (src/lock.ts, `readQuietly`).
    const { value, raced } = await readQuietly(this.readable(), () => this.planIn(this.readable(), companies)); // the library as last fetched: no network
    if (raced) this.log.warn({ action: 'read-raced' }, 'the folders were read while sync runs kept writing them: what is shown may mix before and after a run; run it again');
    return value;
  }

  /**
   * Everything `status` shows (the same data for its text, its JSON and the
   * API): the plan as the folders are now, the last run, drift and its
   * reasons, why each override is one, the health verdict and the remotes.
   */
  async status(opts: { companies?: string[]; maxAgeSeconds?: number } = {}): Promise<StatusView> {
    const maxAgeSeconds = opts.maxAgeSeconds ?? 900;
    const health = gatherSyncHealth(this.config, maxAgeSeconds, { store: this.readable() });
    const result = await this.view(opts.companies);
    const store = this.readable();
    return {
      result,
      runState: readRunState(store),
      drift: await collectDrift(store, result),
      explanations: await explainOverrides(this.config, store, result),
      health,
      maxAgeSeconds,
      remotes: remoteStatuses(this.config, store),
      now: Date.now(),
    };
  }

  /**
   * `sync --fix`, then the search index (unless `index` is false); `onIndex` is told when the index step starts.
   * A library from a URL is fetched first, and a `report` URL gets the company histories after (src/fleet/).
   */
  async sync(opts: SyncRequestOptions & { index?: boolean; onStart?: () => void; onIndex?: () => void } = {}): Promise<{
    result: SyncResult;
    index: IndexOutcome | null;
    fetch: FetchOutcome | null;
    report: ReportOutcome | null;
  }> {
    const { index, onStart, onIndex, ...request } = opts;
    const fetch = await fetchBeforeRead(this.config, () => this.writable(), this.log);
    const done = await this.locked('library sync --fix', async (store) => {
      onStart?.();
      const result = await runSync(this.context(store), { mode: 'fix', ...request });
      if (index === false) return { result, index: null };
      onIndex?.();
      return { result, index: await refreshIndex({ index: this.policies.index, log: this.log }, store) };
    });
    return { ...done, fetch, report: await reportAfterSync(this.config, this.existing(), this.log) };
  }

  /** The library's version of `skills` into `companies`, ending their overrides; `force` replaces git checkouts' files too (keeping their .git). */
  push(skills: string[], companies: string[], opts: { force?: boolean } = {}): Promise<SyncResult> {
    const list = [...new Set(skills)];
    if (list.length === 0 || companies.length === 0) throw new UsageError('push needs at least one skill and one company');
    return this.locked(`library push ${list.join(' ')}`, (store) => runSync(this.context(store), { mode: 'push', skills: list, companies: [...new Set(companies)], force: opts.force }));
  }

  /** The plan as the folders are now, read with `store` (the readable one, or under a lock the caller holds). */
  private planIn(store: Store | null, companies?: string[]): Promise<SyncResult> {
    return runSync(this.context(store), { mode: 'plan', companies, allowEmptyLibrary: true });
  }

  /** Record why `company`'s version of `skill` is meant to differ from the library (a note on the commit holding it). */
  override(skill: string, company: string, reason: string): Promise<OverrideRecorded> {
    return this.locked(`library override ${skill}`, async (store) => recordOverride(this.config, store, await this.planIn(store, [company]), skill, company, reason));
  }

  /** Copy `from`'s version of `skill` into the library folder for review (never committed). */
  promote(skill: string, from: string, force = false): Promise<PromoteResult> {
    return this.locked(`library promote ${skill}`, async (store) => promoteSkill(this, store, await this.planIn(store), skill, from, force));
  }

  /** A dry run writes nothing, so it reads beside a running sync instead of waiting for its lock. */
  rollback(snapshot: string, opts: Omit<RollbackOptions, 'snapshot'>): Promise<RollbackResult> {
    const rollback = (store: Store) => runRollback({ config: this.config, scan: this.policies.scan, store, log: this.log }, { ...opts, snapshot });
    return opts.dryRun ? rollback(this.existing()) : this.locked(`library rollback ${snapshot}`, rollback);
  }

  snapshot(name?: string, message?: string): Promise<SnapshotTaken> {
    return this.locked('library snapshot', (store) => createSnapshot(store, name ?? timestampName(''), message ?? (name ? `snapshot ${name}` : 'manual snapshot')));
  }

  /** Every snapshot, oldest first; tags that cannot be read go into `unreadable`. */
  snapshots(unreadable: { ref: string; error: string }[] = []): Promise<SnapshotInfo[]> {
    return listSnapshots(this.existing(), unreadable);
  }

  /**
   * Push the store to the configured remotes (or the one named, a URL or a host).
   * Every token is checked before anything goes over the network. Reading only:
   * no lock, so a slow or dead remote never holds up the local sync.
   */
  async forgeSync(remote: string | undefined, call: ForgeSyncCall = {}): Promise<ForgeSyncResult[]> {
    const remotes = resolveRemotes(remote, this.config.remotes, this.config.file);
    const auth = new Map(remotes.map((r) => [r.name, authorizationOf(r)]));
    const store = this.existing();
    const results: ForgeSyncResult[] = [];
    for (const r of remotes) {
      const result = await forgeSync(store, r, this.log, {
        connectTimeoutMs: (call.connectTimeoutSeconds ?? 10) * 1000,
        timeoutMs: (call.timeoutSeconds ?? 120) * 1000,
        tries: call.tries ?? 3,
        retryDelayMs: (call.retryDelaySeconds ?? 1) * 1000,
        host: hostName(this.config),
        authorization: auth.get(r.name)!,
        sshCommand: process.env.LIBRARY_SSH || undefined,
        onStderr: call.onStderr,
        verbose: call.verbose,
      });
      call.onResult?.(result);
      results.push(result);
    }
    return results;
  }
}

/** An HTTP remote's token as a Basic header (the serve token as password), or null for ssh and tokenless remotes. */
function authorizationOf(r: RemoteConfig): string | null {
  if (!r.tokenEnv) return null;
  const token = process.env[r.tokenEnv];
  if (!token) throw new UsageError(`forge-sync: remote ${r.name} needs a token in $${r.tokenEnv}, which is not set: export it (the server's serve token)`);
  return `Basic ${Buffer.from(`library-sync:${token}`).toString('base64')}`;
}
