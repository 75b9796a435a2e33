/**
 * isomorphic-git's smart-HTTP client, with the bounds a push to another machine
 * needs: a connect timeout (a custom agent), an overall timeout per try (an
 * AbortSignal), and a count of what went over the wire for `--verbose`.
 *
 * Discovery and packing are isomorphic-git's (`getRemoteInfo2`, `packObjects`).
 * The receive-pack POST is sent here, because `git.push` pushes one ref per
 * request and re-sends objects the remote has (isomorphic-git #1134, #1162).
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import { deflateSync } from 'node:zlib';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import type { Store } from './store.js';
import { lazyRequire } from '../util/lazy-require.js';

/** Loaded by the first transport: most commands never talk HTTP (start-up, issue 27). */
const loadHttp = lazyRequire<typeof http>('node:http');
const loadHttps = lazyRequire<typeof https>('node:https');

/**
 * isomorphic-git (~70 ms to load) is loaded on the first network request: other commands never pay for it.
 * Required, not import()-ed: the bundled CLI runs as a script from V8's code cache, which has no loader for import().
 */
const isoGit = lazyRequire<typeof import('isomorphic-git')>('isomorphic-git');
const isoHttp = lazyRequire<typeof import('isomorphic-git/http/node')>('isomorphic-git/http/node');

