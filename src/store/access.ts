/** Whether this user may read or write the store, said as one line naming the folder and the permission it needs. */
import fs from 'node:fs';
import os from 'node:os';
import { UsageError } from '../errors.js';

/** The store (or its folder) cannot be read or written by this user: exit 2, with the permission it needs. */
export class StoreAccessError extends UsageError {
  override readonly code = 'EACCESS';
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}; ${fix}`);
  }
}

function userName(): string {
  try {
    return `user ${os.userInfo().username} (uid ${process.getuid?.() ?? '?'})`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** Throw a StoreAccessError naming `dir` and what it lacks; a missing `dir` is left to the caller. */
export function checkAccess(dir: string, mode: number, what: 'read' | 'write' | 'create', store = dir): void {
  try {
    fs.accessSync(dir, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'EROFS') {
      throw new StoreAccessError(`store ${store} cannot be written: ${dir} is on a read-only file system`, 'remount it read-write, or point "store" in the config at a writable folder');
    }
    let owner = '';
    try {
      const st = fs.statSync(dir);
      owner = ` (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
    } catch {
      /* a parent folder hides it */
    }
    const needs = what === 'read' ? 'read and search (r-x)' : 'write and search (-wx)';
    const verb = what === 'create' ? `cannot be created by ${userName()}` : `cannot be ${what === 'read' ? 'read' : 'written'} by ${userName()}`;
    throw new StoreAccessError(`store ${store} ${verb}: ${dir}${owner} needs ${needs} permission for that user`, `run library as the store's owner, or give that user access (e.g. \`chown -R\` the store to it)`);
  }
}

