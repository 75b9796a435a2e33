/**
 * The lock file at the library's root (`upstreams.lock.json`): where each
 * vendored skill came from and which version of it was vendored, the merge
 * base of the next `library upstream update`. People commit it with the
 * skills (SPEC.md, "Upstreams"). Parsing is strict, as the config's is: a
 * hand edit that breaks it is one line naming the file, the entry and the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isValidName } from '../names.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { RefKind } from './git.js';

export const LOCK_FILE = 'upstreams.lock.json';
export const LOCK_VERSION = 1;

export interface VendoredSkill {
  /** The skill's folder name upstream, inside the entry's `path` ("" when `path` is the skill itself); the library's name differs after `--as`. */
  from: string;
  /** The upstream commit this skill's version was taken from. */
  commit: string;
  /** The tree vendored (ignored files left out, renamed if `--as`): the base of the next merge. */
  tree: string;
  /** The upstream commit at which the skill was found deleted; it stays in the library. */
  removedUpstream?: string;
}

export interface UpstreamEntry {
  url: string;
  /** The folder of the upstream repository holding the skills ("" for its root). */
  path: string;
  /** The ref asked for; null: the remote's default branch. */
  ref: string | null;
  refKind: RefKind;
  /** The upstream commit last taken for this entry. */
  commit: string;
  /** Library skill name → what was vendored. */
  skills: Record<string, VendoredSkill>;
}

export interface Lock {
  version: number;
  upstreams: UpstreamEntry[];
}

export const emptyLock = (): Lock => ({ version: LOCK_VERSION, upstreams: [] });
export const lockPath = (libraryDir: string): string => path.join(libraryDir, LOCK_FILE);
/** A branch (or the default branch) is followed by `update`; a tag or a commit is a pin. */
export const isPinned = (e: Pick<UpstreamEntry, 'refKind'>): boolean => e.refKind === 'tag' || e.refKind === 'commit';
export const sameSource = (e: UpstreamEntry, url: string, dir: string, ref: string | null): boolean => e.url === url && e.path === dir && e.ref === ref;

const SHA = /^[0-9a-f]{40}$/;
const KINDS: readonly RefKind[] = ['default', 'branch', 'tag', 'commit'];

/** Pure: the lock file's text as a Lock, or a UsageError naming `file`, the place and the fix. */
export function parseLock(text: string, file: string): Lock {
  const bad = (where: string, what: string) =>
    new UsageError(`${file}: ${where} ${what}; fix it by hand (git diff shows what changed) or restore it with \`git checkout -- ${LOCK_FILE}\``);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad('is', `not valid JSON (${(err as Error).message})`);
  }
  const obj = record(raw, 'the file', bad);
  only(obj, ['version', 'upstreams'], 'the file', bad);
  if (obj.version !== LOCK_VERSION) throw bad('"version"', `is ${JSON.stringify(obj.version)}, this tool reads version ${LOCK_VERSION} (a newer library-sync wrote it?)`);
  if (!Array.isArray(obj.upstreams)) throw bad('"upstreams"', 'must be a list');
  const owners = new Map<string, string>();
  const upstreams = obj.upstreams.map((u, i): UpstreamEntry => {
    const at = `upstreams[${i}]`;
    const e = record(u, at, bad);
    only(e, ['url', 'path', 'ref', 'refKind', 'commit', 'skills'], at, bad);
    const str = (k: string, pattern?: RegExp) => {
      if (typeof e[k] !== 'string' || (pattern && !pattern.test(e[k] as string))) throw bad(`${at}.${k}`, pattern === SHA ? 'must be a 40-character commit id' : 'must be text');
      return e[k] as string;
    };
    if (e.ref !== null && typeof e.ref !== 'string') throw bad(`${at}.ref`, 'must be text or null');
    if (!KINDS.includes(e.refKind as RefKind)) throw bad(`${at}.refKind`, `must be one of ${KINDS.join(', ')}`);
    const skills: Record<string, VendoredSkill> = {};
    for (const [name, s] of Object.entries(record(e.skills, `${at}.skills`, bad))) {
      const where = `${at}.skills.${name}`;
      if (!isValidName(name)) throw bad(where, 'is not a valid skill name');
      if (owners.has(name)) throw bad(where, `is vendored twice (also in ${owners.get(name)})`);
      owners.set(name, at);
      const v = record(s, where, bad);
      only(v, ['from', 'commit', 'tree', 'removedUpstream'], where, bad);
      if (typeof v.from !== 'string' || v.from.includes('/') || v.from === '.' || v.from === '..') throw bad(`${where}.from`, 'must be a folder name (or "" for the folder at "path" itself)');
      for (const k of ['commit', 'tree'] as const) if (typeof v[k] !== 'string' || !SHA.test(v[k] as string)) throw bad(`${where}.${k}`, 'must be a 40-character object id');
      if (v.removedUpstream !== undefined && (typeof v.removedUpstream !== 'string' || !SHA.test(v.removedUpstream))) throw bad(`${where}.removedUpstream`, 'must be a commit id');
      skills[name] = { from: v.from, commit: v.commit as string, tree: v.tree as string, ...(v.removedUpstream ? { removedUpstream: v.removedUpstream as string } : {}) };
    }
    return { url: str('url'), path: str('path'), ref: e.ref as string | null, refKind: e.refKind as RefKind, commit: str('commit', SHA), skills };
  });
  return { version: LOCK_VERSION, upstreams };
}

function record(v: unknown, where: string, bad: (w: string, m: string) => Error): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(where, 'must be an object');
  return v as Record<string, unknown>;
}

function only(obj: Record<string, unknown>, keys: string[], where: string, bad: (w: string, m: string) => Error): void {
  const unknown = Object.keys(obj).find((k) => !keys.includes(k));
  if (unknown !== undefined) throw bad(where, `has an unknown key ${JSON.stringify(unknown)} (known: ${keys.join(', ')})`);
}

/** Pure: the file's text, in a stable order (entries by URL, path, ref; skills by name), so diffs show only what changed. */
export function serializeLock(lock: Lock): string {
  const upstreams = lock.upstreams
    .filter((e) => Object.keys(e.skills).length > 0)
    .map((e) => ({
      url: e.url,
      path: e.path,
      ref: e.ref,
      refKind: e.refKind,
      commit: e.commit,
      skills: Object.fromEntries(
        Object.keys(e.skills)
          .sort()
          .map((n) => {
            const s = e.skills[n];
            return [n, { from: s.from, commit: s.commit, tree: s.tree, ...(s.removedUpstream ? { removedUpstream: s.removedUpstream } : {}) }];
          }),
      ),
    }))
    .sort((a, b) => cmp(a.url, b.url) || cmp(a.path, b.path) || cmp(a.ref ?? '', b.ref ?? ''));
  return `${JSON.stringify({ version: LOCK_VERSION, upstreams }, null, 2)}\n`;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The library's lock, or an empty one when there is no file yet. */
export function readLock(libraryDir: string): Lock {
  const file = lockPath(libraryDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyLock();
    throw new UsageError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check its permissions`);
  }
  return parseLock(text, file);
}

export function writeLock(libraryDir: string, lock: Lock): void {
  writeFileAtomic(lockPath(libraryDir), serializeLock(lock));
}

/** The entry vendoring library skill `name`, if any. */
export function entryOf(lock: Lock, name: string): UpstreamEntry | undefined {
  return lock.upstreams.find((e) => name in e.skills);
}
