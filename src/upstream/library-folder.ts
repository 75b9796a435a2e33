/**
 * The library folder's side of an upstream update: a vendored skill as the
 * library holds it now (its folder read by content, ignored files left out),
 * the write of a new version (the same compare-and-swap writer as every
 * company folder and `promote`), and the upstream's versions of conflicting
 * files, kept for review beside the lock in `.upstream-conflicts/<skill>/`
 * (a dot-folder: never a skill, never distributed; its own .gitignore keeps
 * it out of the library's commits).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { BlobReader } from '../apply/blob-reader.js';
import { captureIdentity } from '../apply/identity.js';
import { SkillWriter, type WriteResult } from '../apply/writer.js';
import { UnsafePathError } from '../errors.js';
import { isSafeEntryName } from '../names.js';
import { recordScanTree } from '../scan/record.js';
import { scanFolderTree, type IgnoreRules, type ScanTree } from '../scan/scan.js';
import { StatCache } from '../scan/stat-cache.js';
import type { Store } from '../store/store.js';

export const CONFLICTS_DIR = '.upstream-conflicts';

export const conflictDir = (libraryDir: string, skill: string): string => path.join(libraryDir, CONFLICTS_DIR, skill);

export type LibrarySkill = { kind: 'absent' } | { kind: 'ok'; tree: ScanTree } | { kind: 'unreadable'; why: string };

export interface FolderRules {
  maxFileBytes: number;
  ignore: IgnoreRules;
}

/** The library's version of `skill` now, by content. A symlink or a file in its place is unreadable, not absent. */
export function readLibrarySkill(libraryDir: string, skill: string, rules: FolderRules): LibrarySkill {
  const dir = path.join(libraryDir, skill);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    return { kind: 'unreadable', why: `cannot read ${dir} (${(err as NodeJS.ErrnoException).code})` };
  }
  if (!st.isDirectory()) return { kind: 'unreadable', why: `${dir} is ${st.isSymbolicLink() ? 'a symlink' : 'not a folder'}: nothing is read or written through it` };
  try {
    const tree = scanFolderTree(dir, skill, rules);
    return tree.entries.length === 0 ? { kind: 'absent' } : { kind: 'ok', tree };
  } catch (err) {
    return { kind: 'unreadable', why: `cannot read ${dir} whole: ${(err as Error).message}` };
  }
}

/** Put the library's version into `store`, so the merge can read its files like any tree. */
export function recordLibrarySkill(store: Store, libraryDir: string, skill: string, tree: ScanTree): void {
  recordScanTree(store, tree, path.join(libraryDir, skill));
}

/** Writes skills into the library folder from trees in `store` (compare-and-swap against what was read). */
export function libraryWriter(store: Store, libraryDir: string, configFile: string, rules: FolderRules): (skill: string, expected: string | null, next: string) => Promise<WriteResult> {
  const writer = new SkillWriter({
    store,
    blobs: new BlobReader(store),
    identity: captureIdentity(libraryDir, undefined, true, configFile),
    cache: new StatCache(null),
    maxFileBytes: rules.maxFileBytes,
    ignore: rules.ignore,
  });
  return (skill, expected, next) => writer.write(skill, expected, next);
}

/**
 * Replace `.upstream-conflicts/<skill>/` with the upstream's version of each conflicting file (a file the upstream
 * deleted has none). Written aside, then renamed in: a reader sees the old set or the new one.
 */
export function writeConflictCopies(libraryDir: string, skill: string, files: { path: string; content: Buffer; executable: boolean; symlink: boolean }[]): string {
  const target = conflictDir(libraryDir, skill);
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  // Review copies, never part of the library's history: git ignores the folder (as a virtualenv's own .gitignore does).
  const ignore = path.join(parent, '.gitignore');
  if (!fs.existsSync(ignore)) fs.writeFileSync(ignore, '# review copies of `library upstream update`: never committed\n*\n');
  const fresh = path.join(parent, `.${skill}.new-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(fresh);
  try {
    for (const f of files) {
      if (!f.path.split('/').every(isSafeEntryName)) throw new UnsafePathError(`refusing to write ${JSON.stringify(f.path)} into ${target}: unsafe name`);
      const p = path.join(fresh, ...f.path.split('/'));
      fs.mkdirSync(path.dirname(p), { recursive: true });
      if (f.symlink) fs.symlinkSync(f.content.toString('utf8'), p);
      else fs.writeFileSync(p, f.content, { mode: f.executable ? 0o755 : 0o644 });
    }
    const old = fs.existsSync(target) ? path.join(parent, `.${skill}.old-${randomBytes(4).toString('hex')}`) : null;
    if (old) fs.renameSync(target, old);
    fs.renameSync(fresh, target);
    if (old) fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
  return target;
}

/** The files waiting for review in `.upstream-conflicts/<skill>/` ('/'-separated), or null when there is no such folder. */
export function pendingConflicts(libraryDir: string, skill: string): string[] | null {
  const dir = conflictDir(libraryDir, skill);
  if (!fs.existsSync(dir)) return null;
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}
