/**
 * `library upstream update [NAME]...`: every vendored skill (or the named
 * ones, or every skill of a named upstream URL) brought to its upstream's
 * newest commit by a three-way merge (src/upstream/skill-update.ts). A
 * followed branch is asked for its tip (`git ls-remote`), and nothing is
 * fetched when every skill is at it already; a pinned entry (tag, commit)
 * stays at its pin: nothing is asked, fetched or merged for it. One unreachable upstream never stops the others, and
 * leaves its skills and its entry in the lock untouched. The lock is written
 * last, once, and only when something in it changed.
 */
import { LibrarySyncError, RemoteError, UsageError, errorMessage, isRunFatal } from '../errors.js';
import type { Failure } from '../exit-codes.js';
import type { Store } from '../store/store.js';
import { resolveRef } from './git.js';
import { isPinned, LOCK_FILE, lockPath, readLock, serializeLock, writeLock, type Lock, type UpstreamEntry } from './lock.js';
import { reviewOf, type Review } from './review.js';
import { UpstreamSession } from './session.js';
import { removedMessage, updateSkill, type SkillOutcome, type SkillReport, type UpstreamSettings } from './skill-update.js';
import { shortUrl } from './url.js';

export interface UpstreamReport {
  url: string;
  path: string;
  ref: string | null;
  refKind: UpstreamEntry['refKind'];
  pinned: boolean;
  /** The entry's commit before the run, and the commit taken (null: the upstream could not be read). */
  from: string;
  to: string | null;
  /** One line naming the URL and the cause, when the upstream failed. */
  error: string | null;
  failure: Failure | null;
  skills: SkillReport[];
}

export interface UpdateResult extends Review {
  dryRun: boolean;
  lock: string;
  /** Whether the lock file was (or, in a dry run, would be) rewritten. */
  lockChanged: boolean;
  upstreams: UpstreamReport[];
}

/** Outcomes that leave work for a person (exit 1). */
export const NEEDS_ATTENTION: readonly SkillOutcome[] = ['invalid', 'unreadable', 'changed-during-run', 'failed'];

/** Which skills of the lock the names select: skill names, or upstream URLs (all their skills). */
export function selectSkills(lock: Lock, names: string[], file: string): Set<string> {
  const all = lock.upstreams.flatMap((e) => Object.keys(e.skills));
  if (names.length === 0) return new Set(all);
  const out = new Set<string>();
  for (const n of names) {
    const byUrl = lock.upstreams.filter((e) => e.url === n || shortUrl(e.url) === shortUrl(n));
    if (all.includes(n)) out.add(n);
    else if (byUrl.length > 0) byUrl.forEach((e) => Object.keys(e.skills).forEach((s) => out.add(s)));
    else throw new UsageError(`${JSON.stringify(n)} is not a vendored skill or an upstream URL in ${file}: vendored skills are ${all.sort().join(', ') || '(none)'}`);
  }
  return out;
}

