/**
 * Push this store to one remote, over git's smart HTTP or ssh: the library
 * (fast-forward only), this machine's company histories, per-folder records and snapshot tags under
 * `refs/hosts/<host>/`. Only refs that differ are sent, with only the objects
 * the remote lacks, in one receive-pack request. Every try is bounded; the
 * outcome is recorded for `library status`.
 */
import { DamagedRefsError, RemoteDivergedError, RemoteError, StoreError, errorMessage } from '../errors.js';
import { ObjectError, ReservedNameError } from '../store/store.js';
import { EXIT_STATUS, exitStatus, type Failure } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { TransportError, isAncestor, packObjects, type Exchange } from '../store/transport.js';
import type { RemoteConfig } from './config.js';
import { HttpSession, SessionError, type PushSession } from './session.js';
import { SshSession } from './ssh.js';
import { parseRemoteUrl, type RemoteUrl } from './url.js';
import { objectsToSend, type SendSet } from './objects.js';
import { parseReportStatus, receivePackCommands } from './pktline.js';
import { LIBRARY_REF, ZERO_OID, backoffDelays, mapRefs, planUpdates, type RefUpdate } from './resolve.js';
import { recordRemote } from './state.js';

export interface ForgeSyncOptions {
  connectTimeoutMs: number;
  timeoutMs: number;
  tries: number;
  retryDelayMs: number;
  /** This machine's name under refs/hosts/ on the remote. */
  host: string;
  /** Authorization header value, or null (HTTP). */
  authorization: string | null;
  /** `$LIBRARY_SSH`, run by sh in place of `ssh`. */
  sshCommand?: string;
  /** ssh's own stderr, as it arrives (never swallowed). */
  onStderr?: (text: string) => void;
  /** Receives the exchange summary (--verbose). */
  verbose?: (line: string) => void;
}

/** A ref not sent: the remote's diverged or it refused it, or this store's history of it cannot be read. */
export interface RefusedRef {
  ref: string;
  kind: 'diverged' | 'refused' | 'damaged';
  reason: string;
}

export interface ForgeSyncResult {
  name: string;
  url: string;
  ok: boolean;
  /** What went wrong, as a fact: null when the push went through. */
  failure: Failure | null;
  /** The exit status that failure maps to (src/exit-codes.ts), for --json readers. */
  exitCode: number;
  error: string | null;
  tries: number;
  advertised: number;
  updated: { ref: string; old: string; new: string }[];
  upToDate: string[];
  refused: RefusedRef[];
  objectsSent: number;
  packBytes: number;
  exchanges: Exchange[];
}

const short = (oid: string) => oid.slice(0, 7);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** This store's refs that a forge-sync pushes, with their values. */
async function localRefs(store: Store): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  const library = await store.readRef(LIBRARY_REF);
  if (!library) throw new StoreError(`store ${store.gitdir} has no library yet: run \`library sync --fix\` first`);
  refs.set(LIBRARY_REF, library);
  for (const prefix of ['refs/heads/companies/', 'refs/folders/', 'refs/tags/snapshot/']) {
    for (const ref of await store.listRefs(prefix)) {
      const oid = await store.readRef(ref);
      if (oid) refs.set(ref, oid);
    }
  }
  return refs;
}

function divergedReason(u: RefUpdate): string {
  if (u.kind === 'library') {
    return `the remote's library diverged: its ${u.remote} is ${short(u.old)}, which is not in this store's library history (tip ${short(u.new)}); something else writes that remote's library (a receiving machine needs "library": { "ref": "${LIBRARY_REF}" }), so it was not overwritten`;
  }
  if (u.kind === 'snapshot') return `${u.remote} exists there as ${short(u.old)}, not ${short(u.new)}: tags are never moved`;
  return `${u.remote} is ${short(u.old)} there, not an ancestor of ${short(u.new)} here (another store with this host name, or a rebuilt store): not overwritten`;
}

/** The objects the remote lacks for these updates, packed; the error when some cannot be read or hold a name git refuses. */
async function packFor(store: Store, updates: readonly RefUpdate[], haves: readonly string[]): Promise<{ send: SendSet; pack: Uint8Array } | ObjectError | ReservedNameError> {
  try {
    const send = await objectsToSend(store, updates.map((u) => u.new), haves);
    return { send, pack: await packObjects(store, send.oids) };
  } catch (err) {
    if (err instanceof ObjectError || err instanceof ReservedNameError) return err;
    throw err;
  }
}

