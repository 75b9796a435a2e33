/**
 * Typed errors, all from one base. Each carries a stable `code` (tests and
 * embedders assert it) and the failure it stands for; src/exit-codes.ts maps
 * failures to exit statuses, and only src/cli/ ends a process.
 */
import { EXIT_STATUS, type Failure } from './exit-codes.js';

export class LibrarySyncError extends Error {
  readonly code: string = 'EINTERNAL';
  readonly failure: Failure = 'internal';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  get exitCode(): number {
    return EXIT_STATUS[this.failure];
  }
}

/** Bad command line, bad config, unknown company/skill: exit 2, nothing written. */
export class UsageError extends LibrarySyncError {
  override readonly code: string = 'EUSAGE';
  override readonly failure: Failure = 'usage';
}

export class ConfigError extends UsageError {
  override readonly code = 'ECONFIG';
}

/** Another process holds the store's lock: exit 75 (EX_TEMPFAIL). */
export class LockedError extends LibrarySyncError {
  override readonly code = 'ELOCKED';
  override readonly failure = 'locked';
}

/**
 * This run no longer holds the store's lock (it was frozen, e.g. by a laptop
 * sleeping, and another run took the lock over): it stops without writing. Exit 75.
 */
export class LockLostError extends LibrarySyncError {
  override readonly code = 'ELOCKLOST';
  override readonly failure = 'lock-lost';
}

/** A ref moved under a compare-and-swap update: another run wrote it. Nothing was overwritten. */
export class RefMovedError extends LibrarySyncError {
  override readonly code = 'EREFMOVED';
  override readonly failure = 'lock-lost';
}

/** Errors that must stop the whole run, not just one company or skill. */
export function isRunFatal(err: unknown): boolean {
  return err instanceof LockLostError || err instanceof RefMovedError;
}

/** A remote could not be reached, timed out, refused the token or the push: exit 3. */
export class RemoteError extends LibrarySyncError {
  override readonly code = 'EREMOTE';
  override readonly failure = 'unreachable';
}

/** A remote ref is not an ancestor of ours (someone else wrote it): exit 4. */
export class RemoteDivergedError extends LibrarySyncError {
  override readonly code = 'EDIVERGED';
  override readonly failure = 'diverged';
}

/** forge-sync sent every ref it could read; some refs' history is damaged here (`doctor --repair`): exit 1. */
export class DamagedRefsError extends LibrarySyncError {
  override readonly code = 'EDAMAGEDREFS';
  override readonly failure = 'incomplete';
}

/** The store is missing objects or refs it needs. */
export class StoreError extends LibrarySyncError {
  override readonly code = 'ESTORE';
}

/** A hostile or unusable path: a symlink where a folder must be, an escape, a bad name. */
export class UnsafePathError extends LibrarySyncError {
  override readonly code = 'EUNSAFE';
}

/** An operation stopped because it was asked to (a signal, through an AbortSignal): what it wrote was removed. */
export class InterruptedError extends LibrarySyncError {
  override readonly code = 'EINTERRUPTED';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
