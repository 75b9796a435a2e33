/**
 * The lock folder and its owner appear and vanish as one. A run that is
 * SIGKILLed at any instant leaves either no `sync.lock`, or one whose
 * `owner.json` names the process that held it (which the next run sees is
 * gone, and takes over at once). So the owner is written into a temp folder
 * that is then renamed into place, and a lock is renamed away before it is
 * deleted. proper-lockfile keeps doing the rest (heartbeat, staleness): these
 * are the `mkdir` and `rmdir` it is given.
 */
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { checkpoint } from './util/faults.js';

export const OWNER_FILE = 'owner.json';

/** A lock folder with no owner file (an older version's lock, or one made by hand) is taken over once this old. */
export const OWNERLESS_GRACE_MS = 2_000;

/** How a run's warning, `status --check` and `doctor` all name a lock folder without an owner file. */
export function ownerlessLockMessage(lock: string, ageMs: number): string {
  return `the store lock ${lock} has no owner file (left by an older version, or made by hand; last touched ${Math.round(ageMs / 1000)}s ago)`;
}

/** Is `pid` a running process on this machine? (EPERM: it is, under another user.) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const besideName = (lock: string, kind: 'new' | 'gone') => `${lock}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`;
const codeOf = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Create `lock` with `owner` inside, all at once; EEXIST when a lock is there. */
export function createLockFolder(lock: string, owner: string): void {
  const tmp = besideName(lock, 'new');
  fs.mkdirSync(tmp);
  try {
    checkpoint('lock: temp folder made');
    fs.writeFileSync(path.join(tmp, OWNER_FILE), owner, { flag: 'wx' });
    checkpoint('lock: owner written in the temp folder');
    // rename() replaces an empty folder: an older version's lock (its owner file is beside it) must not be.
    // Only such a folder, made in the instant between this check and the rename, could still be replaced.
    if (fs.existsSync(lock)) throw Object.assign(new Error(`${lock} exists`), { code: 'EEXIST' });
    fs.renameSync(tmp, lock);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // A folder holding an owner is never replaced: rename fails with ENOTEMPTY (Linux) or EEXIST.
    if (codeOf(err) === 'ENOTEMPTY') throw Object.assign(new Error(`${lock} exists`), { code: 'EEXIST' });
    throw err;
  }
  checkpoint('lock: renamed into place');
}

/**
 * Move the lock out of the way in one step, so no run ever sees it half
 * deleted (an empty folder would be a lock without an owner). Returns where
 * it went, or null when it was already gone. The caller deletes it.
 */
export function claimLockFolder(lock: string): string | null {
  const gone = besideName(lock, 'gone');
  try {
    fs.renameSync(lock, gone);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return null;
    throw err;
  }
  checkpoint('lock: renamed away');
  return gone;
}

/** Give the lock up (proper-lockfile's rmdir: release, a stale lock's removal, process exit). */
export function removeLockFolder(lock: string): void {
  const gone = claimLockFolder(lock);
  if (gone) fs.rmSync(gone, { recursive: true, force: true });
}

/**
 * What a run holding the lock clears: the temp and claimed folders of runs
 * killed while taking or giving up a lock, and the owner file older versions
 * wrote beside the folder (the lock is ours, so whoever it names is gone).
 */
export function removeLockLeftovers(lock: string, legacyOwner: string): void {
  const dir = path.dirname(lock);
  const leftover = new RegExp(`^${path.basename(lock).replace(/\./g, '\\.')}\\.(new|gone)-(\\d+)-[0-9a-f]+$`);
  for (const name of fs.readdirSync(dir)) {
    const m = leftover.exec(name);
    // A live run's temp folder is left to it: its rename fails while this run holds the lock, and it removes it.
    if (m && !(m[1] === 'new' && Number(m[2]) !== process.pid && processAlive(Number(m[2])))) {
      fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    }
  }
  fs.rmSync(legacyOwner, { force: true });
}

/** proper-lockfile's `fs` option: node's fs, with the lock folder made and removed as above. */
export function lockFolderFs(owner: () => string): typeof fs {
  const withCallback = (fn: (p: string) => void) => (p: string, cb: (err: Error | null) => void) => {
    let error: Error | null = null;
    try {
      fn(p);
    } catch (err) {
      error = err as Error;
    }
    cb(error);
  };
  const mkdir = withCallback((p) => createLockFolder(p, owner()));
  return { ...fs, mkdir, rmdir: withCallback(removeLockFolder), rmdirSync: removeLockFolder } as unknown as typeof fs;
}
