/**
 * One writer per store: launchd, a hook and a person may all start a run.
 * proper-lockfile does the locking (an mkdir lock with an mtime heartbeat);
 * we add an owner file so a waiting run can say who holds the lock, and take
 * over at once when that owner's process is gone (SIGKILL, crash). The owner
 * file is inside the lock folder, which appears and vanishes whole
 * (src/lock-folder.ts): no kill leaves a lock without an owner.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError, LockLostError } from './errors.js';
import type { Store } from './store/store.js';
import { listAllRefs } from './store/verify.js';
import { readJsonIfExists } from './util/atomic.js';
import type { Logger } from './log.js';
import { lazyRequire } from './util/lazy-require.js';
import { claimLockFolder, lockFolderFs, OWNER_FILE, OWNERLESS_GRACE_MS, ownerlessLockMessage, processAlive, removeLockLeftovers } from './lock-folder.js';

// Loaded by the commands that take the lock only: `status` and `--help` skip it and graceful-fs, signal-exit and assert.
const lockfile = lazyRequire<typeof import('proper-lockfile')>('proper-lockfile');

export { processAlive };

interface Owner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** Default for config `lock.staleSeconds`: a holder that stopped refreshing for this long is taken over. */
export const STALE_MS = 30_000;

/** `legacyOwner`: where versions before the owner moved into the lock folder wrote it (read, so they are not taken over while alive). */
export function lockPaths(store: Store): { target: string; lock: string; owner: string; legacyOwner: string } {
  const target = path.join(store.dataDir, 'sync');
  return { target, lock: `${target}.lock`, owner: path.join(`${target}.lock`, OWNER_FILE), legacyOwner: `${target}.lock.owner.json` };
}

