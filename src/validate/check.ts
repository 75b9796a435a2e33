/**
 * `library validate`: a folder of skills, one skill folder, or what is staged
 * in the library's git repository (the pre-commit hook).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findGitDir, folderAt, repoHead, repoObjects } from '../library/source.js';
import { folderCollisions } from './library.js';
import { resolveSubmodules } from '../library/submodules.js';
import { listFolder, listTree, readNames } from './listing.js';
import { applyStrict, collidingNames, finding, validateSkill, type Finding, type SkillListing } from './rules.js';

export interface ValidationReport {
  /** What was checked: a folder, or "staged changes in <folder>". */
  target: string;
  /** Skill names checked. */
  skills: string[];
  findings: Finding[];
}

export interface ValidateOptions {
  maxFileBytes: number;
  /** `validation: "strict"`: warnings are errors. */
  strict: boolean;
}

const symlinkedSkill = (name: string) => finding(name, null, 'skill-symlink', 'the skill folder is a symlink: make it a real folder');

/** One skill's findings; a skill that cannot be read is a finding too, and the others are still checked. */
async function checkOne(name: string, list: () => SkillListing | Promise<SkillListing>, opts: ValidateOptions): Promise<Finding[]> {
  try {
    return validateSkill(await list(), opts);
  } catch (err) {
    return [finding(name, null, 'skill-unreadable', `cannot be read: ${(err as Error).message}`)];
  }
}

const holdsSkillMd = (dir: string) => readNames(dir).some((e) => e.name.toLowerCase() === 'skill.md');

/**
 * Whether `dir` is one skill rather than a folder of skills: it holds a
 * SKILL.md (any case), or none of its sub-folders does (a skill whose SKILL.md
 * is missing is still one skill).
 */
function isOneSkill(dir: string): boolean {
  if (holdsSkillMd(dir)) return true;
  return !readNames(dir).some(({ name, decodable }) => {
    const abs = path.join(dir, name);
    return decodable && fs.lstatSync(abs).isDirectory() && holdsSkillMd(abs);
  });
}

/** `library: true` for the configured library; otherwise a folder of skills or one skill, as `isOneSkill` says. */
export async function validateFolder(dir: string, opts: ValidateOptions & { library: boolean }): Promise<ValidationReport> {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UsageError(`${dir} does not exist: pass a library folder or a skill folder`);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir} is not a folder: pass a library folder or a skill folder`);
  if (!opts.library && isOneSkill(dir)) {
    const name = path.basename(path.resolve(dir));
    const findings = await checkOne(name, () => listFolder(dir, name, opts.maxFileBytes), opts);
    return { target: path.dirname(path.resolve(dir)), skills: [name], findings: applyStrict(findings, opts.strict) };
  }
  const report: ValidationReport = { target: dir, skills: [], findings: [] };
  // The configured library in git: a submodule whose commit is not in this clone is named with its fix, as sync names it.
  const missing = opts.library ? await missingSubmodules(dir) : new Map<string, string>();
  for (const [name, message] of missing) {
    report.skills.push(name);
    report.findings.push(finding(name, null, 'skill-unreadable', message));
  }
  for (const { name, decodable } of readNames(dir)) {
    if (name.startsWith('.') || missing.has(name)) continue;
    const abs = path.join(dir, name);
    if (!decodable) {
      report.skills.push(name);
      report.findings.push(...validateSkill({ name, files: [], skillMd: null }, opts).filter((f) => f.code === 'skill-name-invalid'));
      continue;
    }
    const lst = fs.lstatSync(abs);
    if (!lst.isDirectory() && !lst.isSymbolicLink()) continue; // files beside the skills are not distributed
    report.skills.push(name);
    if (lst.isSymbolicLink()) report.findings.push(symlinkedSkill(name));
    else report.findings.push(...(await checkOne(name, () => listFolder(abs, name, opts.maxFileBytes), opts)));
  }
  report.findings.unshift(...folderCollisions(report.skills));
  report.findings = applyStrict(report.findings, opts.strict);
  return report;
}

/** Skill → message, for each submodule of the library folder's HEAD whose commit cannot be read here. */
async function missingSubmodules(libraryDir: string): Promise<Map<string, string>> {
  const repo = findGitDir(libraryDir);
  const head = repo ? await repoHead(repo) : null;
  if (!repo || !head) return new Map();
  const store = repoObjects(repo);
  const real = fs.realpathSync(libraryDir);
  const entries = await folderAt(store, (await store.readCommit(head)).tree, path.relative(repo.workTree, real));
  const gitlinks = new Map(entries.filter((e) => (e.mode as string) === '160000').map((e) => [e.name, e.oid]));
  const { blocked } = await resolveSubmodules(repo, real, gitlinks);
  return new Map([...blocked].map(([name, p]) => [name, p.message]));
}

/**
 * The skills of `libraryDir` that are staged and differ from HEAD. Run from a
 * pre-commit hook, `git write-tree` sees the index git is about to commit
 * (GIT_INDEX_FILE included, for `commit -a` and `commit <path>`).
 */
export async function validateStaged(libraryDir: string, opts: ValidateOptions): Promise<ValidationReport> {
  const repo = findGitDir(libraryDir);
  if (!repo) throw new UsageError(`library ${libraryDir} is not inside a git repository: --staged needs one`);
  let staged: string;
  try {
    staged = execFileSync('git', ['write-tree'], { cwd: repo.workTree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new UsageError(`cannot read the staged tree of ${repo.workTree} with \`git write-tree\`: ${(e.stderr || e.message).trim().split('\n')[0]}`);
  }
  const store = repoObjects(repo);
  const head = await repoHead(repo);
  const rel = path.relative(repo.workTree, fs.realpathSync(libraryDir));
  const before = new Map((head ? await folderAt(store, (await store.readCommit(head)).tree, rel) : []).map((e) => [e.name, e.oid]));
  const report: ValidationReport = { target: `staged changes in ${libraryDir}`, skills: [], findings: [] };
  const all: string[] = [];
  for (const e of await folderAt(store, staged, rel)) {
    if (e.name.startsWith('.') || (e.mode !== '40000' && e.mode !== '120000')) continue;
    all.push(e.name);
    if (before.get(e.name) === e.oid) continue;
    report.skills.push(e.name);
    if (e.mode === '120000') report.findings.push(symlinkedSkill(e.name));
    else report.findings.push(...(await checkOne(e.name, () => listTree(store, e.oid, e.name, opts.maxFileBytes), opts)));
  }
  // A staged skill that a Mac cannot hold apart from another one, changed or not.
  const touched = collidingNames(all).filter((group) => group.some((n) => report.skills.includes(n)));
  report.findings.unshift(...folderCollisions(touched.flat()));
  report.findings = applyStrict(report.findings, opts.strict);
  return report;
}
