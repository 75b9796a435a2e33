/**
 * The library from a URL: `git fetch` of one branch into the store, before a
 * sync reads the library. Only what is new comes over (the last fetched
 * commit is the negotiation tip; with nothing new, no pack at all), and the
 * branch's commits stay in the store under `refs/fetched/library`, so
 * snapshots, rollback, earlier-version recognition and `git log` work as for a
 * local git library. The host is the source of truth: a force-pushed branch
 * is followed, and the old tip is kept as `refs/fetched/rewritten/<time>`.
 * A host that cannot be reached is a result, not an exception: the sync then
 * distributes the last fetched library.
 */
import { errorMessage, RefMovedError } from '../errors.js';
import { EXIT_STATUS, type Failure } from '../exit-codes.js';
import type { Logger } from '../log.js';
import { processAlive } from '../lock.js';
import { timestampName } from '../snapshot/snapshot.js';
import type { Store } from '../store/store.js';
import { isAncestor } from '../store/transport.js';
import type { NetworkConfig, UrlLibrary } from './config.js';
import { failureClause, httpBounds, QUIET_STORE, runRemoteGit } from './git.js';
import { readUpstreamRecord, writeUpstreamRecord, type Rewrite, type UpstreamRecord } from './state.js';

export const FETCHED_REF = 'refs/fetched/library';
export const REWRITTEN_PREFIX = 'refs/fetched/rewritten/';
const INCOMING_PREFIX = 'refs/fetched/incoming-';

export interface FetchOutcome {
  url: string;
  branch: string;
  ok: boolean;
  /** `unreachable` when the host could not be reached or refused (exit 3); null when the fetch went through. */
  failure: Failure | null;
  exitCode: number;
  error: string | null;
  tries: number;
  /** refs/fetched/library before and after: what the sync distributes (the last fetched commit when the fetch failed). */
  previous: string | null;
  commit: string | null;
  /** When a fetch last succeeded (now, when this one did). */
  lastFetch: string | null;
  /** The branch was force-pushed: followed, and the old tip kept. */
  rewritten: Rewrite | null;
  durationMs: number;
}

export const fetchLabel = (u: Pick<UrlLibrary, 'url' | 'branch'>) => `library ${u.url} (branch ${u.branch})`;
const short = (oid: string | null) => (oid ? oid.slice(0, 7) : '-');

/** Refs a killed fetch left (`incoming-<pid>` of a process that is gone). */
async function clearLeftovers(store: Store): Promise<void> {
  for (const ref of await store.listRefs('refs/fetched/')) {
    const pid = Number(ref.slice(INCOMING_PREFIX.length));
    if (ref.startsWith(INCOMING_PREFIX) && Number.isInteger(pid) && pid > 0 && !processAlive(pid)) await store.deleteRef(ref);
  }
}

export async function fetchLibrary(store: Store, upstream: UrlLibrary, net: NetworkConfig, log: Logger): Promise<FetchOutcome> {
  const started = Date.now();
  const label = `fetch of ${fetchLabel(upstream)}`;
  await clearLeftovers(store);
  const previous = await store.readRef(FETCHED_REF);
  const prior = readUpstreamRecord(store);
  const record: UpstreamRecord = {
    commit: previous,
    lastFetch: null,
    lastAttempt: null,
    lastError: null,
    lastErrorAt: null,
    rewrites: [],
    ...(prior && prior.url === upstream.url && prior.branch === upstream.branch ? prior : {}),
    url: upstream.url,
    branch: upstream.branch,
  };
  // Into a ref of this process first: the old tip is kept before the library ref moves off it.
  const incoming = `${INCOMING_PREFIX}${process.pid}`;
  const args = [
    '--git-dir',
    store.gitdir,
    ...QUIET_STORE,
    ...httpBounds(net),
    // Negotiate from the last fetch only (one "have"); before the first, ask for everything (the store's own commits are not the host's).
    ...(previous ? [] : ['-c', 'fetch.negotiationAlgorithm=noop']),
    'fetch',
    '--no-tags',
    '--no-write-fetch-head',
    '--no-recurse-submodules',
    '--no-auto-gc',
    ...(previous ? [`--negotiation-tip=${FETCHED_REF}`] : []),
    '--',
    upstream.url,
    `+refs/heads/${upstream.branch}:${incoming}`,
  ];
  const result = await runRemoteGit(args, { url: upstream.url, net, log, label });
  const now = new Date().toISOString();
  const out: FetchOutcome = { url: upstream.url, branch: upstream.branch, ok: false, failure: null, exitCode: EXIT_STATUS.ok, error: null, tries: result.tries, previous, commit: previous, lastFetch: record.lastFetch, rewritten: null, durationMs: 0 };

  if (!result.ok) {
    const cause = failureClause(result.failure, result.tries);
    out.error = `${label} ${cause}; ${
      previous ? `distributing the library as last fetched (commit ${short(previous)}${record.lastFetch ? `, at ${record.lastFetch}` : ''})` : 'no fetch has succeeded yet, so there is no library to distribute'
    }`;
    out.failure = 'unreachable';
    out.exitCode = EXIT_STATUS.unreachable;
    Object.assign(record, { lastAttempt: now, lastError: out.error, lastCause: cause, lastErrorAt: now });
    writeUpstreamRecord(store, record);
    log.error({ url: upstream.url, branch: upstream.branch, tries: result.tries, durationMs: Date.now() - started, err: out.error }, out.error);
    out.durationMs = Date.now() - started;
    return out;
  }

  const fetched = await store.readRef(incoming);
  if (!fetched) throw new Error(`git fetch succeeded but did not write ${incoming} in ${store.gitdir}`);
  try {
    if (previous && fetched !== previous && !(await isAncestor(store, previous, fetched))) {
      out.rewritten = { at: now, from: previous, to: fetched, keptAs: `${timestampName(REWRITTEN_PREFIX, new Date(now))}-${previous.slice(0, 7)}` };
      await store.updateRef(out.rewritten.keptAs, previous, null);
      record.rewrites.push(out.rewritten);
      log.warn(
        { url: upstream.url, branch: upstream.branch, from: previous, to: fetched, keptAs: out.rewritten.keptAs },
        `${fetchLabel(upstream)} was force-pushed: ${short(previous)} is no longer in its history; following it to ${short(fetched)} (the old commits stay in the store as ${out.rewritten.keptAs})`,
      );
    }
    if (fetched !== previous) await store.updateRef(FETCHED_REF, fetched, previous);
  } catch (err) {
    // Another fetch (a `sync` beside this one) moved the library ref first: it holds the host's word too.
    if (!(err instanceof RefMovedError)) throw err;
    log.debug({ err: errorMessage(err) }, `${label}: another fetch moved ${FETCHED_REF} first`);
  } finally {
    await store.deleteRef(incoming);
  }
  out.commit = await store.readRef(FETCHED_REF);
  out.ok = true;
  out.lastFetch = now;
  Object.assign(record, { commit: out.commit, lastFetch: now, lastAttempt: now, lastError: null, lastCause: null, lastErrorAt: null });
  writeUpstreamRecord(store, record);
  out.durationMs = Date.now() - started;
  log.info(
    { url: upstream.url, branch: upstream.branch, from: previous, to: out.commit, tries: result.tries, durationMs: out.durationMs },
    `${label}: ${out.commit === previous ? `nothing new (${short(out.commit)})` : `${short(previous)} → ${short(out.commit)}`}`,
  );
  return out;
}
