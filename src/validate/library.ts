/**
 * Validation of the library as sync reads it: a skill that fails the rules is
 * moved from `skills` to `blocked`, so it is reported and skipped, never
 * distributed and never treated as deleted. Results are cached by skill name
 * and tree id (content-addressed, so a result never goes stale): a no-op sync
 * reads no file to validate.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SkillProblem } from '../scan/scan.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';
import { validateSkill, type Finding, type SkillListing } from './rules.js';

interface CacheFile {
  version: 1;
  maxFileBytes: number;
  /** "<skill> <tree id>" → findings. */
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
    if (saved?.version === 1 && saved.maxFileBytes === maxFileBytes) {
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
      return [{ skill: name, path: name, problem: `cannot be read: ${(err as Error).message}` }];
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
    const data: CacheFile = { version: 1, maxFileBytes: this.maxFileBytes, results: Object.fromEntries(this.results) };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify(data)}\n`);
    this.dirty = false;
  }
}

/** "<library>/pdf/SKILL.md: front matter …"; a ref library reads "refs/heads/library:pdf/SKILL.md". */
export function formatFinding(f: Finding, root: string): string {
  return `${root.startsWith('refs/') ? `${root}:${f.path}` : path.join(root, f.path)}: ${f.problem}`;
}

/** Move every skill that fails validation from `skills` to `blocked`. */
export async function blockInvalidSkills(
  skills: Map<string, string>,
  blocked: Map<string, SkillProblem>,
  root: string,
  cache: ValidationCache,
  list: (name: string, tree: string) => Promise<SkillListing> | SkillListing,
): Promise<void> {
  for (const [name, tree] of [...skills]) {
    const findings = await cache.check(name, tree, () => list(name, tree));
    if (findings.length === 0) continue;
    skills.delete(name);
    blocked.set(name, {
      skill: name,
      path: path.join(root, name),
      message: `library skill ${name} is not distributed: ${findings.map((f) => formatFinding(f, root)).join('; ')}`,
    });
  }
}
