/**
 * Test-only fault injection, driven by environment variables and inert
 * without them. The fault suite (test/faults/) uses it to SIGKILL a run at a
 * chosen write, or to make writes fail as a full disk would.
 *
 *   LIBRARY_SYNC_TEST_KILL_AT=N          SIGKILL this process at the Nth checkpoint
 *   LIBRARY_SYNC_TEST_KILL_AT_LABEL=L    SIGKILL it at the first checkpoint labelled L (its index varies as writes overlap)
 *   LIBRARY_SYNC_TEST_STOP_AT=N          SIGSTOP it there (a test then signals it, and sends SIGCONT)
 *   LIBRARY_SYNC_TEST_CHECKPOINTS=FILE   append "N label" per checkpoint (to count them)
 *   LIBRARY_SYNC_TEST_FAIL_WRITE_AFTER=N the (N+1)th skill file write fails
 *   LIBRARY_SYNC_TEST_FAIL_WRITE_PATH=S  skill file writes under a path containing S fail
 *   LIBRARY_SYNC_TEST_FAIL_WRITE_CODE=E  the errno of those failures (default ENOSPC)
 *   LIBRARY_SYNC_TEST_PRELOAD_ALL=1      wait for the stat preload worker to stat every company (src/scan/preload.ts)
 */
import fs from 'node:fs';

const env = process.env;
const killAt = Number(env.LIBRARY_SYNC_TEST_KILL_AT ?? 0);
const stopAt = Number(env.LIBRARY_SYNC_TEST_STOP_AT ?? 0);
const killAtLabel = env.LIBRARY_SYNC_TEST_KILL_AT_LABEL;
const checkpointLog = env.LIBRARY_SYNC_TEST_CHECKPOINTS;
const active = killAt > 0 || stopAt > 0 || checkpointLog !== undefined || killAtLabel !== undefined;
let checkpoints = 0;

/** A point where a crash must leave everything recoverable. */
export function checkpoint(label: string): void {
  if (!active) return;
  checkpoints++;
  if (checkpointLog) fs.appendFileSync(checkpointLog, `${checkpoints} ${label}\n`);
  if (checkpoints === killAt || label === killAtLabel) process.kill(process.pid, 'SIGKILL');
  if (checkpoints === stopAt) process.kill(process.pid, 'SIGSTOP');
}

const writeFault = {
  after: env.LIBRARY_SYNC_TEST_FAIL_WRITE_AFTER ? Number(env.LIBRARY_SYNC_TEST_FAIL_WRITE_AFTER) : -1,
  pathIncludes: env.LIBRARY_SYNC_TEST_FAIL_WRITE_PATH,
  code: env.LIBRARY_SYNC_TEST_FAIL_WRITE_CODE ?? 'ENOSPC',
  written: 0,
};

/** Called before each file written into a company folder. */
export function injectWriteFault(target: string): void {
  const byCount = writeFault.after >= 0 && writeFault.written++ >= writeFault.after;
  const byPath = writeFault.pathIncludes !== undefined && target.includes(writeFault.pathIncludes);
  if (byCount || byPath) {
    const err = new Error(`${writeFault.code}: injected failure, write '${target}'`) as NodeJS.ErrnoException;
    err.code = writeFault.code;
    throw err;
  }
}
