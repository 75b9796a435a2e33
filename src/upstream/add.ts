/**
 * `library upstream add <url> [--path DIR] [--skill NAME]... [--ref REF] [--as NAME]`:
 * vendor skills of a public (or private: it is the system's git) repository
 * into the library folder, and record each in the lock. Everything is
 * checked before anything is written: the ref and folder exist upstream,
 * each name is free in the library (`--as` renames), and each skill passes
 * the library's validation (one that fails is reported and not written; the
 * others are). A skill already vendored from the same folder of the same
 * repository at another ref is moved to the new ref by the update's merge.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, isRunFatal, RemoteError, UsageError } from '../errors.js';
import { isValidName } from '../names.js';
import type { Store } from '../store/store.js';
import { upstreamName } from './cache.js';
import { resolveRef, type RefKind } from './git.js';
import { entryOf, LOCK_FILE, lockPath, readLock, sameSource, serializeLock, writeLock, type Lock, type UpstreamEntry } from './lock.js';
import { reviewOf, type Review } from './review.js';
import { UpstreamSession } from './session.js';
import { checkVersion, describeFindings, updateSkill, type SkillReport, type UpstreamSettings } from './skill-update.js';
import { shortUrl } from './url.js';

export interface AddRequest {
  url: string;
  /** The folder of the repository holding the skills; null: `skills` when there is one, else the root. */
  path: string | null;
  skills: string[];
  ref: string | null;
  as: string | null;
  dryRun: boolean;
}

export interface AddResult extends Review {
  dryRun: boolean;
  url: string;
  path: string;
  ref: string | null;
  refKind: RefKind;
  commit: string;
  lock: string;
  /** Whether the lock file was (or, in a dry run, would be) rewritten. */
  lockChanged: boolean;
  skills: SkillReport[];
}

/** A folder path inside a repository, '/'-separated, with no leading or trailing '/'; never climbing. */
function repoPath(p: string): string {
  const clean = p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (clean.includes('..')) throw new UsageError(`--path ${JSON.stringify(p)}: a folder inside the repository cannot contain ".."`);
  return clean.join('/');
}

interface Candidate {
  from: string;
  name: string;
}

