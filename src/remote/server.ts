/**
 * `library serve`: the store over git's smart HTTP, on native `git http-backend`
 * run as CGI. We only add what a store needs around it:
 * - every request needs the token (401 otherwise), so nothing is read or written without it;
 * - pushes may only touch refs/heads/library and refs/hosts/… (receive.hideRefs), must be
 *   fast-forwards, never deletions, and are fsck-checked;
 * - a push runs under the store's lock, then a `library sync --fix` distributes what arrived.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LockedError, errorMessage } from '../errors.js';
import { withLock } from '../lock.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { tokenMatches, tokenOf } from './auth.js';

/** The store is served at http://host:port/store.git. */
export const MOUNT = '/store.git';

/** git config for the CGI, passed by environment so the store's own config is never edited. */
export const BACKEND_CONFIG: [string, string][] = [
  ['http.receivepack', 'true'],
  ['http.uploadpack', 'true'],
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
  /** Called after every push the backend answered with 200. */
  onPush: () => void;
}

function backendEnv(store: Store, req: http.IncomingMessage, pathInfo: string, query: string): NodeJS.ProcessEnv {
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
    GIT_CONFIG_COUNT: String(BACKEND_CONFIG.length),
  };
  BACKEND_CONFIG.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type'];
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  return env;
}

/** A backend still running after this long is stopped, so a stuck client can never hold the lock for good. */
const BACKEND_LIMIT_MS = 10 * 60_000;
/** Running backends, stopped when the server stops. */
const backends = new Set<ReturnType<typeof spawn>>();

/** Run `git http-backend` for one request; resolves with the HTTP status it answered. */
export function runBackend(env: NodeJS.ProcessEnv, req: http.IncomingMessage, res: http.ServerResponse, log: Logger): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    backends.add(child);
    // A client gone mid-request would leave the backend waiting for the rest of the body, under the lock.
    // SIGTERM lets git remove its own ref lock files.
    const stop = (why: string) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      log.warn({ why }, `serve: stopping git http-backend: ${why}`);
      child.kill('SIGTERM');
    };
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
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
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
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined); // the backend may answer (e.g. 403) without reading the body
  });
}

function isPush(pathInfo: string, query: URLSearchParams): boolean {
  return pathInfo === '/git-receive-pack' || (pathInfo === '/info/refs' && query.get('service') === 'git-receive-pack');
}

export async function startServer(opts: ServeOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const { store, log } = opts;
  const server = http.createServer((req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathInfo = url.pathname.startsWith(`${MOUNT}/`) ? url.pathname.slice(MOUNT.length) : null;
    const done = (status: number) =>
      log.info({ method: req.method, path: url.pathname, service: url.searchParams.get('service'), status, durationMs: Date.now() - started }, `serve: ${req.method} ${url.pathname} ${status}`);
    if (!tokenMatches(tokenOf(req.headers.authorization), opts.token)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="library-sync"', 'content-type': 'text/plain' }).end('a token is required: Authorization: Bearer <token>, or Basic with the token as password\n');
      req.resume();
      return done(401);
    }
    if (pathInfo === null || pathInfo.split('/').includes('..') || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the store is at ${MOUNT}\n`);
      req.resume();
      return done(404);
    }
    const env = backendEnv(store, req, pathInfo, url.search.slice(1));
    if (!(req.method === 'POST' && isPush(pathInfo, url.searchParams))) {
      void runBackend(env, req, res, log).then(done);
      return;
    }
    // A push writes refs: one writer at a time, like every writing command.
    withLock(store, { waitSeconds: opts.lockWaitSeconds, command: 'library serve (push received)' }, () => runBackend(env, req, res, log))
      .then((status) => {
        done(status);
        if (status === 200) opts.onPush();
      })
      .catch((err: unknown) => {
        const locked = err instanceof LockedError;
        log.error({ err: errorMessage(err) }, `serve: push refused: ${errorMessage(err)}`);
        if (!res.headersSent) res.writeHead(locked ? 503 : 500, { 'retry-after': '10', 'content-type': 'text/plain' }).end(`${errorMessage(err)}\n`);
        req.resume();
        done(locked ? 503 : 500);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Cut open requests and stop their backends, so no lock outlives the server.
      server.closeAllConnections();
      for (const child of backends) child.kill('SIGTERM');
    });
  return { port: (server.address() as AddressInfo).port, close };
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
      this.pending = true;
      return;
    }
    this.running = true;
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
