/** Names and wording of the store's history: refs, signatures, commit summaries. */
import type { Signature } from './store/objects.js';
import type { Store } from './store/store.js';

export const LIBRARY_REF = 'refs/heads/library';
export const companyRef = (name: string) => `refs/heads/companies/${name}`;
export const baseRef = (name: string) => `refs/bases/${name}`;

/**
 * A blob in a base tree listing skills a file-level merge emptied (each side
 * deleted what the other kept). Such a skill is held by the company as git's
 * empty tree (EMPTY_TREE_OID), not deleted by it, so files the library adds later still arrive.
 */
export const EMPTIED_MARKER = '.emptied-by-merge';

export function signature(now = Date.now()): Signature {
  return { name: 'library-sync', email: 'library-sync@localhost', timestamp: Math.floor(now / 1000) };
}

/**
 * The one step that adds history: write a commit of `tree` and move `ref` to
 * it from `expected` (null: the ref must not exist yet), fenced by the lock
 * and compare-and-swap, as `git commit` + `git update-ref REF NEW OLD`. If the
 * ref cannot move, the commit is deleted again: no dangling history. Parents
 * default to the ref's current commit.
 */
export async function recordCommit(store: Store, ref: string, expected: string | null, commit: { tree: string; message: string; parents?: string[] }): Promise<string> {
  const oid = store.writeCommit({ tree: commit.tree, parents: commit.parents ?? (expected ? [expected] : []), author: signature(), message: commit.message });
  await store.updateRef(ref, oid, expected);
  return oid;
}

/** "added a, b; changed c; removed d", comparing two skill → tree-id maps. */
export function describeSkillChanges(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  words: { added: string; changed: string; removed: string },
): string {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  // Subjects stay readable in `git log --oneline` even for a 200-skill first sync.
  const list = (xs: string[]) => (xs.length <= 8 ? xs.join(', ') : `${xs.length} skills (${xs.slice(0, 5).join(', ')}, …)`);
  return [
    added.length ? `${words.added} ${list(added)}` : '',
    changed.length ? `${words.changed} ${list(changed)}` : '',
    removed.length ? `${words.removed} ${list(removed)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
