/**
 * What operating systems, editors and runtimes leave in skill folders is not
 * part of any skill: never recorded, never compared, never written, never
 * deleted. Rules are gitignore patterns (matched by the `ignore` package, as
 * eslint does), from three places in this order: the built-in defaults, the
 * library repository's own `.gitignore` files, and config `ignore` (where a
 * `!pattern` switches a default off). Paths are matched relative to the skills
 * folder, as if the rules were a `.gitignore` placed there: `*.log` matches in
 * every skill, `/pdf/out/` only in pdf.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { findGitDir } from '../library/repo.js';
import type { IgnoreRules } from './scan.js';

/** Litter of macOS, Windows, editors and Python. SPEC.md, "What counts as a change", lists them. */
export const DEFAULT_IGNORE: readonly string[] = [
  '.DS_Store',
  '._*',
  '.AppleDouble/',
  '.Spotlight-V100/',
  '.Trashes/',
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '__pycache__/',
  '*.pyc',
  '*.pyo',
  '.pytest_cache/',
  '.mypy_cache/',
  '.ruff_cache/',
  '.ipynb_checkpoints/',
  '*.swp',
  '*.swo',
  '*~',
  '.#*',
  '#*#',
  '.~lock.*#',
  '4913',
];

export interface IgnorePattern {
  pattern: string;
  /** "default", "config", or the .gitignore file it came from. */
  source: string;
}

/** A pattern that names a path, not just a name: it depends on where the file is. */
const anchored = (p: string) => p.replace(/\/$/, '').replace(/^!/, '').includes('/');

export class IgnoreMatcher implements IgnoreRules {
  private readonly ig: Ignore;
  /** Answers by name (or by path, with path patterns), files and folders apart. */
  private readonly files = new Map<string, boolean>();
  private readonly dirs = new Map<string, boolean>();
  /** Some pattern names a path (`/pdf/out/`), not just a name: answers depend on where a file is. */
  readonly pathDependent: boolean;
  readonly patterns: readonly IgnorePattern[];
  /** Changes whenever the rules do: caches of filtered trees are keyed by it. */
  readonly id: string;

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
    this.ig = ignore().add(patterns.map((p) => p.pattern));
    this.pathDependent = patterns.some((p) => anchored(p.pattern));
    this.id = createHash('sha1').update(patterns.map((p) => p.pattern).join('\n')).digest('hex').slice(0, 16);
  }

  /**
   * `rel` is relative to the skills folder. Callers walk from the top and never
   * descend into an ignored folder, so with name-only patterns (the usual case)
   * the answer depends on the name alone and is cached by it: a no-op scan of
   * 100,000 files costs one map lookup per entry.
   */
  ignores(rel: string, isDir: boolean, name?: string): boolean {
    const cache = isDir ? this.dirs : this.files;
    const key = this.pathDependent ? rel : (name ?? rel.slice(rel.lastIndexOf('/') + 1));
    let hit = cache.get(key);
    if (hit === undefined) {
      try {
        hit = this.ig.ignores(isDir ? `${key}/` : key);
      } catch {
        hit = false; // a name the matcher cannot take (odd characters) is content, never litter
      }
      if (cache.size < 100_000) cache.set(key, hit);
    }
    return hit;
  }

  /** The rule that ignores `rel`, as `git check-ignore -v` names it. */
  ruleFor(rel: string, isDir: boolean): IgnorePattern | null {
    const r = this.ig.checkIgnore(isDir ? `${rel}/` : rel);
    if (!r.ignored || !r.rule) return null;
    return this.patterns.find((p) => p.pattern === r.rule!.pattern) ?? { pattern: r.rule.pattern, source: 'unknown' };
  }

  /** Ignored paths under `dir` (a skill folder; `skill` is its name), relative to `dir`; an ignored folder is one entry. */
  listIgnored(dir: string, skill: string): string[] {
    const out: string[] = [];
    const walk = (abs: string, rel: string) => {
      for (const name of fs.readdirSync(abs)) {
        const childRel = rel ? `${rel}/${name}` : name;
        const st = fs.lstatSync(path.join(abs, name));
        if (this.ignores(`${skill}/${childRel}`, st.isDirectory())) out.push(childRel);
        else if (st.isDirectory()) walk(path.join(abs, name), childRel);
      }
    };
    walk(dir, '');
    return out;
  }
}

