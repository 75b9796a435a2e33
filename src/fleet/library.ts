/**
 * The library as last fetched from its git host: the tree at `path` of
 * `refs/upstream/library` (src/fleet/fetch.ts), read as a local git library's
 * committed tree is (validation, ignore rules), and recorded on
 * `refs/heads/library` with a `Source-Commit:` trailer naming the host's commit.
 * Reads no network: `status` and `push` distribute what the last fetch brought.
 */
import type { Config } from '../config.js';
import { StoreError, UsageError } from '../errors.js';
import { filterSkillMap, treeFilterFor } from '../scan/filter-tree.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { buildTree } from '../scan/scan.js';
import type { TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { blockInvalidSkills, type ValidationCache } from '../validate/library.js';
import { listTree } from '../validate/listing.js';
import { folderAt, skillsOf, type LibraryView } from '../library/source.js';
import type { UpstreamLibrary } from './config.js';
import { UPSTREAM_REF } from './fetch.js';

/** How the library is named in messages and in `Library-Source:`: the URL and git's `<branch>:<path>`. */
export const upstreamSource = (u: UpstreamLibrary) => `${u.url} ${u.branch}:${u.path}`;

export async function readUpstreamLibrary(config: Pick<Config, 'ignore' | 'libraryDir' | 'strictValidation'>, upstream: UpstreamLibrary, store: Store | null, validation: ValidationCache): Promise<LibraryView> {
  const source = upstreamSource(upstream);
  const commit = store ? await store.readRef(UPSTREAM_REF) : null;
  if (!store || !commit) throw new StoreError(`library ${upstream.url} (branch ${upstream.branch}) has not been fetched yet: run \`library sync\``);
  const root = (await store.readCommit(commit)).tree;
  const entries: TreeEntry[] = upstream.path ? await folderAt(store, root, upstream.path) : await store.readTree(root);
  if (upstream.path && entries.length === 0) {
    throw new UsageError(`library path "${upstream.path}" is not a folder in ${upstream.url} branch ${upstream.branch} (commit ${commit.slice(0, 7)}): fix "library.path" in the config, or add the folder there`);
  }
  const view = skillsOf(entries, source);
  const warnings = await blockInvalidSkills(view.skills, view.blocked, source, validation, (name, tree) => listTree(store, tree, name, validation.maxFileBytes), config.strictValidation);
  // A committed .DS_Store or __pycache__ is litter here as in the company folders, which never hold it.
  const filter = treeFilterFor(ignoreRulesOf(config), store);
  const committed = view.skills;
  view.skills = await filterSkillMap(filter, store, committed, null);
  const skillEntries: TreeEntry[] = [...view.skills].map(([name, oid]) => ({ name, mode: '40000', oid }));
  return {
    kind: 'url',
    source,
    tree: buildTree(skillEntries).oid,
    ...view,
    warnings,
    sourceCommit: commit,
    uncommitted: [],
    readable: { stores: [store] },
    async copyInto(s) {
      for (const [name, oid] of committed) if (view.skills.has(name)) await filter.materialize(store, s, oid, name);
      s.writeTree(skillEntries);
      validation.save();
      filter.save();
    },
  };
}