export async function addUpstream(settings: UpstreamSettings, store: Store, req: AddRequest): Promise<AddResult> {
  const lock = readLock(settings.libraryDir);
  const resolved = await resolveRef(req.url, req.ref, settings.timeoutMs);
  const session = new UpstreamSession(settings, store, req.dryRun);
  const io = await session.io(req.url);
  const commit = await io.cache.fetchRef(resolved);
  const at = `${req.url} at ${commit.slice(0, 7)}`;

  // Where the skills are: --path, else "skills" (the anthropics/skills layout) when there is such a folder, else the root.
  const dir = req.path === null ? ((await io.cache.treeAt(commit, 'skills')) ? 'skills' : '') : repoPath(req.path);
  const folders = await io.cache.skillFolders(commit, dir);
  if (!folders) throw new UsageError(`upstream ${at}: there is no folder ${JSON.stringify(dir)}; pass --path with the folder that holds the skills`);
  const oneSkill = ((await io.cache.folder(commit, dir)) ?? []).some((e) => e.name === 'SKILL.md' && e.mode !== '40000');
  let candidates: Candidate[];
  if (oneSkill) {
    // The folder is itself a skill (a single-skill repository, or --path skills/pdf).
    const own = upstreamName(req.url, dir, '');
    if (req.skills.length > 0 && (req.skills.length > 1 || req.skills[0] !== own)) {
      throw new UsageError(`upstream ${at}: ${dir || 'the repository root'} is itself the skill ${own}: drop --skill, or point --path at the folder holding the skills`);
    }
    candidates = [{ from: '', name: req.as ?? own }];
  } else {
    const skills = folders.filter((f) => f.isSkill).map((f) => f.name);
    const wanted = req.skills.length > 0 ? [...new Set(req.skills)] : skills;
    const missing = wanted.filter((n) => !folders.some((f) => f.name === n));
    if (wanted.length === 0 || missing.length > 0) {
      const what = missing.length > 0 ? `no skill ${missing.map((m) => JSON.stringify(m)).join(', ')} in ${dir || 'the root'}` : `no skill (a folder with SKILL.md) in ${dir || 'the root'}`;
      throw new UsageError(`upstream ${at}: ${what}; skills there: ${skills.join(', ') || '(none)'}${dir ? '' : ' (pass --path with the folder that holds the skills)'}`);
    }
    if (req.as !== null && wanted.length !== 1) throw new UsageError(`--as renames one skill: name it with --skill (${wanted.length} skills would be vendored)`);
    candidates = wanted.map((from) => ({ from, name: req.as ?? from }));
  }

  // Refuse before writing anything: a name taken in the library, or the very same source already vendored.
  const refusals: string[] = [];
  const moves = new Map<string, UpstreamEntry>();
  for (const c of candidates) {
    if (!isValidName(c.name)) continue; // reported by validation below
    const owner = entryOf(lock, c.name);
    if (owner && owner.url === req.url && owner.path === dir && owner.skills[c.name].from === c.from) {
      if (owner.ref === req.ref) refusals.push(`${c.name} is already vendored from ${req.url} at ${req.ref ?? 'its default branch'}: \`library upstream update ${c.name}\` takes newer commits`);
      else moves.set(c.name, owner);
    } else if (owner || fs.existsSync(path.join(settings.libraryDir, c.name)) || isLink(path.join(settings.libraryDir, c.name))) {
      refusals.push(`${c.name} already exists in the library${owner ? ` (vendored from ${owner.url})` : ''}: pass --as NEW-NAME to vendor it under another name`);
    }
  }
  if (refusals.length > 0) throw new UsageError(`upstream ${req.url}: nothing vendored: ${refusals.join('; ')}`);

  const next: Lock = structuredClone(lock);
  let entry = next.upstreams.find((e) => sameSource(e, req.url, dir, req.ref));
  if (!entry) next.upstreams.push((entry = { url: req.url, path: dir, ref: req.ref, refKind: resolved.kind, commit, skills: {} }));
  const others = libraryNames(settings.libraryDir);
  const reports: SkillReport[] = [];
  const vendorOne = async (c: Candidate): Promise<SkillReport> => {
    const blank = { skill: c.name, from: c.from, commit, tree: null, fromUpstream: [], lineMerged: [], conflicts: [], findings: [], message: null };
    const moving = moves.get(c.name);
    if (moving) {
      // The same skill at another ref: the update's merge, from its old version to this ref's.
      const old = next.upstreams.find((e) => sameSource(e, moving.url, moving.path, moving.ref))!;
      const done = await updateSkill(io, c.name, dir, old.skills[c.name], commit);
      if (done.next.commit === commit) {
        delete old.skills[c.name];
        entry!.skills[c.name] = done.next;
      }
      return { ...done.report, message: done.report.message ?? `moved from ${moving.ref ?? 'the default branch'} to ${req.ref ?? 'the default branch'}` };
    }
    if (!isValidName(c.name)) {
      return { ...blank, outcome: 'invalid', message: `not written: ${JSON.stringify(c.name)} is not a valid skill name: vendor it with --as and a name of ASCII letters, digits, '.', '_' and '-'` };
    }
    const tree = await io.cache.vendor(commit, dir, c.from, c.name, session.filter);
    if (!tree) return { ...blank, outcome: 'invalid', message: `not written: ${[dir, c.from].filter(Boolean).join('/')} holds no file that is not ignored` };
    const { errors, warnings } = await checkVersion(io, c.name, tree, others.filter((n) => n !== c.name));
    if (errors.length > 0) return { ...blank, outcome: 'invalid', findings: errors, message: `not written: ${describeFindings(errors, settings.libraryDir)}` };
    if (io.write) {
      const written = await io.write(c.name, null, tree);
      if (!written.done) return { ...blank, outcome: 'changed-during-run', message: `${path.join(settings.libraryDir, c.name)}: ${written.why}; nothing was overwritten` };
    }
    others.push(c.name);
    entry!.skills[c.name] = { from: c.from, commit, tree };
    return { ...blank, outcome: 'added', tree, findings: warnings };
  };
  // What a move needs from the network comes first: an upstream failing now leaves the library untouched.
  for (const [name, owner] of moves) if (!io.cache.store.has(owner.skills[name].tree)) await io.cache.ensureCommit(owner.skills[name].commit);
  for (const c of candidates) {
    try {
      reports.push(await vendorOne(c));
    } catch (err) {
      // One skill's failure is its own; a lost lock or an upstream gone mid-run stops the run.
      if (isRunFatal(err) || err instanceof RemoteError) throw err;
      reports.push({ skill: c.name, from: c.from, outcome: 'failed', commit, tree: null, fromUpstream: [], lineMerged: [], conflicts: [], findings: [], message: errorMessage(err) });
    }
  }

  const changed = reports.filter((r) => ['added', 'updated', 'merged', 'conflict'].includes(r.outcome)).map((r) => r.skill);
  const lockChanged = serializeLock(next) !== serializeLock(lock);
  if (lockChanged && !req.dryRun) writeLock(settings.libraryDir, next);
  const verb = moves.size > 0 && moves.size === candidates.length ? 'move' : 'add';
  const review = reviewOf(settings.libraryDir, [...changed, LOCK_FILE], {
    subject: `upstream: ${verb} ${changed.join(', ') || reports.map((r) => r.skill).join(', ')} from ${shortUrl(req.url)}`,
    body: [`${req.url}${dir ? ` ${dir}` : ''} ${req.ref ?? `(default branch ${resolved.label})`} at ${commit}`],
  });
  return { dryRun: req.dryRun, url: req.url, path: dir, ref: req.ref, refKind: resolved.kind, commit, lock: lockPath(settings.libraryDir), lockChanged, skills: reports, ...review };
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The library's skill folder names now (for name-collision checks). */
function libraryNames(libraryDir: string): string[] {
  try {
    return fs
      .readdirSync(libraryDir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isSymbolicLink()))
      .map((e) => e.name);
  } catch (err) {
    throw new UsageError(`library folder ${libraryDir} cannot be read: ${errorMessage(err)}`);
  }
}
