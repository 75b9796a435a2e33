/**
 * Moving a ref as `git update-ref REF NEW OLD` does: the new value goes into
 * `<ref>.lock` (created exclusively, git's own convention, so two writers
 * cannot both hold it), the current value is compared with the one expected,
 * and only then is the lock file renamed over the ref. The lock's fence is
 * checked before and after, so a run that lost the store's lock moves nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { RefMovedError } from '../errors.js';
import { checkpoint } from '../util/faults.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fsync = promisify(fs.fsync);

export async function compareAndSwapRef(
  gitdir: string,
  ref: string,
  oid: string,
  expected: string | null,
  readCurrent: () => Promise<string | null>,
  fence: { check(): void } | null,
): Promise<void> {
  fence?.check();
  const file = path.join(gitdir, ref);
  const lock = `${file}.lock`;
  const fd = await openRefLock(lock);
  let renamed = false;
  try {
    try {
      fs.writeSync(fd, `${oid}\n`);
      await fsync(fd); // on libuv's pool: another company's writes go on meanwhile, and the journal commits fsyncs together
    } finally {
      fs.closeSync(fd);
    }
    const current = await readCurrent();
    if (current !== expected) {
      throw new RefMovedError(
        `ref ${ref} in store ${gitdir} moved while this run held it (expected ${expected ?? 'no ref'}, found ${current ?? 'no ref'}): another run wrote it; nothing was overwritten, run again`,
      );
    }
    fence?.check();
    fs.renameSync(lock, file);
    renamed = true;
    checkpoint(`renamed into place: ${path.basename(file)}`);
  } finally {
    if (!renamed) fs.rmSync(lock, { force: true });
  }
}

/**
 * Create `<ref>.lock` exclusively. Native git holds such a lock for
 * milliseconds; one that stays is a leftover of a killed or fenced-out run
 * (this run holds the store's lock, so no live run of ours owns it) and is
 * removed.
 */
async function openRefLock(lock: string): Promise<number> {
  let madeFolder = false;
  for (let waited = 0; ; waited += 50) {
    try {
      return fs.openSync(lock, 'wx', 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !madeFolder) {
        fs.mkdirSync(path.dirname(lock), { recursive: true }); // a ref's first write: most find its folder there
        madeFolder = true;
        continue;
      }
      if (code !== 'EEXIST') throw err;
    }
    if (waited >= 1000) fs.rmSync(lock, { force: true });
    else await sleep(50);
  }
}
