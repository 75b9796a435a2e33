/**
 * `library upstream forget <skill>...`: stop following an upstream for these
 * skills (one deleted upstream, or taken over by the library): their entries
 * leave the lock, their folders stay as they are, and any review copies in
 * `.upstream-conflicts/<skill>/` are removed.
 */
import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { conflictDir } from './library-folder.js';
import { entryOf, LOCK_FILE, lockPath, readLock, writeLock } from './lock.js';
import { reviewOf, type Review } from './review.js';
import type { UpstreamSettings } from './skill-update.js';

export interface ForgetResult extends Review {
  lock: string;
  forgotten: { skill: string; url: string }[];
}

export function forgetSkills(settings: Pick<UpstreamSettings, 'libraryDir'>, names: string[]): ForgetResult {
  const lock = readLock(settings.libraryDir);
  const file = lockPath(settings.libraryDir);
  const unknown = names.filter((n) => !entryOf(lock, n));
  if (unknown.length > 0) {
    const known = lock.upstreams.flatMap((e) => Object.keys(e.skills)).sort();
    throw new UsageError(`${unknown.join(', ')}: not vendored in ${file}; vendored skills are ${known.join(', ') || '(none)'}`);
  }
  const forgotten = [...new Set(names)].map((skill) => {
    const entry = entryOf(lock, skill)!;
    delete entry.skills[skill];
    return { skill, url: entry.url };
  });
  writeLock(settings.libraryDir, lock);
  for (const { skill } of forgotten) fs.rmSync(conflictDir(settings.libraryDir, skill), { recursive: true, force: true });
  const review = reviewOf(settings.libraryDir, [LOCK_FILE], { subject: `upstream: stop following ${forgotten.map((f) => f.skill).join(', ')}`, body: forgotten.map((f) => `${f.skill} was vendored from ${f.url}`) });
  return { lock: file, forgotten, ...review };
}
