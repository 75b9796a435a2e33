/**
 * PURE: the remote URLs `forge-sync` understands, as git spells them:
 * `http(s)://host[:port]/path` (smart HTTP), `ssh://[user@]host[:port]/path`
 * and the scp form `[user@]host:path` (both run `git-receive-pack` over ssh).
 */

export type RemoteUrl =
  | { kind: 'http'; url: string; host: string; port: string | null }
  | { kind: 'ssh'; url: string; user: string | null; host: string; port: string | null; path: string };

/** What git would read as the scp form: no scheme, and a colon before any slash. */
export function isScpLike(s: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) return false;
  const m = /^(?:[^@/]+@)?(\[[^\]/]+\]|[^:/[\]]+):(.*)$/.exec(s);
  return m !== null;
}

/** The ssh target as ssh itself takes it: `host` without IPv6 brackets. */
export const sshHost = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

/**
 * Parse a remote URL, or explain in one clause why it is not one (the caller
 * names where it came from). Nothing that ssh or the remote shell could read as
 * an option is accepted (a host, user or path starting with `-`).
 */
export function parseRemoteUrl(raw: string): RemoteUrl | string {
  const url = raw.replace(/\/+$/, '');
  if (isScpLike(url)) {
    const m = /^(?:([^@/]+)@)?(\[[^\]/]+\]|[^:/[\]]+):(.*)$/.exec(url)!;
    return sshParts(url, m[1] ?? null, m[2], null, m[3]);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL: use http://host:8174/store.git, ssh://host/path/to/store.git or host:path/to/store.git';
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    if (parsed.username || parsed.password) return 'must not hold credentials: put the token in an environment variable named by "tokenEnv"';
    return { kind: 'http', url, host: parsed.hostname.toLowerCase(), port: parsed.port || null };
  }
  if (parsed.protocol === 'ssh:') {
    if (parsed.password) return 'must not hold a password: forge-sync uses your ssh keys (or ssh-agent), never a password';
    // git reads ssh://host/~/x and ssh://host/~user/x as paths from a home folder.
    const pathname = decodeURIComponent(parsed.pathname);
    return sshParts(url, parsed.username ? decodeURIComponent(parsed.username) : null, parsed.hostname, parsed.port || null, pathname.startsWith('/~') ? pathname.slice(1) : pathname);
  }
  return 'must be an http://, https:// or ssh:// URL, or the scp form host:path';
}

function sshParts(url: string, user: string | null, host: string, port: string | null, path: string): RemoteUrl | string {
  if (!host || host.startsWith('-') || (user !== null && (user === '' || user.startsWith('-')))) return 'has a host or user that ssh would read as an option';
  if (!path || path === '/') return 'names no path: add the store\'s path on that machine, e.g. forge:system/library-store.git';
  if (path.startsWith('-')) return 'has a path that git-receive-pack would read as an option';
  if (/[\0\n]/.test(path)) return 'has a path with a NUL or newline';
  return { kind: 'ssh', url, user, host: host.toLowerCase(), port, path };
}

/** `[user@]host` for ssh's command line, with the port apart. */
export function sshDestination(u: Extract<RemoteUrl, { kind: 'ssh' }>): string {
  return `${u.user ? `${u.user}@` : ''}${sshHost(u.host)}`;
}