export async function updateUpstreams(settings: UpstreamSettings, store: Store, opts: { names: string[]; dryRun: boolean }): Promise<UpdateResult> {
  const file = lockPath(settings.libraryDir);
  const lock = readLock(settings.libraryDir);
  if (lock.upstreams.length === 0) throw new UsageError(`no upstreams in ${file}: vendor skills first with \`library upstream add <url>\``);
  const selected = selectSkills(lock, opts.names, file);
  const session = new UpstreamSession(settings, store, opts.dryRun);
  const next: Lock = structuredClone(lock);
  const reports: UpstreamReport[] = [];

  for (const [i, entry] of lock.upstreams.entries()) {
    const names = Object.keys(entry.skills).filter((n) => selected.has(n)).sort();
    if (names.length === 0) continue;
    const report: UpstreamReport = { url: entry.url, path: entry.path, ref: entry.ref, refKind: entry.refKind, pinned: isPinned(entry), from: entry.commit, to: null, error: null, failure: null, skills: [] };
    reports.push(report);
    if (isPinned(entry)) {
      // A pin stays where it is: nothing is asked, fetched or merged (`add --ref` moves it).
      report.to = entry.commit;
      for (const name of names) report.skills.push({ ...unchanged(name, entry.skills[name].from, entry.skills[name].commit), outcome: 'up-to-date' });
      continue;
    }
    try {
      const io = await session.io(entry.url);
      const tip = await resolveRef(entry.url, entry.ref, settings.timeoutMs);
      const target = names.every((n) => atCommit(entry, n, tip.commit)) ? tip.commit : await io.cache.fetchRef(tip);
      report.to = target;
      for (const name of names) {
        const old = entry.skills[name];
        if (atCommit(entry, name, target)) {
          const message = old.removedUpstream ? removedMessage(entry.url, entry.path, old.from, name, target) : null;
          report.skills.push({ ...unchanged(name, old.from, target), outcome: old.removedUpstream ? 'removed-upstream' : 'up-to-date', message });
          continue;
        }
        try {
          const done = await updateSkill(io, name, entry.path, old, target);
          report.skills.push(done.report);
          next.upstreams[i].skills[name] = done.next;
        } catch (err) {
          if (isRunFatal(err) || err instanceof RemoteError) throw err;
          report.skills.push({ ...unchanged(name, old.from, target), outcome: 'failed', message: errorMessage(err) });
        }
      }
      next.upstreams[i].commit = target;
    } catch (err) {
      if (isRunFatal(err) || !(err instanceof LibrarySyncError)) throw err;
      report.error = errorMessage(err);
      report.failure = err instanceof RemoteError ? 'unreachable' : 'needs-attention';
    }
  }

  const lockChanged = serializeLock(next) !== serializeLock(lock);
  if (lockChanged && !opts.dryRun) writeLock(settings.libraryDir, next);
  const written = reports.flatMap((r) => r.skills.filter((s) => ['updated', 'merged', 'conflict'].includes(s.outcome)).map((s) => s.skill));
  const review = reviewOf(settings.libraryDir, [...written, ...(lockChanged ? [LOCK_FILE] : [])], commitMessage(reports));
  return { dryRun: opts.dryRun, lock: file, lockChanged, upstreams: reports, ...review };
}

const unchanged = (skill: string, from: string, commit: string): Omit<SkillReport, 'outcome'> => ({ skill, from, commit, tree: null, fromUpstream: [], lineMerged: [], conflicts: [], findings: [], message: null });

/** A skill already at `commit` (or found deleted there): nothing to fetch or merge for it. */
function atCommit(entry: UpstreamEntry, name: string, commit: string): boolean {
  const s = entry.skills[name];
  return s.commit === commit || s.removedUpstream === commit;
}

function commitMessage(reports: UpstreamReport[]): { subject: string; body: string[] } {
  const moved = reports.filter((r) => (r.to !== null && r.to !== r.from) || r.skills.some((s) => ['updated', 'merged', 'conflict'].includes(s.outcome)));
  const skills = moved.flatMap((r) => r.skills.filter((s) => ['updated', 'merged', 'conflict'].includes(s.outcome)).map((s) => s.skill));
  const from = moved.length === 1 ? ` from ${shortUrl(moved[0].url)}` : moved.length > 1 ? ` from ${moved.length} upstreams` : '';
  const subject = skills.length > 0 ? `upstream: update ${skills.join(', ')}${from}` : `upstream: move the lock${from}`;
  const body = moved.map((r) => {
    const what = r.skills.filter((s) => s.outcome !== 'up-to-date').map((s) => `${s.skill} ${s.outcome}`);
    return `${r.url}${r.path ? ` ${r.path}` : ''} ${r.ref ?? '(default branch)'}: ${r.from.slice(0, 7)}..${r.to?.slice(0, 7)}${what.length ? ` (${what.join(', ')})` : ''}`;
  });
  return { subject, body };
}