function damaged(u: RefUpdate, err: ObjectError | ReservedNameError): RefusedRef {
  if (err instanceof ReservedNameError) {
    return { ref: u.remote, kind: 'damaged', reason: `${u.local} cannot be sent: its history holds ${err.message}: run \`library doctor --repair\`, which rewrites that history without it (the files stay in the folders)` };
  }
  return { ref: u.remote, kind: 'damaged', reason: `${u.local} cannot be sent, its history here is damaged (${err.message})` };
}

async function attempt(store: Store, remote: RemoteConfig, local: Map<string, string>, t: PushSession, opts: ForgeSyncOptions, out: ForgeSyncResult) {
  const say = opts.verbose ?? (() => undefined);
  const cache = {};
  const { refs: advertised, capabilities } = await t.discover();
  out.advertised = advertised.size;
  say(`forge-sync: ${remote.name}: ${t.describe()}: ${advertised.size} refs advertised`);
  for (const [ref, oid] of advertised) say(`  ${short(oid)} ${ref}`);

  const { upToDate, updates } = planUpdates(mapRefs([...local.keys()], opts.host), local, advertised);
  out.upToDate = upToDate.map((u) => u.remote);
  let toPush: RefUpdate[] = [];
  for (const u of updates) {
    try {
      const fastForward = u.old === ZERO_OID || (u.kind !== 'snapshot' && (await isAncestor(store, u.old, u.new, cache)));
      if (fastForward) toPush.push(u);
      else out.refused.push({ ref: u.remote, kind: 'diverged', reason: divergedReason(u) });
    } catch (err) {
      if (!(err instanceof ObjectError)) throw err;
      out.refused.push(damaged(u, err));
    }
  }
  const haves: string[] = [];
  for (const oid of new Set(advertised.values())) if (await store.hasAnywhere(oid)) haves.push(oid);
  let packed = await packFor(store, toPush, haves);
  if (packed instanceof ObjectError || packed instanceof ReservedNameError) {
    // Some history here cannot be read (a lost object): send every ref that is whole, name the others.
    const whole: RefUpdate[] = [];
    for (const u of toPush) {
      const alone = await packFor(store, [u], haves);
      if (alone instanceof ObjectError || alone instanceof ReservedNameError) out.refused.push(damaged(u, alone));
      else whole.push(u);
    }
    toPush = whole;
    packed = await packFor(store, toPush, haves);
    if (packed instanceof ObjectError || packed instanceof ReservedNameError) throw packed; // each ref was readable alone: not damage, a bug
  }
  if (toPush.length === 0) {
    await t.finish();
    return say(`forge-sync: ${remote.name}: ${out.refused.length ? `${out.refused.length} refs refused, ` : ''}nothing to send, 0 objects`);
  }
  const { send, pack } = packed;
  out.objectsSent = send.oids.length;
  out.packBytes = pack.byteLength;
  for (const u of toPush) say(`  ${u.old === ZERO_OID ? 'create' : 'update'} ${u.remote} ${u.old === ZERO_OID ? '' : `${short(u.old)}..`}${short(u.new)}`);
  say(`  sending ${send.oids.length} objects (${send.commits} commits) in a ${pack.byteLength}-byte pack`);

  if (!capabilities.has('report-status')) throw new TransportError('the server does not report push status (no report-status capability)', false);
  // quiet: no progress meter from the far side's unpacking on our stderr.
  const caps = ['report-status', ...(capabilities.has('quiet') ? ['quiet'] : [])];
  const commands = receivePackCommands(toPush.map((u) => ({ old: u.old, new: u.new, ref: u.remote })), caps);
  const report = parseReportStatus(await t.push([commands, pack]));
  say(`forge-sync: ${remote.name}: ${t.describe()}: ${send.oids.length} objects sent`);
  if (report.unpack !== 'ok') throw new TransportError(`the remote could not store the objects: ${report.unpack}`, false);
  for (const u of toPush) {
    const r = report.refs.get(u.remote);
    if (r?.ok) out.updated.push({ ref: u.remote, old: u.old, new: u.new });
    else {
      const reason = r?.reason ?? 'no status reported';
      // The far side's own fast-forward and tag rules say it diverged in their words.
      const kind = /non-fast-forward|fetch first|stale info|already exists/.test(reason) ? 'diverged' : 'refused';
      out.refused.push({ ref: u.remote, kind, reason: `refused by the remote: ${u.remote}: ${reason}` });
    }
  }
}

