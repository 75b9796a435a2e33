/**
 * `library serve`: the store over git's smart HTTP, on native `git http-backend`
 * run as CGI. We only add what a store needs around it:
 * - every request needs the token (401 otherwise), so nothing is read or written without it;
 * - a request body is spooled whole before git runs, and a push must be a receive-pack request
 *   with an intact pack (400 otherwise), so git never works on a cut-off or garbage body;
 * - pushes may only touch refs/heads/library and refs/hosts/… (receive.hideRefs and the
 *   pre-receive hook shared with ssh), fast-forward, no deletions, tags never moved; objects are fsck-checked;
 * - a push runs under the store's lock, then a `library sync --fix` distributes what arrived;
 * - each backend runs in its own process group, stopped whole when its client or the server goes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LockedError, errorMessage } from '../errors.js';
import { withLock } from '../lock.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { tokenMatches, tokenOf } from './auth.js';
import { lazyRequire } from '../util/lazy-require.js';
import { BodyTooLargeError, anyUpdated, checkPush, cleanLeftovers, spool, spoolDir, writeServeHooks } from './receive.js';

/** Loaded when `serve` starts: no other command needs an HTTP server. */
const loadHttp = lazyRequire<typeof http>('node:http');

/** The store is served at http://host:port/store.git. */
export const MOUNT = '/store.git';

/** git config for the CGI, passed by environment so the store's own config is never edited. */
export const BACKEND_CONFIG: [string, string][] = [
  ['http.receivepack', 'true'],
  ['http.uploadpack', 'true'],
  // git applies these two to refs/heads/ only; the pre-receive hook applies them to every ref.
  ['receive.denyNonFastForwards', 'true'],
  ['receive.denyDeletes', 'true'],
  ['receive.fsckObjects', 'true'],
  // Later entries win: hide (and so refuse pushes to) every ref but these.
  ['receive.hideRefs', 'refs'],
  ['receive.hideRefs', '!refs/heads/library'],
  ['receive.hideRefs', '!refs/hosts/'],
];

export interface ServeOptions {
  store: Store;
  port: number;
  bind: string;
  token: string;
  log: Logger;
  /** Seconds a push waits for a running sync to release the lock before the answer is 503. */
  lockWaitSeconds: number;
  /** Called after every push that moved a ref. */
  onPush: () => void;
  /** The largest request body taken, decoded (413 beyond it). */
  maxBodyBytes?: number;
}

/** The default body limit: a push of a whole store rarely comes near it; a disk-filling one is cut off. */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 ** 3;

function backendEnv(store: Store, hooksDir: string, req: http.IncomingMessage, pathInfo: string, query: string): NodeJS.ProcessEnv {
  const config: [string, string][] = [...BACKEND_CONFIG, ['core.hooksPath', hooksDir]];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: store.gitdir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    REQUEST_METHOD: req.method,
    REMOTE_USER: 'library-sync',
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  return env;
}

/** A backend still running after this long is stopped, so a stuck client can never hold the lock for good. */
const BACKEND_LIMIT_MS = 10 * 60_000;
/** A backend that ignores SIGTERM this long gets SIGKILL. */
const KILL_AFTER_MS = 5_000;
/** Running backends, stopped when the server stops. */
const backends = new Map<ChildProcess, (why: string) => void>();

/** Signal a backend's whole process group: git http-backend runs receive-pack and index-pack below it. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    /* the group is gone */
  }
}

