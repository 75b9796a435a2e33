/**
 * `library validate`: a folder of skills, one skill folder, or what is staged
 * in the library's git repository (the pre-commit hook).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findGitDir, folderAt } from '../library/source.js';
import { Store } from '../store/store.js';
import { listFolder, listTree } from './listing.js';
import { validateSkill, type Finding } from './rules.js';

export interface ValidationReport {
  /** What was checked: a folder, or "staged changes in <folder>". */
  target: string;
  /** Skill names checked. */
  skills: string[];
  findings: Finding[];
}

function symlinkedSkill(name: string): Finding {
  return { skill: name, path: name, problem: 'the skill folder is a symlink: make it a real folder' };
}

/** A folder holding SKILL.md is one skill; any other folder is a library of skills. */
export function validateFolder(dir: string, maxFileBytes: number): ValidationReport {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UsageError(`${dir} does not exist: pass a library folder or a skill folder`);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir} is not a folder: pass a library folder or a skill folder`);
  if (fs.existsSync(path.join(dir, 'SKILL.md'))) {
    const name = path.basename(path.resolve(dir));
    return { target: path.dirname(path.resolve(dir)), skills: [name], findings: validateSkill(listFolder(dir, name, maxFileBytes), { maxFileBytes }) };
  }
  const report: ValidationReport = { target: dir, skills: [], findings: [] };
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const abs = path.join(dir, name);
    const lst = fs.lstatSync(abs);
    if (!lst.isDirectory() && !lst.isSymbolicLink()) continue; // files beside the skills are not distributed
    report.skills.push(name);
    if (lst.isSymbolicLink()) report.findings.push(symlinkedSkill(name));
    else report.findings.push(...validateSkill(listFolder(abs, name, maxFileBytes), { maxFileBytes }));
  }
  return report;
}

/**
 * The skills of `libraryDir` that are staged and differ from HEAD. Run from a
 * pre-commit hook, `git write-tree` sees the index git is about to commit
 * (GIT_INDEX_FILE included, for `commit -a` and `commit <path>`).
 */
export async function validateStaged(libraryDir: string, maxFileBytes: number): Promise<ValidationReport> {
  const repo = findGitDir(libraryDir);
  if (!repo) throw new UsageError(`library ${libraryDir} is not inside a git repository: --staged needs one`);
  let staged: string;
  try {
    staged = execFileSync('git', ['write-tree'], { cwd: repo.workTree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new UsageError(`cannot read the staged tree of ${repo.workTree} with \`git write-tree\`: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
  const store = Store.open(repo.gitdir);
  const head = await store.readRef('HEAD');
  const rel = path.relative(repo.workTree, fs.realpathSync(libraryDir));
  const before = new Map((head ? await folderAt(store, (await store.readCommit(head)).tree, rel) : []).map((e) => [e.name, e.oid]));
  const report: ValidationReport = { target: `staged changes in ${libraryDir}`, skills: [], findings: [] };
  for (const e of await folderAt(store, staged, rel)) {
    if (e.name.startsWith('.') || before.get(e.name) === e.oid) continue;
    if (e.mode !== '40000' && e.mode !== '120000') continue;
    report.skills.push(e.name);
    if (e.mode === '120000') report.findings.push(symlinkedSkill(e.name));
    else report.findings.push(...validateSkill(await listTree(store, e.oid, e.name, maxFileBytes), { maxFileBytes }));
  }
  return report;
}