/** Push to one remote; never throws for a remote failure: the result says what happened. */
export async function forgeSync(store: Store, remote: RemoteConfig, log: Logger, opts: ForgeSyncOptions): Promise<ForgeSyncResult> {
  const started = Date.now();
  const label = `forge-sync: ${remote.name === remote.url ? remote.url : `${remote.name} (${remote.url})`}`;
  const out: ForgeSyncResult = {
    name: remote.name,
    url: remote.url,
    ok: false,
    failure: null,
    exitCode: EXIT_STATUS.ok,
    error: null,
    tries: 0,
    advertised: 0,
    updated: [],
    upToDate: [],
    refused: [],
    objectsSent: 0,
    packBytes: 0,
    exchanges: [],
  };
  const local = await localRefs(store);
  const delays = backoffDelays(opts.tries, opts.retryDelayMs);
  const headers: Record<string, string> = { 'user-agent': 'library-sync' };
  if (opts.authorization) headers.authorization = opts.authorization;
  const url = parseRemoteUrl(remote.url) as RemoteUrl; // checked when the config was read
  const session = (): PushSession =>
    url.kind === 'http'
      ? new HttpSession(url, { connectTimeoutMs: opts.connectTimeoutMs, timeoutMs: opts.timeoutMs, headers })
      : new SshSession(url, { connectTimeoutMs: opts.connectTimeoutMs, timeoutMs: opts.timeoutMs, command: opts.sshCommand, onStderr: opts.onStderr ?? (() => undefined) });
  let failure: RemoteError | RemoteDivergedError | DamagedRefsError | null = null;

  for (let i = 0; i < opts.tries; i++) {
    out.tries = i + 1;
    Object.assign(out, { updated: [], upToDate: [], refused: [], objectsSent: 0, packBytes: 0 });
    const t = session();
    try {
      await attempt(store, remote, local, t, opts, out);
      failure = null;
      break;
    } catch (err) {
      const te = err instanceof TransportError ? err : new TransportError(errorMessage(err), false);
      if (te instanceof SessionError) {
        failure = new RemoteError(`${label}: ${te.cause_}`);
        break;
      }
      if (!te.retryable) {
        const hint = te.status === 401 || te.status === 403 ? `: check that ${remote.tokenEnv ? `$${remote.tokenEnv}` : 'the token'} holds the server's serve token` : '';
        failure = new RemoteError(`${label} refused the push: ${te.cause_}${hint}`);
        break;
      }
      failure = new RemoteError(`${label} unreachable after ${i + 1} ${i === 0 ? 'try' : 'tries'}: ${te.cause_}`);
      if (i < opts.tries - 1) {
        log.warn({ remote: remote.name, url: remote.url, try: i + 1, err: te.cause_ }, `${label}: try ${i + 1} of ${opts.tries} failed (${te.cause_}); retrying in ${delays[i] / 1000}s`);
        await sleep(delays[i]);
      }
    } finally {
      out.exchanges.push(...t.exchanges);
      t.close();
    }
  }
  if (!failure && out.refused.length > 0) {
    const libraryFirst = [...out.refused].sort((a, b) => Number(b.ref === LIBRARY_REF) - Number(a.ref === LIBRARY_REF));
    const message = `${label}: ${libraryFirst.map((r) => r.reason).join('; ')}`;
    const kinds = new Set(out.refused.map((r) => r.kind));
    failure = kinds.has('diverged') ? new RemoteDivergedError(message) : kinds.has('refused') ? new RemoteError(message) : new DamagedRefsError(message);
  }

  const now = new Date().toISOString();
  const remoteLibrary = out.updated.find((u) => u.ref === LIBRARY_REF)?.new ?? (out.upToDate.includes(LIBRARY_REF) ? local.get(LIBRARY_REF)! : null);
  const fields = { remote: remote.name, url: remote.url, durationMs: Date.now() - started, tries: out.tries, refsUpdated: out.updated.length, objectsSent: out.objectsSent };
  if (failure) {
    out.error = failure.message;
    out.failure = failure.failure;
    out.exitCode = exitStatus([failure.failure]);
    recordRemote(store, remote.name, remote.url, { lastAttempt: now, lastError: failure.message, lastErrorAt: now, lastFailure: failure.failure });
    log.error({ ...fields, err: failure.message }, failure.message);
  } else {
    out.ok = true;
    recordRemote(store, remote.name, remote.url, { lastAttempt: now, lastPush: now, lastPushedLibrary: remoteLibrary, lastObjectsSent: out.objectsSent, lastError: null, lastErrorAt: null, lastFailure: null });
    log.info(fields, `${label}: ${out.updated.length} refs updated, ${out.objectsSent} objects sent`);
  }
  return out;
}