/** Run `git http-backend` for one request, its body read from `input`; resolves with the HTTP status it answered. */
export function runBackend(env: NodeJS.ProcessEnv, input: string | null, res: http.ServerResponse, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    const stdin = input ? fs.openSync(input, 'r') : 'ignore';
    // detached: a process group of its own, so stopping it stops git's children too.
    const child = spawn('git', ['http-backend'], { env, stdio: [stdin, 'pipe', 'pipe'], detached: true });
    if (typeof stdin === 'number') fs.closeSync(stdin);
    // SIGTERM first, which lets git remove its own lock files; SIGKILL if it does not go.
    const stop = (why: string) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      log.warn({ why }, `serve: stopping git http-backend: ${why}`);
      signalGroup(child, 'SIGTERM');
      setTimeout(() => signalGroup(child, 'SIGKILL'), KILL_AFTER_MS).unref();
    };
    backends.set(child, stop);
    const limit = setTimeout(() => stop(`still running after ${BACKEND_LIMIT_MS / 60_000} minutes`), BACKEND_LIMIT_MS);
    res.on('close', () => {
      if (!res.writableFinished) stop('the client went away');
    });
    let head = Buffer.alloc(0);
    let status = 0;
    let stderr = '';
    const fail = (message: string) => {
      log.error({ err: message }, `serve: git http-backend: ${message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('git http-backend failed\n');
      else res.destroy();
      status = 500;
    };
    child.on('error', (err) => fail(`cannot run git http-backend (is native git installed?): ${err.message}`));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (status) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') + 4 : head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') + 2 : -1;
      if (end < 0) return;
      const headers: Record<string, string> = {};
      status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const m = /^([^:]+):\s*(.*)$/.exec(line);
        if (!m) continue;
        if (m[1].toLowerCase() === 'status') status = parseInt(m[2], 10) || 500;
        else headers[m[1]] = m[2];
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end));
    });
    child.on('close', (code) => {
      clearTimeout(limit);
      backends.delete(child);
      if (stderr.trim()) log.warn({ stderr: stderr.trim() }, `serve: git http-backend: ${stderr.trim()}`);
      if (!status) fail(`exited with code ${code} before answering`);
      else res.end();
      resolve(status);
    });
  });
}

function isPush(pathInfo: string): boolean {
  return pathInfo === '/git-receive-pack';
}

export async function startServer(opts: ServeOptions): Promise<{ port: number; close: () => Promise<void>; cleaned: string[] }> {
  const { store, log } = opts;
  const cleaned = cleanLeftovers(store);
  const hooksDir = writeServeHooks(store);
  let requests = 0;
  const server = loadHttp().createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathInfo = url.pathname.startsWith(`${MOUNT}/`) ? url.pathname.slice(MOUNT.length) : null;
    const done = (status: number) =>
      log.info({ method: req.method, path: url.pathname, service: url.searchParams.get('service'), status, durationMs: Date.now() - started }, `serve: ${req.method} ${url.pathname} ${status}`);
    const answer = (status: number, text: string, headers: http.OutgoingHttpHeaders = {}) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`${text}\n`);
      req.resume();
      return status;
    };
    if (!tokenMatches(tokenOf(req.headers.authorization), opts.token)) {
      return done(answer(401, 'a token is required: Authorization: Bearer <token>, or Basic with the token as password', { 'www-authenticate': 'Basic realm="library-sync"' }));
    }
    if (pathInfo === null || pathInfo.split('/').includes('..') || (req.method !== 'GET' && req.method !== 'POST')) {
      return done(answer(404, `not found: the store is at ${MOUNT}`));
    }
    const env = backendEnv(store, hooksDir, req, pathInfo, url.search.slice(1));
    if (req.method === 'GET') {
      req.resume();
      void runBackend(env, null, res, log).then(done);
      return;
    }
    // The whole body first: git never reads a cut-off request, and a slow client holds no lock.
    const push = isPush(pathInfo);
    const gzip = push && /gzip/i.test(req.headers['content-encoding'] ?? '');
    const file = path.join(spoolDir(store), `${process.pid}-${++requests}`);
    const handle = async (): Promise<number> => {
      const bytes = await spool(req, file, gzip, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      env.CONTENT_LENGTH = String(bytes);
      if (gzip) delete env.HTTP_CONTENT_ENCODING;
      if (!push) return runBackend(env, file, res, log);
      const request = await checkPush(file);
      if (typeof request === 'string') {
        log.warn({ bytes }, `serve: push refused: not a git push: ${request}`);
        return answer(400, `not a git push: ${request}`);
      }
      if (request.commands.length === 0) return runBackend(env, file, res, log);
      // A push writes refs: one writer at a time, like every writing command.
      const status = await withLock(store, { waitSeconds: opts.lockWaitSeconds, command: 'library serve (push received)' }, () => runBackend(env, file, res, log));
      if (status === 200 && (await anyUpdated(store, request))) opts.onPush();
      return status;
    };
    handle()
      .catch((err: unknown) => {
        if (req.destroyed && !req.complete) {
          log.warn({ err: errorMessage(err) }, 'serve: the client went away before its request was complete; nothing was run');
          return 499;
        }
        if (err instanceof BodyTooLargeError) {
          log.warn({ err: err.message }, `serve: request refused: ${err.message}`);
          return answer(413, err.message);
        }
        const locked = err instanceof LockedError;
        log.error({ err: errorMessage(err) }, `serve: request failed: ${errorMessage(err)}`);
        return answer(locked ? 503 : 500, errorMessage(err), { 'retry-after': '10' });
      })
      .then((status) => {
        fs.rmSync(file, { force: true });
        done(status);
      });
  });
  server.requestTimeout = BACKEND_LIMIT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Cut open requests and stop their backends, so no lock outlives the server.
      server.closeAllConnections();
      for (const stop of backends.values()) stop('the server is stopping');
    });
  return { port: (server.address() as AddressInfo).port, close, cleaned };
}

/**
 * Runs `library sync --fix` after pushes, one at a time: a push that arrives
 * during a run schedules exactly one more run, so every push is distributed.
 */
export class SyncAfterPush {
  private running = false;
  private pending = false;

  constructor(
    private readonly args: string[],
    private readonly log: Logger,
  ) {}

  trigger(): void {
    if (this.running) {
      if (!this.pending) this.log.info({ action: 'sync-after-push' }, 'serve: a push moved refs during a sync: one more sync --fix queued');
      this.pending = true;
      return;
    }
    this.running = true;
    this.log.info({ action: 'sync-after-push' }, 'serve: a push moved refs: sync --fix started');
    const child = spawn(process.execPath, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const finish = (code: number | null, err?: Error) => {
      const fields = { action: 'sync-after-push', exitCode: code, output: output.trim().slice(-4000) };
      if (code === 0) this.log.info(fields, 'serve: sync --fix after push ok');
      else this.log.error({ ...fields, err: err?.message }, `serve: sync --fix after push failed (exit ${code})`);
      this.running = false;
      if (this.pending) {
        this.pending = false;
        this.trigger();
      }
    };
    child.on('error', (err) => finish(null, err));
    child.on('close', (code) => finish(code));
  }
}