export interface IgnoredPath {
  /** Relative to the skills folder; a folder ends with "/". */
  path: string;
  pattern: string;
  source: string;
}

/** What the rules leave out of a skills folder (a company's, or a plain library), and which rule does: `status --ignored`. */
export function ignoredIn(dir: string, rules: IgnoreMatcher): IgnoredPath[] {
  const out: IgnoredPath[] = [];
  const note = (rel: string, isDir: boolean) => {
    const rule = rules.ruleFor(rel, isDir);
    out.push({ path: isDir ? `${rel}/` : rel, pattern: rule?.pattern ?? '?', source: rule?.source ?? '?' });
  };
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue; // hidden top-level entries are never skills (our temp folders among them)
    const st = fs.lstatSync(path.join(dir, name));
    if (rules.ignores(name, st.isDirectory())) note(name, st.isDirectory());
    else if (st.isDirectory()) {
      for (const rel of rules.listIgnored(path.join(dir, name), name)) {
        note(`${name}/${rel}`, fs.lstatSync(path.join(dir, name, rel)).isDirectory());
      }
    }
  }
  return out;
}

/** Lines of a .gitignore that are patterns (comments and blank lines dropped). */
function patternLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
}

/**
 * Patterns from the .gitignore files of the library's repository that apply
 * inside the library folder: those in the folder itself as they are; those of
 * a parent folder if they match by name, or if their path leads into the
 * library folder (rewritten relative to it).
 */
export function libraryGitignorePatterns(libraryDir: string, workTree: string): IgnorePattern[] {
  const out: IgnorePattern[] = [];
  const rel = path.relative(workTree, libraryDir).split(path.sep).filter(Boolean);
  for (let depth = 0; depth <= rel.length; depth++) {
    const dir = path.join(workTree, ...rel.slice(0, depth));
    const file = path.join(dir, '.gitignore');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const prefix = rel.slice(depth).join('/');
    for (const line of patternLines(text)) {
      const negated = line.startsWith('!');
      const body = negated ? line.slice(1) : line;
      let pattern: string | null = body;
      if (prefix && anchored(body)) {
        const bare = body.replace(/^\//, '');
        pattern = bare.startsWith(`${prefix}/`) ? `/${bare.slice(prefix.length + 1)}` : null;
      }
      if (pattern) out.push({ pattern: negated ? `!${pattern}` : pattern, source: file });
    }
  }
  return out;
}

export function buildIgnore(configPatterns: readonly string[], libraryPatterns: readonly IgnorePattern[] = []): IgnoreMatcher {
  return new IgnoreMatcher([
    ...DEFAULT_IGNORE.map((pattern) => ({ pattern, source: 'default' })),
    ...libraryPatterns,
    ...configPatterns.map((pattern) => ({ pattern, source: 'config' })),
  ]);
}

const memo = new WeakMap<object, IgnoreMatcher>();

/** The rules in force for a config: defaults, the library repository's .gitignore files, config `ignore`. Read once per process. */
export function ignoreRulesOf(config: { ignore: readonly string[]; libraryDir: string | null }): IgnoreMatcher {
  let rules = memo.get(config);
  if (!rules) {
    const repo = config.libraryDir ? findGitDir(config.libraryDir) : null;
    const fromRepo = repo && config.libraryDir ? libraryGitignorePatterns(fs.realpathSync(config.libraryDir), fs.realpathSync(repo.workTree)) : [];
    rules = buildIgnore(config.ignore, fromRepo);
    memo.set(config, rules);
  }
  return rules;
}
