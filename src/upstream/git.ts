/**
 * The system's `git` (or `$LIBRARY_GIT`) talking to an upstream: `ls-remote`
 * to learn what a ref points at, `fetch` into the cache repository. Going
 * through git, not a library, means the user's ssh keys and config, credential
 * helpers, tokens and proxies all work, for any URL git accepts. Every call is
 * bounded by a timeout (the whole process group is killed), never prompts
 * unless a person is at the terminal, and fails as one RemoteError line
 * naming the URL and git's own cause (exit 3).
 */
import { RemoteError, UsageError } from '../errors.js';
import { baseEnv, runGit as runGitProcess } from '../fleet/git.js';

export interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run git (src/fleet/git.ts: its own process group, stopped whole at the timeout, never pointed at another
 * repository by a hook's variables); resolves with its output whatever its exit code; throws only when it cannot
 * run or times out. A person at the terminal may be asked for a password; a scheduled run never is.
 */
export async function runGit(args: string[], opts: { timeoutMs: number; what: string }): Promise<GitRun> {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const env = { ...baseEnv(), ...(interactive ? {} : { GIT_TERMINAL_PROMPT: '0' }), LC_ALL: 'C' };
  const run = await runGitProcess(args, { env, timeoutMs: opts.timeoutMs });
  if (run.timedOut) throw new RemoteError(`${opts.what}: no answer within ${opts.timeoutMs / 1000}s (git ${args[args[0] === '--git-dir' ? 2 : 0]} was stopped); check the network, or pass a longer --timeout`);
  return { code: run.code ?? 1, stdout: run.stdout, stderr: run.stderr };
}

/**
 * Git's own reason, in one line. Pure. Its lines are kept (ssh's `connect to host … refused`, `'x' does not appear
 * to be a git repository`), its boilerplate dropped (`Could not read from remote repository.` when something says
 * more, `Please make sure you have the correct access rights…`).
 */
export function gitFailureCause(stderr: string, code: number): string {
  const boilerplate = /^(Please make sure you have the correct access rights|and the repository exists\.)$/;
  const lines = stderr
    .split('\n')
    .map((l) => l.trim().replace(/^(fatal|error):\s*/, ''))
    .filter((l) => l !== '' && !boilerplate.test(l));
  const said = lines.length > 1 ? lines.filter((l) => l !== 'Could not read from remote repository.') : lines;
  const cause = [...new Set(said)].join('; ');
  if (!cause) return `git exited with code ${code}`;
  return cause.length > 400 ? `${cause.slice(0, 399)}…` : cause;
}

export type RefKind = 'default' | 'branch' | 'tag' | 'commit';

export interface ResolvedRef {
  /** The commit the ref points at now (a tag peeled). */
  commit: string;
  kind: RefKind;
  /** What to fetch: a full ref name, or the commit itself. */
  fetch: string;
  /** For messages: `main`, `v1.2`, the default branch's name. */
  label: string;
}

const SHA = /^[0-9a-f]{40}$/;

/**
 * What `ref` means at `url` now: null is the remote's default branch (followed),
 * a branch is followed, a tag or a full commit id is a pin. Pure over
 * `git ls-remote` output.
 */
export function parseLsRemote(output: string, ref: string | null): ResolvedRef | null {
  const refs = new Map<string, string>();
  let headTarget: string | null = null;
  for (const line of output.split('\n')) {
    const sym = /^ref: (\S+)\tHEAD$/.exec(line);
    if (sym) headTarget = sym[1];
    const m = /^([0-9a-f]{40})\t(\S+)$/.exec(line);
    if (m) refs.set(m[2], m[1]);
  }
  if (ref === null) {
    const commit = refs.get('HEAD');
    if (!commit) return null;
    return { commit, kind: 'default', fetch: headTarget ?? 'HEAD', label: headTarget?.replace(/^refs\/heads\//, '') ?? 'HEAD' };
  }
  const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
  for (const name of candidates) {
    const oid = refs.get(name);
    if (!oid) continue;
    const tag = name.startsWith('refs/tags/');
    return { commit: refs.get(`${name}^{}`) ?? oid, kind: tag ? 'tag' : 'branch', fetch: name, label: ref };
  }
  return null;
}

/** The patterns `ls-remote` is asked for (never the whole ref list: a big host has thousands of pull refs). */
export function lsRemotePatterns(ref: string | null): string[] {
  if (ref === null) return ['HEAD'];
  if (ref.startsWith('refs/')) return [ref, `${ref}^{}`];
  return [`refs/heads/${ref}`, `refs/tags/${ref}`, `refs/tags/${ref}^{}`];
}

/** Resolve a ref at the upstream (a commit id needs no network: it is fetched as is). */
export async function resolveRef(url: string, ref: string | null, timeoutMs: number): Promise<ResolvedRef> {
  if (ref !== null && SHA.test(ref)) return { commit: ref, kind: 'commit', fetch: ref, label: ref.slice(0, 7) };
  const r = await runGit(['ls-remote', '--symref', '--', url, ...lsRemotePatterns(ref)], { timeoutMs, what: `upstream ${url}` });
  if (r.code !== 0) throw new RemoteError(`upstream ${url}: ${gitFailureCause(r.stderr, r.code)}`);
  const resolved = parseLsRemote(r.stdout, ref);
  if (!resolved) {
    if (ref === null) throw new RemoteError(`upstream ${url}: the repository has no default branch (an empty repository?)`);
    const abbrev = /^[0-9a-f]{7,39}$/.test(ref) ? ': a commit must be given as its full 40-character id' : '';
    throw new UsageError(`upstream ${url}: no branch or tag ${JSON.stringify(ref)}${abbrev}; pass --ref with a branch, a tag or a full commit id`);
  }
  return resolved;
}

/** Fetch `what` (a ref name or a commit id) into the bare repository `gitdir`, shallow; returns the commit fetched. */
export async function fetchInto(gitdir: string, url: string, what: string, timeoutMs: number): Promise<string> {
  const local = 'refs/fetched/tip';
  const spec = SHA.test(what) ? what : `+${what}:${local}`;
  const args = ['--git-dir', gitdir, 'fetch', '--quiet', '--no-tags', '--no-auto-gc', '--depth=1', '--', url, spec];
  const r = await runGit(args, { timeoutMs, what: `upstream ${url}` });
  if (r.code !== 0) throw new RemoteError(`upstream ${url}: cannot fetch ${what}: ${gitFailureCause(r.stderr, r.code)}`);
  if (SHA.test(what)) return what;
  const peeled = await runGit(['--git-dir', gitdir, 'rev-parse', '--verify', '--quiet', `${local}^{commit}`], { timeoutMs, what: `upstream ${url}` });
  if (peeled.code !== 0) throw new RemoteError(`upstream ${url}: ${what} is not a commit`);
  return peeled.stdout.trim();
}
