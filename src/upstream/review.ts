/**
 * The library's history is written by people (as with `promote`): after
 * `upstream add` or `update` in a git library, the changes are left
 * uncommitted, and this says how to review them and the commit to make, with a
 * message naming the upstream and its commits. A plain-folder library has no
 * review step: the next `sync --fix` distributes what was written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findGitDir } from '../library/source.js';

export interface Review {
  libraryKind: 'git' | 'folder';
  /** Shell commands (git library only): show the change, then commit it. */
  reviewCommand: string | null;
  commitCommand: string | null;
}

const sh = (s: string) => (/^[A-Za-z0-9_./:@=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `paths` are relative to the library folder (skill folders, the lock file). */
export function reviewOf(libraryDir: string, paths: string[], message: { subject: string; body: string[] }): Review {
  const repo = findGitDir(libraryDir);
  if (!repo) return { libraryKind: 'folder', reviewCommand: null, commitCommand: null };
  const real = fs.realpathSync(libraryDir);
  const rels = [...new Set(paths)].sort().map((p) => sh(path.relative(repo.workTree, path.join(real, p)) || '.'));
  const git = `git -C ${sh(repo.workTree)}`;
  const body = message.body.length > 0 ? ` -m ${sh(message.body.join('\n'))}` : '';
  return {
    libraryKind: 'git',
    reviewCommand: `${git} status --short -- ${rels.join(' ')}; ${git} diff -- ${rels.join(' ')}`,
    commitCommand: `${git} add -A -- ${rels.join(' ')} && ${git} commit -m ${sh(message.subject)}${body} -- ${rels.join(' ')}`,
  };
}
