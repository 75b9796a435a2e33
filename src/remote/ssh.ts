/**
 * git-receive-pack over the user's own `ssh`, so `~/.ssh/config`, ssh-agent,
 * ProxyJump and known_hosts all apply. The protocol is the one the HTTP path
 * speaks (gitprotocol-pack(5)), over the child's stdin and stdout. ssh runs in
 * batch mode (never a password prompt under launchd); its stderr, and the remote
 * git's, is passed on as it arrives, and read to name the cause of a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { shellQuote } from '../hooks/install.js';
import { TransportError, type Exchange } from '../store/transport.js';
import { FLUSH, readPktLines } from './pktline.js';
import { SessionError, type Advertisement, type PushSession } from './session.js';
import { sshDestination, sshHost, type RemoteUrl } from './url.js';

type SshUrl = Extract<RemoteUrl, { kind: 'ssh' }>;

export interface SshOptions {
  connectTimeoutMs: number;
  /** The whole try: advertisement, pack and report. */
  timeoutMs: number;
  /** `$LIBRARY_SSH`: a command line run by sh in place of `ssh`, like git's GIT_SSH_COMMAND. */
  command: string | undefined;
  /** ssh's stderr as it arrives: never swallowed. */
  onStderr: (text: string) => void;
}

/** The command that runs git-receive-pack on the far side. */
export function sshCommandLine(u: SshUrl, connectTimeoutMs: number, override: string | undefined): { file: string; args: string[] } {
  const args = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.ceil(connectTimeoutMs / 1000))}`];
  if (u.port) args.push('-p', u.port);
  args.push('--', sshDestination(u), `git-receive-pack ${shellQuote(u.path)}`);
  if (!override) return { file: 'ssh', args };
  return { file: '/bin/sh', args: ['-c', `${override} "$@"`, 'library-sync-ssh', ...args] };
}

export interface SshExit {
  code: number | null;
  stderr: string;
  timedOut: boolean;
  spawnError: NodeJS.ErrnoException | null;
}

const RETRYABLE =
  /Connection refused|Connection timed out|Operation timed out|timed out|No route to host|Network is unreachable|Host is down|Could not resolve hostname|Temporary failure in name resolution|Connection reset|Connection closed|Connection aborted|kex_exchange_identification|Broken pipe/i;

/**
 * PURE: why ssh (or git-receive-pack behind it) failed, with the fix, and whether
 * another try could help: only network causes are retried, never a refused key,
 * a host key problem or a wrong path.
 */
export function classifySsh(u: SshUrl, exit: Omit<SshExit, 'timedOut'>, override: string | undefined): TransportError {
  const host = sshHost(u.host);
  const by = (re: RegExp) => exit.stderr.split('\n').map((l) => l.trim()).find((l) => re.test(l));
  const manual = `ssh${u.port ? ` -p ${u.port}` : ''} ${sshDestination(u)}`;
  const final = (summary: string) => new SessionError(summary);
  if (exit.spawnError) {
    return final(`cannot run ssh (${exit.spawnError.code ?? exit.spawnError.message}): install OpenSSH's client, or set $LIBRARY_SSH to the ssh command to use`);
  }
  const changed = by(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/);
  if (changed) {
    const known = u.port ? `[${host}]:${u.port}` : host;
    return final(`the host key of ${host} has changed since known_hosts recorded it (ssh: Host key verification failed): if ${host} was reinstalled, remove the old key with \`ssh-keygen -R '${known}'\` and accept the new one with \`${manual}\`; if not, someone may be between the two machines`);
  }
  if (by(/Host key verification failed|host key is known/)) {
    return final(`the host key of ${host} is not known here (ssh: Host key verification failed): connect once by hand with \`${manual}\` to check and accept it; forge-sync runs ssh in batch mode and cannot ask`);
  }
  const denied = /Permission denied \(([^)]*)\)/.exec(exit.stderr);
  if (denied) {
    return final(`ssh refused the login to ${sshDestination(u)} (Permission denied (${denied[1]})): add this machine's public key (e.g. ~/.ssh/id_ed25519.pub) to ~/.ssh/authorized_keys of ${u.user ?? 'that user'} on ${host}, or load the key into ssh-agent; forge-sync cannot type a password (BatchMode)`);
  }
  const missing = by(/git-receive-pack.*not found|not found.*git-receive-pack|command not found/);
  if (exit.code === 127 && missing && /git-receive-pack/.test(missing)) {
    return final(`git-receive-pack was not found on ${host} (${missing}): install git there, or put git-receive-pack on the PATH that sshd gives ${u.user ?? 'that user'}'s non-interactive shell`);
  }
  if (exit.code === 127 && override) return final(`$LIBRARY_SSH (${override}) could not be run (${by(/./) ?? 'exit 127'}): fix or unset it`);
  const notRepo = by(/does not appear to be a git repository|not a git repository/);
  if (notRepo) {
    return final(`${u.path} on ${host} is not a store (${notRepo}): check the path in the remote's URL, or create the store there (\`library sync --fix\` with that machine's config creates it)`);
  }
  const network = by(RETRYABLE);
  if (network) {
    const fix = /refused/i.test(network)
      ? `is ${host} up, with its ssh server (macOS: Remote Login) listening${u.port ? ` on port ${u.port}` : ''}?`
      : /resolve|name resolution/i.test(network)
        ? `check the host name in the remote's URL, or its Host entry in ~/.ssh/config`
        : `check that ${host} is up and reachable`;
    return new TransportError(`${network}: ${fix}`, true);
  }
  const last = exit.stderr.trim().split('\n').pop()?.trim();
  return final(`\`${manual} git-receive-pack\` failed (exit ${exit.code ?? 'by a signal'})${last ? `: ${last}` : ', with no message'}`);
}

