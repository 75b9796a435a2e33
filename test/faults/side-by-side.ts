/**
 * Cases that race no clock (a kill at a checkpoint, a damaged store, hostile
 * input), each on a workspace of its own, can run side by side: a case awaits
 * its CLI runs instead of blocking on them, so while one starts node another
 * computes. The timing tests (fencing, concurrent edits, the lock) never do.
 */
import pLimit from 'p-limit';

/** At most `n` cases at a time (vitest would start five); a case's timeout then counts its wait for a turn. */
export const sideBySide = (n: number) => pLimit(n);
export const SIDE_BY_SIDE_TIMEOUT = 300_000;

export { runCli } from '../helpers.js';
