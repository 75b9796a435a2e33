/**
 * The one table from what went wrong to the exit status. The domain reports
 * facts (a company failed, a remote was unreachable, the lock was lost…);
 * nothing else in the code base writes an exit number. SPEC.md, "Exit codes".
 */
export type Failure =
  /** A company, a skill or a snapshot's part could not be done; the rest was. */
  | 'incomplete'
  /** Something needs a person and was skipped: a blocked skill, an invalid name, a health check that failed. */
  | 'needs-attention'
  /** Bad flags, config or names: nothing was written. */
  | 'usage'
  /** A remote could not be reached, or refused the token or the push. */
  | 'unreachable'
  /** A remote's history diverged from ours: a person must decide. */
  | 'diverged'
  /** Another run holds the store's lock. */
  | 'locked'
  /** This run's lock was taken over (it was frozen): it stopped without writing more. */
  | 'lock-lost'
  /** An unexpected error. */
  | 'internal';

export const EXIT_STATUS: Readonly<Record<Failure | 'ok', number>> = {
  ok: 0,
  incomplete: 1,
  'needs-attention': 1,
  internal: 1,
  usage: 2,
  unreachable: 3,
  diverged: 4,
  locked: 75,
  'lock-lost': 75,
};

/** The exit status of a run that met these failures: the gravest one wins (a lock beats a remote beats a company). */
export function exitStatus(failures: Iterable<Failure | null | undefined | false>): number {
  let status = EXIT_STATUS.ok;
  for (const f of failures) if (f) status = Math.max(status, EXIT_STATUS[f]);
  return status;
}

/** The exit status of a run that had `status` and then met `failure` as well (a search index that failed after the sync). */
export function worsened(status: number, failure: Failure): number {
  return Math.max(status, EXIT_STATUS[failure]);
}
