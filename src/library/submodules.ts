/**
 * A skill vendored into a git library with `git submodule add` is a gitlink in
 * the library's tree: a commit id of another repository. Its files are that
 * commit's tree, read from the submodule's own objects: `.git/modules/<name>`
 * of the library repository (where `git submodule add` and `update --init`
 * put them), or the `.git` inside the submodule's folder. Where neither has
 * the commit, the skill is blocked with the command that fetches it: never
 * "uncommitted", never silently missing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SkillProblem } from '../scan/scan.js';
import { Store } from '../store/store.js';
import type { GitRepo } from './repo.js';

export interface ResolvedSubmodule {
  /** The tree of the recorded commit. */
  tree: string;
  /** Where its objects are. */
  objects: Store;
}

/** `path` → submodule name, from the superproject's `.gitmodules` (the name is the path unless it says otherwise). */
function submoduleNames(workTree: string): Map<string, string> {
  const names = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(path.join(workTree, '.gitmodules'), 'utf8');
  } catch {
    return names;
  }
  let current: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[submodule\s+"(.*)"\]\s*$/.exec(line);
    if (section) current = section[1];
    const p = /^\s*path\s*=\s*(.*?)\s*$/.exec(line);
    if (p && current !== null) names.set(p[1], current);
  }
  return names;
}

/** The git dir a submodule folder's own `.git` points at (a `gitdir:` file, or a folder), if any. */
function ownGitDir(folder: string): string | null {
  const dotgit = path.join(folder, '.git');
  try {
    const st = fs.statSync(dotgit);
    if (st.isDirectory()) return dotgit;
    const m = /^gitdir: (.*)$/m.exec(fs.readFileSync(dotgit, 'utf8'));
    return m ? path.resolve(folder, m[1].trim()) : null;
  } catch {
    return null;
  }
}

function openIfHas(gitdir: string | null, commit: string): Store | null {
  if (!gitdir) return null;
  try {
    const store = Store.open(gitdir);
    return store.has(commit) ? store : null;
  } catch {
    return null;
  }
}

/**
 * Resolve each gitlink of the library folder (`skill` → commit) to the tree it
 * records. `libraryDir` is the library folder in `repo`'s work tree.
 */
export async function resolveSubmodules(
  repo: GitRepo,
  libraryDir: string,
  gitlinks: ReadonlyMap<string, string>,
): Promise<{ resolved: Map<string, ResolvedSubmodule>; blocked: Map<string, SkillProblem> }> {
  const resolved = new Map<string, ResolvedSubmodule>();
  const blocked = new Map<string, SkillProblem>();
  if (gitlinks.size === 0) return { resolved, blocked };
  const names = submoduleNames(repo.workTree);
  const rel = path.relative(repo.workTree, libraryDir).split(path.sep).filter(Boolean);
  for (const [skill, commit] of gitlinks) {
    const at = [...rel, skill].join('/');
    const folder = path.join(libraryDir, skill);
    const objects = openIfHas(path.join(repo.commonDir, 'modules', ...(names.get(at) ?? at).split('/')), commit) ?? openIfHas(ownGitDir(folder), commit);
    if (!objects) {
      blocked.set(skill, {
        skill,
        path: folder,
        message: `library skill ${skill} is a git submodule whose commit ${commit.slice(0, 7)} is not in this clone: run \`git -C ${repo.workTree} submodule update --init ${at}\``,
      });
      continue;
    }
    try {
      resolved.set(skill, { tree: (await objects.readCommit(commit)).tree, objects });
    } catch (err) {
      blocked.set(skill, { skill, path: folder, message: `library skill ${skill} is a git submodule whose commit ${commit.slice(0, 7)} cannot be read (${(err as Error).message}): run \`git -C ${repo.workTree} submodule update --init ${at}\`` });
    }
  }
  return { resolved, blocked };
}
