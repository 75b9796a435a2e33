/**
 * PURE: why a `git fetch` or `git push` to a git host failed, in one clause
 * with its fix, and whether another try could help. Only network causes are
 * retried (refused, reset, timed out, no route, name resolution, HTTP 5xx,
 * 408, 429); a refused login, an unknown host key, a missing repository or
 * branch never are. Read from git's own stderr, which names the cause in the
 * words of ssh, curl or the far side.
 */

export interface GitFailure {
  /** The line of git's output that says what happened (or a summary). */
  cause: string;
  /** What a person does about it. */
  fix: string;
  retryable: boolean;
}

export interface GitExit {
  code: number | null;
  stderr: string;
  timedOut: boolean;
  timeoutMs: number;
}

const NETWORK =
  /Connection refused|Couldn't connect to server|Failed to connect|Connection timed out|Operation timed out|Operation too slow|timed out|No route to host|Network is unreachable|Host is down|Could not resolve host|Could not resolve hostname|Temporary failure in name resolution|Name or service not known|nodename nor servname|Connection reset|Connection closed|Connection aborted|Empty reply from server|Recv failure|Send failure|kex_exchange_identification|Broken pipe|early EOF|the remote end hung up unexpectedly|returned error: (5\d\d|408|429)|HTTP (5\d\d|408|429)|RPC failed; curl (6|7|18|28|52|55|56)\b|SSL_ERROR_SYSCALL|gnutls_handshake\(\) failed/i;

/** Lines worth quoting: git's `fatal:`/`error:` lines and ssh's, without the generic trailers. */
function meaningfulLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((l) => l.replace(/^remote:\s*/, '').trim())
    .filter((l) => l && !/^(hint:|Please make sure you have the correct access rights|and the repository exists\.|From |To )/.test(l));
}

export function classifyGitFailure(exit: GitExit, host: string): GitFailure {
  const lines = meaningfulLines(exit.stderr);
  const find = (re: RegExp) => lines.find((l) => re.test(l));
  const quote = (l: string) => l.replace(/^(fatal|error): /, '');
  if (exit.timedOut) return { cause: `ETIMEDOUT: no complete answer within ${exit.timeoutMs / 1000}s`, fix: `check that ${host} is up and reachable ("network.timeout" raises the limit)`, retryable: true };

  const changed = find(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/);
  if (changed) return { cause: 'the host key has changed since known_hosts recorded it (ssh: Host key verification failed)', fix: `if ${host} was reinstalled, remove the old key with \`ssh-keygen -R ${host}\` and connect once by hand; if not, someone may be between the two machines`, retryable: false };
  if (find(/Host key verification failed/)) return { cause: `the host key of ${host} is not known here (ssh: Host key verification failed)`, fix: `connect once by hand (\`ssh ${host}\`, or \`git ls-remote\` the URL) to check and accept it; the scheduled run cannot ask`, retryable: false };
  const denied = find(/Permission denied \(/);
  if (denied) return { cause: `ssh refused the login (${quote(denied)})`, fix: `add this machine's public key to ${host} (a deploy key or your account's keys), or load the key into ssh-agent; the scheduled run cannot type a password`, retryable: false };
  const auth = find(/Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]\b/);
  if (auth) return { cause: quote(auth), fix: `store a token for ${host} in git's credential helper (\`git credential approve\`, or the host's CLI login), as for any other repository`, retryable: false };
  const missingRef = find(/couldn't find remote ref/);
  if (missingRef) return { cause: quote(missingRef), fix: 'check "library.branch" in the config, or push that branch to the repository', retryable: false };
  const notRepo = find(/does not appear to be a git repository|Repository not found|repository '.*' not found|returned error: 404|not a git repository/);
  if (notRepo) return { cause: quote(notRepo), fix: 'check the URL in the config (and that this machine\'s key or token may read it)', retryable: false };
  const tls = find(/SSL certificate problem|server certificate verification failed|certificate verify failed/);
  if (tls) return { cause: quote(tls), fix: `check ${host}'s certificate, or git's http.sslCAInfo for a private authority`, retryable: false };
  const missingGit = find(/git-(upload|receive)-pack.*(not found|No such file)|command not found/);
  if (missingGit) return { cause: quote(missingGit), fix: `install git on ${host}, or put it on the PATH sshd gives non-interactive shells there`, retryable: false };

  const network = find(NETWORK);
  if (network) {
    const fix = /resolve|name resolution|servname|not known/i.test(network)
      ? 'check the host name in the URL (or its Host entry in ~/.ssh/config) and this machine\'s network'
      : /refused|connect to server/i.test(network)
        ? `is ${host} up, with its git service listening?`
        : `check that ${host} is up and reachable`;
    return { cause: quote(network), fix, retryable: true };
  }
  const last = lines.filter((l) => /^(fatal|error):/.test(l)).pop() ?? lines.pop();
  return { cause: last ? quote(last) : `git exited ${exit.code ?? 'by a signal'} with no message`, fix: 'run the same git command by hand to see more (--verbose shows it)', retryable: false };
}

/** The host a URL names, for messages: `github.com` of `git@github.com:acme/x.git`, the folder of a local path. */
export function hostOfUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:]+)/i.exec(url);
  if (scheme && !url.startsWith('file:')) return scheme[1];
  const scp = /^(?:[^@/]+@)?([^:/]+):/.exec(url);
  if (scp && !url.startsWith('file:')) return scp[1];
  return 'this machine (a local repository)';
}
