/** The git repository whose work tree holds a folder (the library's), found as git finds it. */
import fs from 'node:fs';
import path from 'node:path';

export interface GitRepo {
  workTree: string;
  /** The work tree's git dir (HEAD lives here). */
  gitdir: string;
  /** Where objects and refs live: the main repository's git dir for a linked worktree (`git worktree add`). */
  commonDir: string;
}

/** Find the git repository whose work tree holds `dir`, if any. */
export function findGitDir(dir: string): GitRepo | null {
  let cur = dir;
  for (;;) {
    const dotgit = path.join(cur, '.git');
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dotgit);
    } catch {
      /* keep climbing */
    }
    let gitdir: string | null = null;
    if (st?.isDirectory()) gitdir = dotgit;
    else if (st?.isFile()) {
      const m = /^gitdir: (.*)$/m.exec(fs.readFileSync(dotgit, 'utf8'));
      if (m) gitdir = path.resolve(cur, m[1].trim());
    }
    if (gitdir) {
      const commondirFile = path.join(gitdir, 'commondir');
      const commonDir = fs.existsSync(commondirFile) ? path.resolve(gitdir, fs.readFileSync(commondirFile, 'utf8').trim()) : gitdir;
      return { workTree: cur, gitdir, commonDir };
    }
    const up = path.dirname(cur);
    if (up === cur) return null;
    cur = up;
  }
}