export interface Exchange {
  method: string;
  url: string;
  status: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface TransportOptions {
  connectTimeoutMs: number;
  /** The whole try: discovery, pack and push. */
  timeoutMs: number;
  headers: Record<string, string>;
}

/** A network failure with a short, stable cause (ECONNREFUSED, ETIMEDOUT, …). */
export class TransportError extends Error {
  constructor(
    readonly cause_: string,
    /** Worth another try (network, timeout, 5xx), or final (auth, not a git server). */
    readonly retryable: boolean,
    readonly status: number | null = null,
  ) {
    super(cause_);
  }
}

function connectTimeoutAgent<T extends typeof http.Agent | typeof https.Agent>(Base: T, connectMs: number): InstanceType<T> {
  const agent = new Base({ keepAlive: false }) as InstanceType<T>;
  const create = (agent as unknown as { createConnection: (...a: unknown[]) => net.Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...a: unknown[]) => net.Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    const timer = setTimeout(() => {
      const err = Object.assign(new Error(`no connection within ${connectMs / 1000}s`), { code: 'ETIMEDOUT' });
      socket.destroy(err);
    }, connectMs);
    const clear = () => clearTimeout(timer);
    socket.once('connect', clear);
    socket.once('secureConnect', clear);
    socket.once('close', clear);
    return socket;
  };
  return agent;
}

async function* counted(body: AsyncIterableIterator<Uint8Array> | undefined, onBytes: (n: number) => void): AsyncIterableIterator<Uint8Array> {
  if (!body) return;
  for await (const chunk of body) {
    onBytes(chunk.byteLength);
    yield chunk;
  }
}

async function collect(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (body) for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** One try's connection to one remote. Call close() when done, whatever happened. */
export class Transport {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly agents: { http: http.Agent; https: https.Agent };
  private readonly timedOut: Promise<never>;
  readonly client: HttpClient;
  /** Every HTTP request of this try, counted as the bytes go (for --verbose and --json). */
  readonly exchanges: Exchange[] = [];

  constructor(private readonly opts: TransportOptions) {
    this.agents = { http: connectTimeoutAgent(loadHttp().Agent, opts.connectTimeoutMs), https: connectTimeoutAgent(loadHttps().Agent, opts.connectTimeoutMs) };
    this.timedOut = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        reject(new TransportError(`ETIMEDOUT: no complete answer within ${opts.timeoutMs / 1000}s`, true));
        this.controller.abort();
      }, opts.timeoutMs);
    });
    this.timedOut.catch(() => undefined);
    this.client = { request: (req) => this.request(req) };
  }

  private async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    let bytesSent = 0;
    const agent = req.url.startsWith('https:') ? this.agents.https : this.agents.http;
    const body = Array.isArray(req.body) ? req.body : req.body ? counted(req.body, (n) => (bytesSent += n)) : undefined;
    if (Array.isArray(req.body)) bytesSent = req.body.reduce((n: number, c: Uint8Array) => n + c.byteLength, 0);
    const res = await isoHttp().request({ ...req, body, agent, signal: this.controller.signal } as GitHttpRequest);
    const exchange: Exchange = { method: req.method ?? 'GET', url: req.url, status: res.statusCode, bytesSent, bytesReceived: 0 };
    this.exchanges.push(exchange);
    async function* tracked(): AsyncIterableIterator<Uint8Array> {
      for await (const chunk of res.body ?? []) {
        exchange.bytesReceived += chunk.byteLength;
        yield chunk;
      }
    }
    return { ...res, body: tracked() };
  }

  /** Run one step, bounded by the try's overall timeout; network errors become TransportErrors. */
  async bounded<T>(step: Promise<T>): Promise<T> {
    try {
      return await Promise.race([step, this.timedOut]);
    } catch (err) {
      throw classify(err, this.controller.signal.aborted);
    }
  }

  /** The remote's refs and capabilities, as advertised to a pusher. */
  async discoverForPush(url: string): Promise<{ refs: Map<string, string>; capabilities: Set<string> }> {
    const git = isoGit();
    const info = await this.bounded(git.getRemoteInfo2({ http: this.client, url, forPush: true, protocolVersion: 1, headers: { ...this.opts.headers } }));
    const refs = new Map<string, string>();
    for (const r of info.refs ?? []) if (r.ref.startsWith('refs/')) refs.set(r.ref, r.oid);
    const capabilities = new Set(Object.keys(info.capabilities));
    return { refs, capabilities };
  }

  /** POST a receive-pack request; returns the response body (report-status). */
  async receivePack(url: string, body: Uint8Array[]): Promise<Buffer> {
    return this.bounded(
      (async () => {
        const res = await this.client.request({
          url: `${url}/git-receive-pack`,
          method: 'POST',
          headers: {
            ...this.opts.headers,
            'content-type': 'application/x-git-receive-pack-request',
            accept: 'application/x-git-receive-pack-result',
          },
          body: body as unknown as AsyncIterableIterator<Uint8Array>,
        });
        const text = await collect(res.body);
        if (res.statusCode !== 200) throw Object.assign(new Error(`HTTP ${res.statusCode}`), { code: 'HttpError', data: { statusCode: res.statusCode, statusMessage: res.statusMessage } });
        return text;
      })(),
    );
  }

  close(): void {
    clearTimeout(this.timer);
    this.controller.abort();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

function classify(err: unknown, aborted: boolean): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; message?: string; data?: { statusCode?: number; statusMessage?: string } };
  if (e.code === 'HttpError') {
    const status = e.data?.statusCode ?? 0;
    return new TransportError(`HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim(), status >= 500 || status === 408 || status === 429, status);
  }
  if (e.code && RETRYABLE_CODES.has(e.code)) {
    const detail = e.code === 'ETIMEDOUT' && e.message && !e.message.includes('ETIMEDOUT') ? ` (${e.message})` : '';
    return new TransportError(`${e.code}${detail}`, true);
  }
  if (aborted) return new TransportError('ETIMEDOUT: the request was cut off by the overall timeout', true);
  if (e.code === 'SmartHttpError') {
    // isomorphic-git's message names git-upload-pack whatever the service: say what was asked, and what came back.
    const sent = /but received: ([^]*)$/.exec(e.message ?? '')?.[1]?.trim();
    return new TransportError(`not a git smart-HTTP server: it did not answer as git-receive-pack${sent ? ` (it sent: ${sent.slice(0, 80)})` : ''}`, false);
  }
  if (e.code === 'ParseError') return new TransportError(`not a git smart-HTTP server: ${e.message}`, false);
  return new TransportError(e.message ?? String(err), false);
}

/** A pack of exactly these objects (no deltas), in memory, read through the store's own reader. */
export async function packObjects(store: Store, oids: string[], _cache?: object): Promise<Uint8Array> {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(oids.length, 8);
  const parts: Buffer[] = [header];
  const code = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;
  for (const oid of oids) {
    const { type, content } = store.readObjectSync(oid);
    // Entry header: type in bits 4-6 of the first byte, the size in 4 + 7·n bits.
    const head: number[] = [];
    let size = content.length;
    let byte = (code[type] << 4) | (size & 15);
    size = Math.floor(size / 16);
    while (size > 0) {
      head.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(byte);
    parts.push(Buffer.from(head), deflateSync(content, { level: 1 }));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** Whether `ancestor` is in the history of `oid` (both commits of this store). */
export async function isAncestor(store: Store, ancestor: string, oid: string, _cache?: object): Promise<boolean> {
  if (ancestor === oid) return true;
  if (!store.has(ancestor)) return false;
  const seen = new Set<string>();
  const queue = [oid];
  while (queue.length) {
    const next = queue.pop()!;
    if (next === ancestor) return true;
    if (seen.has(next)) continue;
    seen.add(next);
    try {
      queue.push(...(await store.readCommit(next)).parents);
    } catch {
      /* a commit we cannot read has no ancestors we can prove */
    }
  }
  return false;
}
