/**
 * One try's conversation with git-receive-pack on a remote, whatever carries it:
 * smart HTTP (a GET for the refs, a POST for the push) or ssh (one child
 * process, the same protocol over its stdin and stdout).
 */
import { Transport, TransportError, type Exchange } from '../store/transport.js';
import type { RemoteUrl } from './url.js';

/** A failure that is final and says it all (cause and fix): printed after the remote's label as it is. */
export class SessionError extends TransportError {
  constructor(summary: string) {
    super(summary, false);
  }
}

export interface Advertisement {
  refs: Map<string, string>;
  capabilities: Set<string>;
}

export interface PushSession {
  /** The remote's refs and capabilities, as advertised to a pusher. */
  discover(): Promise<Advertisement>;
  /** Send the commands and the pack; resolves with the report-status answer. */
  push(body: Uint8Array[]): Promise<Buffer>;
  /** Nothing to push: end the conversation cleanly. */
  finish(): Promise<void>;
  /** The last exchange, for --verbose: what went over the wire. */
  describe(): string;
  readonly exchanges: Exchange[];
  close(): void;
}

export class HttpSession implements PushSession {
  private readonly t: Transport;

  constructor(
    private readonly remote: Extract<RemoteUrl, { kind: 'http' }>,
    opts: { connectTimeoutMs: number; timeoutMs: number; headers: Record<string, string> },
  ) {
    this.t = new Transport(opts);
  }

  get exchanges(): Exchange[] {
    return this.t.exchanges;
  }

  discover(): Promise<Advertisement> {
    return this.t.discoverForPush(this.remote.url);
  }

  push(body: Uint8Array[]): Promise<Buffer> {
    return this.t.receivePack(this.remote.url, body);
  }

  async finish(): Promise<void> {}

  describe(): string {
    const e = this.t.exchanges[this.t.exchanges.length - 1];
    const u = new URL(e.url);
    return `${e.method} ${u.pathname}${u.search} → HTTP ${e.status}, ${e.bytesSent} bytes sent, ${e.bytesReceived} received`;
  }

  close(): void {
    this.t.close();
  }
}