/** Offset just past the first flush packet, or null while it has not arrived; throws on what is not pkt-lines. */
function sectionEnd(buf: Buffer): number | null {
  let at = 0;
  while (at + 4 <= buf.length) {
    const hex = buf.toString('latin1', at, at + 4);
    const len = /^[0-9a-f]{4}$/.test(hex) ? parseInt(hex, 16) : NaN;
    if (Number.isNaN(len) || (len > 0 && len < 4)) throw new Error(JSON.stringify(buf.toString('latin1', 0, Math.min(buf.length, 60))));
    if (len === 0) return at + 4;
    at += len;
  }
  return null;
}

export class SshSession implements PushSession {
  private child: ChildProcess | null = null;
  private out = Buffer.alloc(0);
  private exit: SshExit = { code: null, stderr: '', timedOut: false, spawnError: null };
  private done = false;
  private wake: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly exchanges: Exchange[] = [];

  constructor(
    private readonly u: SshUrl,
    private readonly opts: SshOptions,
  ) {}

  private get exchange(): Exchange {
    return this.exchanges[0];
  }

  private start(): ChildProcess {
    const { file, args } = sshCommandLine(this.u, this.opts.connectTimeoutMs, this.opts.command);
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.exchanges.push({ method: 'SSH', url: this.u.url, status: -1, bytesSent: 0, bytesReceived: 0 });
    const poke = () => {
      const w = this.wake;
      this.wake = () => undefined;
      w();
    };
    const end = () => {
      if (this.done) return;
      this.done = true;
      clearTimeout(this.timer);
      this.exchange.status = this.exit.code ?? -1;
      poke();
    };
    child.stdout!.on('data', (c: Buffer) => {
      this.out = Buffer.concat([this.out, c]);
      this.exchange.bytesReceived += c.length;
      poke();
    });
    child.stderr!.on('data', (c: Buffer) => {
      const text = c.toString();
      this.exit.stderr += text;
      this.opts.onStderr(text);
    });
    child.stdin!.on('error', () => undefined); // the far side may stop reading (a refused login, a missing repository)
    child.on('error', (err: NodeJS.ErrnoException) => {
      this.exit.spawnError = err;
      end();
    });
    child.on('close', (code) => {
      this.exit.code = code;
      end();
    });
    this.timer = setTimeout(() => {
      this.exit.timedOut = true;
      child.kill('SIGTERM');
    }, this.opts.timeoutMs);
    return child;
  }

  private failure(): TransportError {
    if (this.exit.timedOut) return new TransportError(`ETIMEDOUT: no complete answer within ${this.opts.timeoutMs / 1000}s`, true);
    return classifySsh(this.u, this.exit, this.opts.command);
  }

  /** Wait until `read` finds what it needs in the output so far; a finished child that never sent it is a failure. */
  private async until<T>(read: () => T | null): Promise<T> {
    for (;;) {
      const got = read();
      if (got !== null) return got;
      if (this.done) throw this.failure();
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private send(chunks: Uint8Array[]): void {
    for (const c of chunks) {
      this.child!.stdin!.write(c);
      this.exchange.bytesSent += c.byteLength;
    }
    this.child!.stdin!.end();
  }

  async discover(): Promise<Advertisement> {
    this.start();
    const end = await this.until(() => {
      try {
        return sectionEnd(this.out);
      } catch (err) {
        const what = (err as Error).message;
        throw new SessionError(
          `${sshHost(this.u.host)} sent something that is not git's protocol before git-receive-pack answered (${what}): a login script there (~/.bashrc, ~/.zshenv) writes to stdout; make it quiet for non-interactive shells`,
        );
      }
    });
    const lines = readPktLines(this.out.subarray(0, end));
    this.out = this.out.subarray(end);
    const refs = new Map<string, string>();
    const capabilities = new Set<string>();
    lines.forEach((line, i) => {
      const [head, caps] = i === 0 ? line.split('\0') : [line];
      if (caps) for (const c of caps.trim().split(' ')) if (c) capabilities.add(c.split('=')[0]);
      const m = /^([0-9a-f]{40}) (\S+)$/.exec(head);
      if (m && m[2].startsWith('refs/')) refs.set(m[2], m[1]);
    });
    return { refs, capabilities };
  }

  async push(body: Uint8Array[]): Promise<Buffer> {
    this.send(body);
    await this.until(() => (this.done ? true : null));
    if (this.out.length > 0) return this.out; // the report, even from a receive-pack that then failed
    throw this.failure();
  }

  async finish(): Promise<void> {
    this.send([FLUSH]);
    await this.until(() => (this.done ? true : null));
    if (this.exit.code !== 0) throw this.failure();
  }

  describe(): string {
    const e = this.exchange;
    return `ssh ${sshDestination(this.u)}${this.u.port ? ` -p ${this.u.port}` : ''} git-receive-pack ${shellQuote(this.u.path)}: ${e.bytesSent} bytes sent, ${e.bytesReceived} received`;
  }

  close(): void {
    clearTimeout(this.timer);
    if (this.child && !this.done) this.child.kill('SIGTERM');
  }
}
