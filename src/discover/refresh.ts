/**
 * The index step after `library sync --fix` (a failure is reported, never
 * undoes the sync), and the check every search makes first, so that no
 * command that moves a ref (rollback, push, doctor --repair, a receiving
 * store's push) can leave `discover` answering from an old tree.
 */
import type { IndexPolicy } from '../policy.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { recordRunProblem } from '../run-state.js';
import type { Store } from '../store/store.js';
import { buildIndex, rebuildIndex, type RebuildResult } from './build.js';
import { loadIndex, serializeIndex, writeIndex, type SkillIndex } from './index-file.js';

export type IndexOutcome = (RebuildResult & { error: null }) | { index: string; error: string };

export function rebuildOptions(ctx: { index: IndexPolicy; log: Logger }) {
  return { file: ctx.index.file, libraryRef: ctx.index.libraryRef, log: ctx.log };
}

export async function refreshIndex(ctx: { index: IndexPolicy; log: Logger }, store: Store): Promise<IndexOutcome> {
  try {
    return { ...(await rebuildIndex(store, rebuildOptions(ctx))), error: null };
  } catch (err) {
    const error = `the sync is done, but the search index was not rebuilt: ${errorMessage(err)}`;
    ctx.log.error({ action: 'index', err }, error);
    recordRunProblem(store, `search index: ${errorMessage(err)}`); // the run's exit code is 1: status --check says so too
    return { index: ctx.index.file, error };
  }
}

export function formatIndexOutcome(o: IndexOutcome): string {
  if (o.error !== null) return `search index: FAILED: ${o.error}`;
  const what = `${o.skills} skill version${o.skills === 1 ? '' : 's'}, ${o.read.length} read`;
  const skipped = o.skipped.length ? `; left out (unreadable, see \`library doctor\`): ${o.skipped.join('; ')}` : '';
  return `${o.written ? `search index: ${what}; wrote ${o.index}` : `search index: up to date (${what})`}${skipped}`;
}

/**
 * The index for a search: checked against the store's refs (a few small
 * reads) and, when any moved, updated incrementally (only versions it has
 * never seen are read) and written back. Without the lock, so a search never
 * makes a sync wait: the file is replaced atomically, and records the refs it
 * was built from, so a write that lost a race is simply updated again by the
 * next search. An index that cannot be written is still used, with a warning.
 */
export async function currentIndex(ctx: { index: IndexPolicy; log: Logger }, store: Store | null): Promise<SkillIndex> {
  if (!store) return loadIndex(ctx.index.file);
  const { result, index, previousText } = await buildIndex(store, { ...rebuildOptions(ctx), write: false });
  if (previousText !== undefined) {
    try {
      writeIndex(result.index, serializeIndex(index), previousText);
    } catch (err) {
      ctx.log.warn({ action: 'index', err }, `search index: answering from the store; ${errorMessage(err)}`);
    }
  }
  return index;
}