export function readLockOwner(store: Store): (Owner & { alive: boolean }) | null {
  const { lock, owner, legacyOwner } = lockPaths(store);
  if (!fs.existsSync(lock)) return null;
  const o = readJsonIfExists<Owner>(owner) ?? readJsonIfExists<Owner>(legacyOwner);
  if (!o) return null;
  return { ...o, alive: o.host !== os.hostname() || processAlive(o.pid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LockHealth {
  held: boolean;
  /** Held by a process that is gone, not refreshed for STALE_MS, or without an owner for OWNERLESS_GRACE_MS: the next run takes it over. */
  stale: boolean;
  owner: (Owner & { alive: boolean }) | null;
  lockPath: string;
  /** Since the holder last refreshed it. */
  ageMs: number | null;
}

/** For `status --check` and `doctor`: is the lock held, and by a live process? */
export function lockHealth(store: Store, now = Date.now()): LockHealth {
  const { lock } = lockPaths(store);
  let mtimeMs: number | null = null;
  try {
    mtimeMs = fs.statSync(lock).mtimeMs;
  } catch {
    return { held: false, stale: false, owner: null, lockPath: lock, ageMs: null };
  }
  const owner = readLockOwner(store);
  const ageMs = Math.max(0, now - mtimeMs);
  const stale = owner ? !owner.alive || ageMs > STALE_MS : ageMs > OWNERLESS_GRACE_MS;
  return { held: true, stale, owner, lockPath: lock, ageMs };
}

/**
 * Test hook: with LIBRARY_SYNC_TEST_HOLD_LOCK=<file>, a run that holds the lock
 * writes <file> and waits until it is deleted, so tests can meet a held lock
 * without racing the clock.
 */
async function holdForTest(): Promise<void> {
  const file = process.env.LIBRARY_SYNC_TEST_HOLD_LOCK;
  if (!file) return;
  fs.writeFileSync(file, String(process.pid));
  while (fs.existsSync(file)) await sleep(20);
}

/**
 * The lock as a fencing token. The owner file this run wrote is its token:
 * a run that takes the lock over renames that file away or writes its own
 * (another inode, another mtime). Checked before every folder write, ref
 * update and commit: one lstat, so it costs nothing next to the write.
 */
export class Fence {
  private lost: string | null = null;
  private token: { ino: number; mtimeMs: number; ctimeMs: number } | null = null;

  constructor(
    private readonly ownerFile: string,
    private readonly storeDir: string,
  ) {}

  /** Remember the owner file just written as this run's token. */
  arm(): void {
    const st = fs.lstatSync(this.ownerFile);
    this.token = { ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  }

  /** proper-lockfile saw the lock's heartbeat taken over. */
  compromised(reason: string): void {
    this.lost ??= reason;
  }

  /**
   * The run is over: any write still in flight after it (a company task that
   * had not reached its next check when another failed) is refused, as for a
   * lost lock. The fence is never simply removed.
   */
  release(): void {
    this.lost ??= 'this run had already ended and given the lock back';
  }

  get held(): boolean {
    if (this.lost || !this.token) return false;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(this.ownerFile);
    } catch {
      this.lost = 'its owner file is gone';
      return false;
    }
    if (st.ino !== this.token.ino || st.mtimeMs !== this.token.mtimeMs || st.ctimeMs !== this.token.ctimeMs) {
      const o = readJsonIfExists<Owner>(this.ownerFile);
      this.lost = o ? `pid ${o.pid} on ${o.host} (${o.command}) took it at ${o.startedAt}` : 'another run took it';
      return false;
    }
    return true;
  }

  /** Throws LockLostError (exit 75) once this run no longer holds the lock. */
  check(): void {
    if (!this.held) {
      throw new LockLostError(`lock on store ${this.storeDir} was lost (${this.lost}): this run stopped without writing more; the run that holds the lock now carries on`);
    }
  }
}

/**
 * Take a lock whose holder is gone (or that has no owner) out of the way.
 * Of several runs doing this at once only one renames it away; one that
 * renamed a lock a faster run had just taken (its owner alive) puts it back.
 */
function takeOver(lock: string): void {
  const gone = claimLockFolder(lock);
  if (!gone) return; // another run took it away first
  const o = readJsonIfExists<Owner>(path.join(gone, OWNER_FILE));
  if (o && (o.host !== os.hostname() || processAlive(o.pid))) {
    try {
      fs.renameSync(gone, lock);
      return;
    } catch {
      // A third run's lock is there now: the one we moved is lost, and its run stops at its fence.
    }
  }
  fs.rmSync(gone, { recursive: true, force: true });
}

/** Run `fn` holding the store's lock; wait up to `waitSeconds`, then throw LockedError (exit 75). */
export async function withLock<T>(
  store: Store,
  opts: { waitSeconds: number; command: string; log?: Logger; staleMs?: number },
  fn: () => Promise<T>,
): Promise<T> {
  const { target, lock, owner, legacyOwner } = lockPaths(store);
  fs.mkdirSync(store.dataDir, { recursive: true });
  if (!fs.existsSync(target)) fs.writeFileSync(target, '');
  const deadline = Date.now() + opts.waitSeconds * 1000;
  const fence = new Fence(owner, store.gitdir);
  const ownerJson = () => JSON.stringify({ pid: process.pid, host: os.hostname(), command: opts.command, startedAt: new Date().toISOString() } satisfies Owner);
  let release: (() => Promise<void>) | undefined;
  for (;;) {
    try {
      release = await lockfile().lock(target, {
        lockfilePath: lock,
        stale: opts.staleMs ?? STALE_MS,
        realpath: false,
        fs: lockFolderFs(ownerJson),
        // Another process took the lock (we were frozen past STALE_MS): the fence stops the next write.
        onCompromised: (err) => fence.compromised(err.message),
      });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
      const holder = readLockOwner(store);
      if (!holder) {
        const since = fs.statSync(lock, { throwIfNoEntry: false });
        if (!since) continue; // released while we looked: try again
        const ageMs = Date.now() - since.mtimeMs;
        // Only an older version (between its folder and its owner file) or a person makes one: give it a moment.
        if (ageMs < OWNERLESS_GRACE_MS) {
          await sleep(100);
          continue;
        }
        opts.log?.warn({ action: 'lock-takeover', lock }, `${ownerlessLockMessage(lock, ageMs)}: taking it over`);
        takeOver(lock);
        continue;
      }
      // The holder was killed: its lock is ours to take, no need to wait for staleness.
      if (!holder.alive) {
        takeOver(lock);
        continue;
      }
      if (Date.now() >= deadline) {
        const who = `pid ${holder.pid} on ${holder.host} (${holder.command}) since ${holder.startedAt}`;
        throw new LockedError(`store ${store.gitdir} is locked by ${who}: try again later or pass --wait SECONDS`);
      }
      await sleep(250);
    }
  }
  fence.arm(); // the owner file came with the lock folder
  removeLockLeftovers(lock, legacyOwner);
  store.clearTmp(); // a killed writer's temp files are ours to remove now
  store.fence = fence;
  opts.log?.debug({ action: 'lock', command: opts.command }, 'lock acquired');
  try {
    await holdForTest();
    return await fn();
  } finally {
    const held = fence.held;
    fence.release(); // stays on the store: stragglers of this run hit it
    if (held) {
      opts.log?.debug({ action: 'unlock', command: opts.command }, 'lock released');
      await release();
    } else {
      // The lock and its owner file are another run's now: removing them would break its fence.
      opts.log?.warn({ action: 'lock-lost', command: opts.command }, `lock on ${store.gitdir} was lost: left to the run that holds it`);
    }
  }
}

/** A live run holds the lock (a stale one writes nothing more until it is taken over). */
const writerHolds = (store: Store) => {
  const h = lockHealth(store);
  return h.held && !h.stale;
};

/** Every ref and its value: a writing run moves at least one after changing any folder. A damaged ref is `doctor`'s to report, not a reason for a read to fail. */
async function refsMark(store: Store): Promise<string> {
  try {
    const refs = await listAllRefs(store);
    const values = await Promise.all(refs.map((r) => store.readRef(r).catch(() => 'unreadable')));
    return refs.map((r, i) => `${r} ${values[i]}`).join('\n');
  } catch {
    return 'unreadable refs';
  }
}

/**
 * A read made without the lock (`status`, `diff`, `report` run beside the
 * scheduled sync), made as if under it, as a seqlock does: it is made again
 * when a live run held the lock or moved a ref while it read, after waiting
 * for that run to let go. Otherwise a folder a sync wrote after this read its
 * refs would show as the company's own change: an override nobody made. Once
 * `waitMs` has passed (waits and reads together: runs of 1,000 companies must
 * not hold `status` for minutes), the next read stands, and `raced` says
 * whether it was disturbed.
 */
export async function readQuietly<T>(store: Store | null, read: () => Promise<T>, waitMs = 60_000): Promise<{ value: T; raced: boolean }> {
  if (!store) return { value: await read(), raced: false };
  const deadline = Date.now() + waitMs;
  for (;;) {
    while (writerHolds(store) && Date.now() < deadline) await sleep(100);
    const before = await refsMark(store);
    const value = await read();
    if (!writerHolds(store) && (await refsMark(store)) === before) return { value, raced: false };
    if (Date.now() >= deadline) return { value, raced: true };
  }
}
