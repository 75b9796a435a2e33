/**
 * Every earlier version of every library skill, so that a company copy made
 * by hand from an old library (before this tool, or a skill that appeared
 * later) is recognised as `behind`, not as a customization: only content that
 * never came from the library is an override.
 *
 * Sources: the library repository's history (git libraries; for a library
 * from a URL, the fetched branch's history in the store), the store's
 * `refs/heads/library` history (what this tool distributed, for any library),
 * and the `library/` part of every snapshot (imported backups included). Each
 * history is walked newest first for at most MAX_COMMITS commits, so a long
 * history costs a bounded, one-time read; trees are compared without their
 * ignored files, as the folders are.
 */
import path from 'node:path';
import fs from 'node:fs';
import type { LibraryPolicy } from '../policy.js';
import { LIBRARY_REF } from '../refs.js';
import type { TreeFilter } from '../scan/filter-tree.js';
import { parseTag } from '../store/objects.js';
import type { ReadonlyStore } from '../store/store.js';
import { findGitDir } from './repo.js';
import { folderAt, repoObjects } from './source.js';

export const MAX_COMMITS = 1000;

export type EarlierVersions = ReadonlyMap<string, ReadonlySet<string>>;

/** Commits reachable from `tip`, newest first (by committer order of discovery), at most MAX_COMMITS. */
async function* walk(store: ReadonlyStore, tip: string | null): AsyncGenerator<{ tree: string }> {
  const seen = new Set<string>();
  const queue = tip ? [tip] : [];
  while (queue.length > 0 && seen.size < MAX_COMMITS) {
    const oid = queue.shift()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    let commit;
    try {
      commit = await store.readCommit(oid);
    } catch {
      continue; // a shallow or damaged history: what can be read still counts
    }
    yield commit;
    queue.push(...commit.parents);
  }
}

export async function earlierLibraryVersions(config: Pick<LibraryPolicy, 'libraryDir' | 'libraryRef' | 'libraryUrl'>, store: ReadonlyStore | null, sourceCommit: string | null, filter: TreeFilter): Promise<EarlierVersions> {
  const versions = new Map<string, Set<string>>();
  const add = async (src: ReadonlyStore, entries: { name: string; mode: string; oid: string }[]) => {
    for (const e of entries) {
      if (e.mode !== '40000') continue;
      const filtered = await filter.filter(src, e.oid, e.name);
      if (!filtered) continue;
      let set = versions.get(e.name);
      if (!set) versions.set(e.name, (set = new Set()));
      set.add(filtered);
    }
  };

  const repo = config.libraryDir ? findGitDir(config.libraryDir) : null;
  if (repo && config.libraryDir) {
    const repoStore = repoObjects(repo);
    const rel = path.relative(repo.workTree, fs.realpathSync(config.libraryDir));
    for await (const c of walk(repoStore, sourceCommit)) await add(repoStore, await folderAt(repoStore, c.tree, rel));
  }
  if (store && config.libraryUrl && sourceCommit) {
    for await (const c of walk(store, sourceCommit)) await add(store, await folderAt(store, c.tree, config.libraryUrl.path));
  }
  if (store) {
    for await (const c of walk(store, await store.readRef(config.libraryRef ?? LIBRARY_REF))) await add(store, await store.readTree(c.tree));
    for (const ref of (await store.listRefs('refs/tags/snapshot/')).slice(-MAX_COMMITS)) {
      try {
        const oid = await store.readRef(ref);
        if (!oid) continue;
        const obj = await store.readObject(oid);
        const commit = await store.readCommit(obj.type === 'tag' ? parseTag(obj.content).object : oid);
        const library = (await store.readTree(commit.tree)).find((e) => e.name === 'library' && e.mode === '40000');
        if (library) await add(store, await store.readTree(library.oid));
      } catch {
        /* a damaged snapshot adds nothing */
      }
    }
  }
  return versions;
}
