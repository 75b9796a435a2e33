/**
 * `library upstream list [--check]`: every upstream in the lock and, per
 * vendored skill, how the library's folder stands against the version
 * vendored: unchanged, edited in the library, or a conflict waiting for
 * review in `.upstream-conflicts/<skill>/`. Reads the lock and the library
 * folder only. `--check` also asks each followed upstream for its tip
 * (`git ls-remote`: nothing is fetched, nothing written anywhere) and says
 * which have commits not yet taken; the scheduled job can run it.
 */
import { LibrarySyncError, RemoteError, errorMessage } from '../errors.js';
import type { Failure } from '../exit-codes.js';
import { resolveRef } from './git.js';
import { isPinned, lockPath, readLock, type UpstreamEntry } from './lock.js';
import { pendingConflicts, readLibrarySkill } from './library-folder.js';
import type { UpstreamSettings } from './skill-update.js';

export type ListedState = 'unchanged' | 'edited' | 'conflict' | 'deleted-in-library' | 'unreadable';

export interface ListedSkill {
  name: string;
  from: string;
  commit: string;
  tree: string;
  state: ListedState;
  /** Files waiting for review in `.upstream-conflicts/<skill>/` (state conflict). */
  conflicts: string[];
  removedUpstream: string | null;
}

export interface UpstreamCheck {
  /** The commit the followed ref points at now (null: pinned, or it could not be read). */
  tip: string | null;
  /** It has commits not yet taken. */
  behind: boolean;
  error: string | null;
  failure: Failure | null;
}

export interface ListedUpstream extends Omit<UpstreamEntry, 'skills'> {
  pinned: boolean;
  skills: ListedSkill[];
  check: UpstreamCheck | null;
}

export interface ListResult {
  lock: string;
  upstreams: ListedUpstream[];
}

export async function listUpstreams(settings: UpstreamSettings, opts: { check: boolean }): Promise<ListResult> {
  const lock = readLock(settings.libraryDir);
  const upstreams: ListedUpstream[] = [];
  for (const entry of lock.upstreams) {
    const skills = Object.entries(entry.skills)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, s]): ListedSkill => {
        const lib = readLibrarySkill(settings.libraryDir, name, settings);
        const pending = pendingConflicts(settings.libraryDir, name);
        let state: ListedState;
        if (lib.kind === 'absent') state = 'deleted-in-library';
        else if (lib.kind === 'unreadable') state = 'unreadable';
        else if (pending) state = 'conflict';
        else state = lib.tree.oid === s.tree ? 'unchanged' : 'edited';
        return { name, from: s.from, commit: s.commit, tree: s.tree, state, conflicts: pending ?? [], removedUpstream: s.removedUpstream ?? null };
      });
    const { skills: _, ...rest } = entry;
    upstreams.push({ ...rest, pinned: isPinned(entry), skills, check: opts.check ? await checkUpstream(settings, entry) : null });
  }
  return { lock: lockPath(settings.libraryDir), upstreams };
}

async function checkUpstream(settings: UpstreamSettings, entry: UpstreamEntry): Promise<UpstreamCheck> {
  if (isPinned(entry)) return { tip: null, behind: false, error: null, failure: null };
  try {
    const tip = (await resolveRef(entry.url, entry.ref, settings.timeoutMs)).commit;
    const behind = Object.values(entry.skills).some((s) => s.commit !== tip && s.removedUpstream !== tip);
    return { tip, behind, error: null, failure: null };
  } catch (err) {
    if (!(err instanceof LibrarySyncError)) throw err;
    return { tip: null, behind: false, error: errorMessage(err), failure: err instanceof RemoteError ? 'unreachable' : 'needs-attention' };
  }
}
