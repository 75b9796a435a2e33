/**
 * The hub's view of the fleet, for `library fleet`: every host's reported
 * company histories (`refs/hosts/*`, fetched into this store as
 * `refs/fleet/hosts/*`, pruned as the hub prunes them), each read for its last
 * sync, the library commit distributed there and whether that is the hub's
 * current tip, and its overrides and pending updates (src/fleet/analyze.ts).
 * `forgetHost` deletes a host that is gone for good from the hub.
 */
import { RemoteError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { LIBRARY_REF } from '../refs.js';
import { parseTrailers } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { folderAt } from '../library/source.js';
import { driftOf, severity, type SkillDrift } from './analyze.js';
import type { NetworkConfig, ReportConfig, UrlLibrary } from './config.js';
import { fetchLibrary, FETCHED_REF, type FetchOutcome } from './fetch.js';
import { urlLibrarySource } from './library.js';
import { failureClause, httpBounds, QUIET_STORE, runRemoteGit } from './git.js';
import { parsePorcelain } from './report.js';

export const FLEET_PREFIX = 'refs/fleet/hosts/';
const MAX_WALK = 1000;

export interface FleetCompany {
  name: string;
  /** The host's company ref as last fetched, and its tip. */
  commit: string;
  /** When that host's sync last recorded something for this company (a sync with nothing to do records and sends nothing). */
  lastSync: string;
  /** The library commit distributed there: the hub's commit it came from, else the host's own library record. */
  libraryCommit: string | null;
  /** Whether that is the hub's library now; null when this machine cannot tell (no library commit known). */
  atTip: boolean | null;
  drift: SkillDrift;
  /** The history could not be read here (the hub's copy is damaged or partial). */
  error: string | null;
}

export interface FleetHost {
  host: string;
  drift: boolean;
  companies: FleetCompany[];
}

export interface FleetView {
  url: string;
  /** The library the hosts are compared with: its source and tip (null when this machine has none yet). */
  library: { source: string; tip: string | null; fetch: FetchOutcome | null };
  /** The fetch of `refs/hosts/*`: null when it went through; otherwise the hosts are as last fetched. */
  error: string | null;
  hosts: FleetHost[];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

async function skillMap(store: Store, tree: string, sub = ''): Promise<Map<string, string>> {
  const entries = sub ? await folderAt(store, tree, sub) : await store.readTree(tree);
  return new Map(entries.filter((e) => e.mode === '40000' && !e.name.startsWith('.')).map((e) => [e.name, e.oid]));
}

/** The hub's library now: for a library from a URL, the branch as fetched (fetched first); else this store's library. */
async function referenceLibrary(store: Store, libraryUrl: UrlLibrary | null, net: NetworkConfig, log: Logger) {
  if (libraryUrl) {
    const fetch = await fetchLibrary(store, libraryUrl, net, log);
    const tip = await store.readRef(FETCHED_REF);
    return { source: urlLibrarySource(libraryUrl), tip, skills: tip ? await skillMap(store, (await store.readCommit(tip)).tree, libraryUrl.path) : new Map(), fetch, path: libraryUrl.path };
  }
  const local = await store.readRef(LIBRARY_REF);
  const commit = local ? await store.readCommit(local) : null;
  const tip = commit ? (parseTrailers(commit.message)['Source-Commit'] ?? local) : null;
  return { source: `this store's ${LIBRARY_REF}`, tip, skills: commit ? await skillMap(store, commit.tree) : new Map(), fetch: null, path: null };
}

async function readCompany(store: Store, name: string, commit: string, ref: Awaited<ReturnType<typeof referenceLibrary>>): Promise<FleetCompany> {
  const head = await store.readCommit(commit);
  const company = await skillMap(store, head.tree);
  let distributedCommit: string | null = null;
  let c = head;
  for (let i = 0; i < MAX_WALK; i++) {
    distributedCommit = parseTrailers(c.message)['Library-Commit'] ?? null;
    if (distributedCommit || !c.parents[0]) break;
    c = await store.readCommit(c.parents[0]);
  }
  let distributed: Map<string, string> | null = null;
  let source: string | null = null;
  if (distributedCommit) {
    const library = await store.readCommit(distributedCommit);
    distributed = await skillMap(store, library.tree);
    source = parseTrailers(library.message)['Source-Commit'] ?? null;
  }
  // The hub's own tree of the distributed version, when this store has that commit: compared with the tip like for like.
  let distributedAtHub: Map<string, string> | null = null;
  if (source && ref.path !== null && store.has(source)) distributedAtHub = await skillMap(store, (await store.readCommit(source)).tree, ref.path);
  const libraryCommit = source ?? distributedCommit;
  const atTip = !ref.tip || !libraryCommit ? null : libraryCommit === ref.tip;
  return { name, commit, lastSync: iso(head.author.timestamp), libraryCommit, atTip, drift: driftOf({ company, distributed, distributedAtHub, now: ref.skills }), error: null };
}

/** Fetch `refs/hosts/*` from the report URL (and the library, when it is a URL), then read every host's companies. */
export async function readFleet(store: Store, opts: { report: ReportConfig; libraryUrl: UrlLibrary | null; net: NetworkConfig; log: Logger }): Promise<FleetView> {
  const { report, net, log } = opts;
  const reference = await referenceLibrary(store, opts.libraryUrl, net, log);
  const label = `fleet: fetch of refs/hosts/* from ${report.url}`;
  const args = ['--git-dir', store.gitdir, ...QUIET_STORE, ...httpBounds(net), 'fetch', '--prune', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--no-auto-gc', '--', report.url, `+refs/hosts/*:${FLEET_PREFIX}*`];
  const fetched = await runRemoteGit(args, { url: report.url, net, log, label });
  const error = fetched.ok ? null : `${label} ${failureClause(fetched.failure, fetched.tries)}; showing the hosts as last fetched`;
  if (error) log.error({ url: report.url, err: error }, error);

  const byHost = new Map<string, FleetCompany[]>();
  for (const ref of await store.listRefs(FLEET_PREFIX)) {
    const m = /^refs\/fleet\/hosts\/([^/]+)\/companies\/([^/]+)$/.exec(ref);
    if (!m) continue;
    const commit = (await store.readRef(ref))!;
    let entry: FleetCompany;
    try {
      entry = await readCompany(store, m[2], commit, reference);
    } catch (err) {
      entry = { name: m[2], commit, lastSync: '', libraryCommit: null, atTip: null, drift: { overrides: [], overridesBehind: [], behind: [], new: [] }, error: (err as Error).message };
    }
    byHost.set(m[1], [...(byHost.get(m[1]) ?? []), entry]);
  }
  // Drift first: a company that cannot be read or is behind the hub, then overrides, then the rest; hosts by their worst.
  const rank = (c: FleetCompany) => (c.error ? 3 : severity(c));
  const hosts = [...byHost].map(([host, companies]) => {
    companies.sort((a, b) => rank(b) - rank(a) || (a.name < b.name ? -1 : 1));
    return { host, drift: companies.some((c) => rank(c) > 0), companies, worst: Math.max(...companies.map(rank)) };
  });
  hosts.sort((a, b) => b.worst - a.worst || (a.host < b.host ? -1 : 1));
  return { url: report.url, library: { source: reference.source, tip: reference.tip, fetch: reference.fetch }, error, hosts: hosts.map(({ worst: _, ...h }) => h) };
}

/** Delete every `refs/hosts/<host>/…` ref on the hub, and this store's copy. Returns the refs deleted there. */
export async function forgetHost(store: Store, opts: { report: ReportConfig; host: string; net: NetworkConfig; log: Logger }): Promise<string[]> {
  const { report, host, net, log } = opts;
  const label = `fleet forget ${host}: ${report.url}`;
  const listed = await runRemoteGit(['--git-dir', store.gitdir, ...httpBounds(net), 'ls-remote', '--refs', '--', report.url, `refs/hosts/${host}/*`], { url: report.url, net, log, label });
  if (!listed.ok) throw new RemoteError(`${label} ${failureClause(listed.failure, listed.tries)}`);
  const refs = listed.run.stdout
    .split('\n')
    .map((l) => l.split('\t')[1])
    .filter((r): r is string => !!r && r.startsWith(`refs/hosts/${host}/`));
  const local = (await store.listRefs(FLEET_PREFIX)).filter((r) => r.startsWith(`${FLEET_PREFIX}${host}/`));
  if (refs.length === 0 && local.length === 0) {
    const known = [...new Set((await store.listRefs(FLEET_PREFIX)).map((r) => r.slice(FLEET_PREFIX.length).split('/')[0]))];
    throw new UsageError(`fleet forget: ${report.url} has no host "${host}"${known.length ? ` (hosts last fetched: ${known.join(', ')})` : ''}: run \`library fleet\` to see the hosts`);
  }
  if (refs.length > 0) {
    const pushed = await runRemoteGit(['--git-dir', store.gitdir, ...QUIET_STORE, ...httpBounds(net), 'push', '--porcelain', '--no-verify', '--', report.url, ...refs.map((r) => `:${r}`)], {
      url: report.url,
      net,
      log,
      label,
      ok: (run) => /^Done$/m.test(run.stdout),
    });
    if (!pushed.ok) throw new RemoteError(`${label} ${failureClause(pushed.failure, pushed.tries)}`);
    const refused = [...parsePorcelain(pushed.run.stdout)].filter(([, r]) => r.flag === '!');
    if (refused.length) throw new RemoteError(`${label}: the hub refused to delete ${refused.map(([ref, r]) => `${ref} (${r.summary})`).join(', ')}`);
  }
  for (const ref of local) await store.deleteRef(ref);
  log.info({ url: report.url, host, refs: refs.length }, `${label}: deleted ${refs.length} refs`);
  return refs;
}
