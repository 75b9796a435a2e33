/**
 * PURE: which remote a `forge-sync` argument means, what this machine is
 * called on the remote, and which local ref goes to which remote ref.
 */
import { UsageError } from '../errors.js';
import { NAME_PATTERN } from '../names.js';
import { checkRemoteUrl, type RemoteConfig } from './config.js';
import { ZERO_OID } from './ref-rules.js';
import { isScpLike, parseRemoteUrl, type RemoteUrl } from './url.js';

export { ZERO_OID };

/**
 * `<remote>` is a configured name, a URL (http(s), ssh:// or the scp form
 * `host:path`), or a bare host (`10.0.0.2`, `forge.local`, optionally with
 * `:port`) matched to the one configured remote on that host, whatever its scheme.
 * No argument means every configured remote.
 */
export function resolveRemotes(arg: string | undefined, remotes: readonly RemoteConfig[], configFile: string): RemoteConfig[] {
  const known = remotes.map((r) => `${r.name} (${r.url})`).join(', ') || '(none)';
  if (arg === undefined) {
    if (remotes.length === 0) throw new UsageError(`forge-sync: no remote given and none configured: add "remotes" to ${configFile} or pass a URL`);
    return [...remotes];
  }
  const byName = remotes.find((r) => r.name === arg);
  if (byName) return [byName];
  const bareHost = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:]+\](:\d+)?$/.test(arg);
  if (!bareHost && (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) || isScpLike(arg))) {
    const { url } = checkRemoteUrl(arg, 'forge-sync');
    // A configured remote with this URL lends its name and token.
    return [remotes.find((r) => r.url === url) ?? { name: url, url, tokenEnv: null }];
  }
  if (!bareHost) {
    throw new UsageError(`forge-sync: ${JSON.stringify(arg)} is not a configured remote, a URL or a host: configured remotes are ${known}`);
  }
  const port = /:(\d+)$/.exec(arg)?.[1] ?? null;
  const host = (port ? arg.slice(0, -port.length - 1) : arg).toLowerCase();
  const matches = remotes.filter((r) => {
    const u = parseRemoteUrl(r.url) as RemoteUrl;
    return u.host === host && (port === null || u.port === port);
  });
  if (matches.length === 1) return matches;
  if (matches.length === 0) {
    throw new UsageError(`forge-sync: no configured remote is on host ${arg}: configured remotes are ${known}; add one to "remotes" in ${configFile} or pass a full URL`);
  }
  throw new UsageError(`forge-sync: host ${arg} matches several remotes (${matches.map((r) => r.name).join(', ')}): name one`);
}

/** This machine's name in `refs/hosts/<host>/…`: the hostname, made to fit the name pattern. */
export function hostRefName(hostname: string): string {
  let name = hostname
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.lock$/i, '-lock')
    .slice(0, 63)
    .replace(/[.]+$/, '');
  if (!NAME_PATTERN.test(name)) name = 'unnamed-host';
  return name;
}

export const LIBRARY_REF = 'refs/heads/library';
const COMPANIES_PREFIX = 'refs/heads/companies/';
const SNAPSHOTS_PREFIX = 'refs/tags/snapshot/';
const FOLDERS_PREFIX = 'refs/folders/';

/** `folders`: what each agent folder of a company kept in several held (src/folders/record.ts), both sides of a conflict included. */
export type RefKind = 'library' | 'company' | 'snapshot' | 'folders';

export interface RefMapping {
  local: string;
  remote: string;
  kind: RefKind;
}

/**
 * The library goes to the remote's library; this machine's company histories,
 * per-folder records and snapshot tags go under `refs/hosts/<host>/`, so they never mix with the remote's
 * own companies and snapshots (which its own sync, rollback and pruning act on).
 */
export function mapRefs(localRefs: readonly string[], host: string): RefMapping[] {
  const out: RefMapping[] = [];
  for (const local of [...localRefs].sort()) {
    if (local === LIBRARY_REF) out.push({ local, remote: LIBRARY_REF, kind: 'library' });
    else if (local.startsWith(COMPANIES_PREFIX)) out.push({ local, remote: `refs/hosts/${host}/companies/${local.slice(COMPANIES_PREFIX.length)}`, kind: 'company' });
    else if (local.startsWith(SNAPSHOTS_PREFIX)) out.push({ local, remote: `refs/hosts/${host}/tags/snapshot/${local.slice(SNAPSHOTS_PREFIX.length)}`, kind: 'snapshot' });
    else if (local.startsWith(FOLDERS_PREFIX)) out.push({ local, remote: `refs/hosts/${host}/folders/${local.slice(FOLDERS_PREFIX.length)}`, kind: 'folders' });
  }
  return out;
}


export interface RefUpdate extends RefMapping {
  /** The remote's value, ZERO_OID when the ref does not exist there. */
  old: string;
  new: string;
}

/** Split mappings into refs already equal on the remote, and updates that still need a fast-forward check. */
export function planUpdates(
  mappings: readonly RefMapping[],
  local: ReadonlyMap<string, string>,
  remote: ReadonlyMap<string, string>,
): { upToDate: RefUpdate[]; updates: RefUpdate[] } {
  const upToDate: RefUpdate[] = [];
  const updates: RefUpdate[] = [];
  for (const m of mappings) {
    const u = { ...m, old: remote.get(m.remote) ?? ZERO_OID, new: local.get(m.local)! };
    (u.old === u.new ? upToDate : updates).push(u);
  }
  return { upToDate, updates };
}

/** Delays before try 2, 3, …: base, 2·base, 4·base. */
export function backoffDelays(tries: number, baseMs: number): number[] {
  return Array.from({ length: Math.max(0, tries - 1) }, (_, i) => baseMs * 2 ** i);
}
