/**
 * Validation of the library as sync reads it: a skill with an error is moved
 * from `skills` to `blocked`, so it is reported and skipped, never distributed
 * and never treated as deleted; its warnings are returned, and it is still
 * distributed. Results are cached by skill name and tree id (content-addressed,
 * so a result never goes stale): a no-op sync reads no file to validate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SkillProblem } from '../scan/scan.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';
import { applyStrict, collidingNames, collisionMessage, finding, hasErrors, validateSkill, type Finding, type SkillListing } from './rules.js';

/** Bump when a rule changes: cached results of older rules are dropped. */
const CACHE_VERSION = 2;

interface CacheFile {
  version: number;
  maxFileBytes: number;
  /** "<skill> <tree id>" → findings, before `validation: "strict"` is applied. */
  results: Record<string, Finding[]>;
}

export class ValidationCache {
  private readonly results = new Map<string, Finding[]>();
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(
    private readonly file: string | null,
    readonly maxFileBytes: number,
  ) {
    let saved: CacheFile | undefined;
    try {
      saved = file ? readJsonIfExists<CacheFile>(file) : undefined;
    } catch {
      saved = undefined; // a damaged cache is only a cache: validate again
    }
    if (saved?.version === CACHE_VERSION && saved.maxFileBytes === maxFileBytes) {
      for (const [k, v] of Object.entries(saved.results)) this.results.set(k, v);
    }
  }

  async check(name: string, tree: string, list: () => Promise<SkillListing> | SkillListing): Promise<Finding[]> {
    const key = `${name} ${tree}`;
    this.used.add(key);
    let findings = this.results.get(key);
    if (findings) return findings;
    let listing: SkillListing;
    try {
      listing = await list();
    } catch (err) {
      // Unreadable right now (e.g. removed mid-run): block it this run, remember nothing.
      return [finding(name, null, 'skill-unreadable', `cannot be read: ${(err as Error).message}`)];
    }
    findings = validateSkill(listing, { maxFileBytes: this.maxFileBytes });
    this.results.set(key, findings);
    this.dirty = true;
    return findings;
  }

  /** Keep only what this run looked at; write only when something changed. */
  save(): void {
    if (!this.file) return;
    for (const k of this.results.keys()) {
      if (!this.used.has(k)) {
        this.results.delete(k);
        this.dirty = true;
      }
    }
    if (!this.dirty) return;
    const data: CacheFile = { version: CACHE_VERSION, maxFileBytes: this.maxFileBytes, results: Object.fromEntries(this.results) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify(data)}\n`);
    this.dirty = false;
  }
}

/**
 * "<library>/pdf/SKILL.md:3:14: front matter … [yaml-invalid]"; a ref library
 * reads "refs/heads/library:pdf/SKILL.md…". With `severity`, the word error or
 * warning comes before the message (what `library validate` prints).
 */
export function formatFinding(f: Finding, root: string, opts: { severity?: boolean } = {}): string {
  const where = root.startsWith('refs/') ? `${root}:${f.path}` : path.join(root, f.path);
  const pos = f.line === undefined ? '' : f.column === undefined ? `:${f.line}` : `:${f.line}:${f.column}`;
  return `${where}${pos}: ${opts.severity ? `${f.severity}: ` : ''}${f.message} [${f.code}]`;
}

/** Library skill folders a Mac cannot hold apart: each one gets a finding naming the others. */
export function folderCollisions(names: Iterable<string>): Finding[] {
  return collidingNames(names).flatMap((group) =>
    group.map((name) => finding(name, null, 'name-collision', collisionMessage(group, 'skill folders'))),
  );
}

/**
 * Move every skill with an error (after `strict`) from `skills` to `blocked`;
 * return the warnings of the skills that stay.
 */
export async function blockInvalidSkills(
  skills: Map<string, string>,
  blocked: Map<string, SkillProblem>,
  root: string,
  cache: ValidationCache,
  list: (name: string, tree: string) => Promise<SkillListing> | SkillListing,
  strict: boolean,
): Promise<Finding[]> {
  const collisions = folderCollisions([...skills.keys(), ...blocked.keys()]);
  const warnings: Finding[] = [];
  for (const [name, tree] of [...skills]) {
    const own = await cache.check(name, tree, () => list(name, tree));
    const findings = applyStrict([...collisions.filter((f) => f.skill === name), ...own], strict);
    if (!hasErrors(findings)) {
      warnings.push(...findings);
      continue;
    }
    skills.delete(name);
    const errors = findings.filter((f) => f.severity === 'error');
    blocked.set(name, {
      skill: name,
      path: path.join(root, name),
      message: `library skill ${name} is not distributed: ${errors.map((f) => formatFinding(f, root)).join('; ')}`,
    });
  }
  return warnings;
}
