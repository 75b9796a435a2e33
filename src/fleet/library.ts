/**
 * The library as last fetched from its git host: the tree at `path` of
 * `refs/fetched/library` (src/fleet/fetch.ts), read as a local git library's
 * committed tree is (validation, ignore rules), and recorded on
 * `refs/heads/library` with a `Source-Commit:` trailer naming the host's commit.
 * Reads no network: `status` and `push` distribute what the last fetch brought.
 */
import type { LibraryPolicy } from '../policy.js';
import { StoreError, UsageError } from '../errors.js';
import type { TreeEntry } from '../store/objects.js';
import type { ReadonlyStore } from '../store/store.js';
import type { ValidationCache } from '../validate/library.js';
import { folderAt, skillsOf, storedLibrary, type LibraryView } from '../library/source.js';
import type { UrlLibrary } from './config.js';
import { FETCHED_REF } from './fetch.js';

/** How the library is named in messages and in `Library-Source:`: the URL and git's `<branch>:<path>`. */
export const urlLibrarySource = (u: UrlLibrary) => `${u.url} ${u.branch}:${u.path}`;

export async function readUrlLibrary(config: Pick<LibraryPolicy, 'ignore' | 'strictValidation'>, upstream: UrlLibrary, store: ReadonlyStore | null, validation: ValidationCache): Promise<LibraryView> {
  const source = urlLibrarySource(upstream);
  const commit = store ? await store.readRef(FETCHED_REF) : null;
  if (!store || !commit) throw new StoreError(`library ${upstream.url} (branch ${upstream.branch}) has not been fetched yet: run \`library sync\``);
  const root = (await store.readCommit(commit)).tree;
  const entries: TreeEntry[] = upstream.path ? await folderAt(store, root, upstream.path) : await store.readTree(root);
  if (upstream.path && entries.length === 0) {
    throw new UsageError(`library path "${upstream.path}" is not a folder in ${upstream.url} branch ${upstream.branch} (commit ${commit.slice(0, 7)}): fix "library.path" in the config, or add the folder there`);
  }
  const { gitlinks, ...view } = skillsOf(entries, source);
  // A fetch brings the library repository's objects, not its submodules'.
  for (const name of gitlinks.keys()) view.blocked.set(name, { skill: name, path: `${source}/${name}`, message: `library skill ${name} is a git submodule in ${upstream.url}: a library fetched from a URL holds no submodule objects; commit its files into the library instead` });
  return storedLibrary(config, store, validation, { kind: 'url', source, commit }, view);
}
