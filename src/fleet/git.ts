/**
 * The system's `git`, talking to a git host: so the user's ssh config and
 * agent, credential helpers, proxies, `url.<x>.insteadOf` and tokens work as
 * they do for every other repository. `$LIBRARY_GIT` names another binary.
 * Every try is bounded (a connect timeout handed to ssh and curl, an overall
 * timeout that stops git's whole process group), never prompts, and is retried
 * with backoff for network causes only (src/fleet/classify.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { backoffDelays } from '../remote/resolve.js';
import { classifyGitFailure, hostOfUrl, type GitFailure } from './classify.js';
import type { NetworkConfig } from './config.js';

export interface GitRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export type RemoteGitResult = { ok: true; run: GitRun; tries: number } | { ok: false; failure: GitFailure; run: GitRun; tries: number };

export const gitBinary = (): string => process.env.LIBRARY_GIT || 'git';

/** Config every call passes: no automatic gc or maintenance in the store (this tool owns it), no commit-graph writes. */
export const QUIET_STORE = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false', '-c', 'fetch.writeCommitGraph=false'];

const SSH_URL = /^(ssh|git\+ssh|ssh\+git):\/\//i;
const isSshUrl = (url: string) => SSH_URL.test(url) || (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && /^(?:[^@/]+@)?[^:/]+:/.test(url));

function gitMissing(err: NodeJS.ErrnoException): UsageError {
  const which = process.env.LIBRARY_GIT ? `$LIBRARY_GIT (${process.env.LIBRARY_GIT})` : 'git';
  return new UsageError(`git hosts are reached with git, and ${which} could not be run (${err.code ?? err.message}): install git, or point $LIBRARY_GIT at it`);
}

/**
 * Variables that point git at another repository (`git rev-parse --local-env-vars`, and a push's quarantine): set
 * when this runs from a git hook, they would send the store's objects elsewhere. `GIT_CONFIG_*` stay: a CI job's
 * way of handing git a token.
 */
const REPOSITORY_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_IMPLICIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_GRAFT_FILE', 'GIT_SHALLOW_FILE', 'GIT_PREFIX', 'GIT_INTERNAL_SUPER_PREFIX', 'GIT_NO_REPLACE_OBJECTS', 'GIT_REPLACE_REF_BASE', 'GIT_QUARANTINE_PATH', 'GIT_NAMESPACE'];

export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of REPOSITORY_VARS) delete env[name];
  return env;
}

/** A local git command (no network): its output, or null when it failed. */
function gitQuick(args: string[]): Promise<string | null> {
  return new Promise((resolve, reject) => {
    execFile(gitBinary(), args, { encoding: 'utf8', timeout: 10_000, cwd: '/', env: baseEnv() }, (err, stdout) => { // the user's and the system's config, no repository's
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(gitMissing(err as NodeJS.ErrnoException));
      resolve(err ? null : stdout);
    });
  });
}

/**
 * The environment of a remote git command: no prompt ever (a scheduled run has nobody to answer), and for ssh
 * batch mode and the connect timeout added to the user's own ssh command: `$LIBRARY_SSH`, else `$GIT_SSH_COMMAND`,
 * else git's `core.sshCommand`, else `ssh`. A command that is not OpenSSH's is left as it is.
 */
export async function remoteEnv(url: string, net: NetworkConfig): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...baseEnv(), GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never' };
  if (!isSshUrl(url) || (process.env.GIT_SSH && !process.env.LIBRARY_SSH && !process.env.GIT_SSH_COMMAND)) return env;
  const base = process.env.LIBRARY_SSH || process.env.GIT_SSH_COMMAND || (await gitQuick(['config', '--get', 'core.sshCommand']))?.trim() || 'ssh';
  const first = base.trim().split(/\s+/)[0] ?? '';
  const openssh = /(^|\/)ssh$/.test(first);
  env.GIT_SSH_COMMAND = openssh ? `${base} -o BatchMode=yes -o ConnectTimeout=${Math.max(1, Math.ceil(net.connectTimeoutMs / 1000))}` : base;
  return env;
}

/** Config for curl (http/https): a transfer that stalls for the connect timeout is given up. */
export function httpBounds(net: NetworkConfig): string[] {
  return ['-c', 'http.lowSpeedLimit=1', '-c', `http.lowSpeedTime=${Math.max(1, Math.ceil(net.connectTimeoutMs / 1000))}`];
}

/** One git process in a process group of its own, stopped whole (SIGTERM, then SIGKILL) when `timeoutMs` passes. */
export function runGit(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(gitBinary(), args, { env: opts.env ?? baseEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const run: GitRun = { code: null, stdout: '', stderr: '', timedOut: false };
    let killer: NodeJS.Timeout | undefined;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      run.timedOut = true;
      kill('SIGTERM');
      killer = setTimeout(() => kill('SIGKILL'), 5000);
    }, opts.timeoutMs);
    // Decoded as a stream: a character split across two chunks stays one character.
    child.stdout.setEncoding('utf8').on('data', (c: string) => (run.stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (run.stderr += c));
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' || err.code === 'EACCES' ? gitMissing(err) : err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      run.code = code;
      resolve(run);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A git command that talks to `url`, tried up to `net.tries` times: only a network cause is tried again, after
 * `retryDelay`, doubling. `ok` decides from the exit whether the command did its job (a push with some refs
 * rejected exits 1 and still says which).
 */
export async function runRemoteGit(
  args: string[],
  opts: { url: string; net: NetworkConfig; log: Logger; label: string; ok?: (run: GitRun) => boolean },
): Promise<RemoteGitResult> {
  const env = await remoteEnv(opts.url, opts.net);
  const delays = backoffDelays(opts.net.tries, opts.net.retryDelayMs);
  const ok = opts.ok ?? ((r: GitRun) => r.code === 0);
  const host = hostOfUrl(opts.url);
  for (let i = 0; ; i++) {
    const run = await runGit(args, { env, timeoutMs: opts.net.timeoutMs });
    opts.log.debug({ url: opts.url, try: i + 1, exitCode: run.code, stderr: run.stderr.trim() }, `${opts.label}: git ${args.filter((a) => !a.startsWith('-c') && !a.includes('=')).join(' ')}`);
    if (!run.timedOut && ok(run)) return { ok: true, run, tries: i + 1 };
    const failure = classifyGitFailure({ code: run.code, stderr: run.stderr, timedOut: run.timedOut, timeoutMs: opts.net.timeoutMs }, host);
    if (!failure.retryable || i >= opts.net.tries - 1) return { ok: false, failure, run, tries: i + 1 };
    opts.log.warn({ url: opts.url, try: i + 1, err: failure.cause }, `${opts.label}: try ${i + 1} of ${opts.net.tries} failed (${failure.cause}); retrying in ${delays[i] / 1000}s`);
    await sleep(delays[i]);
  }
}

/** "unreachable after 3 tries: <cause>: <fix>" or "failed: <cause>: <fix>", for the one line a failure is. */
export function failureClause(f: GitFailure, tries: number): string {
  return `${f.retryable ? `unreachable after ${tries} ${tries === 1 ? 'try' : 'tries'}` : 'failed'}: ${f.cause}: ${f.fix}`;
}
