/**
 * Which folders are the companies: the config's glob expanded on disk (its
 * "*" segment names each company) or its explicit list; and the one wording
 * of "no such company".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { ConfigError, UsageError } from './errors.js';
import { caseTwinFinder, caseTwinMessage, isValidName } from './names.js';

export interface Company {
  name: string;
  /** The company's skills folder; with config `folders`, the first of them (where messages point). */
  dir: string;
  /** For glob companies: the folder holding the "*" segment; no path component below it may be a symlink. */
  globRoot?: string;
  /** With config `folders`: the company's root and every skills folder kept in it, in config order (src/folders/). */
  root?: string;
  folders?: CompanyFolder[];
}

export interface CompanyFolder {
  /** Relative to the company's root, as configured (`.claude/skills`). */
  key: string;
  dir: string;
}

export interface ResolvedCompanies {
  companies: Company[];
  /** Folders matched by the glob whose company name is invalid, or unusable folders. */
  problems: { name: string; dir: string; message: string }[];
}

/**
 * Expand the companies spec to concrete folders. A glob's "*" segment names the
 * company; folders that do not exist under that glob are simply not companies.
 */
export function resolveCompanies(config: Pick<Config, 'companiesSpec' | 'file' | 'folders'>): ResolvedCompanies {
  const problems: ResolvedCompanies['problems'] = [];
  const companies: Company[] = [];
  if (typeof config.companiesSpec === 'string') {
    const segments = config.companiesSpec.split(path.sep);
    const star = segments.indexOf('*');
    const parent = segments.slice(0, star).join(path.sep) || path.sep;
    const rest = segments.slice(star + 1);
    let names: string[] = [];
    try {
      names = fs.readdirSync(parent);
    } catch (err) {
      throw new ConfigError(`config ${config.file}: companies folder ${parent} cannot be read (${(err as NodeJS.ErrnoException).code}): fix "companies"`);
    }
    const caseTwinOf = caseTwinFinder();
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const dir = path.join(parent, name, ...rest);
      if (!fs.existsSync(dir)) continue;
      if (!isValidName(name)) {
        problems.push({ name, dir, message: `company folder ${dir} has an invalid company name ${JSON.stringify(name)}: rename it (letters, digits, '.', '_', '-')` });
        continue;
      }
      const twin = caseTwinOf(name);
      if (twin) {
        problems.push({ name, dir, message: `company folder ${dir} is skipped: ${caseTwinMessage(twin, name)}: rename one of the folders` });
        continue;
      }
      companies.push(withFolders({ name, dir, globRoot: parent }, config.folders));
    }
    if (companies.length === 0 && problems.length === 0) {
      throw new ConfigError(`config ${config.file}: companies glob ${config.companiesSpec} matches no folder: fix "companies" or create the folders`);
    }
  } else {
    for (const [name, dir] of Object.entries(config.companiesSpec)) companies.push(withFolders({ name, dir }, config.folders));
    companies.sort((a, b) => (a.name < b.name ? -1 : 1));
  }
  // Two names for one folder would let two merges fight over it.
  const seen = new Map<string, string>();
  for (const c of companies) {
    const mine = new Set<string>();
    for (const dir of (c.folders ?? [c]).map((f) => f.dir)) {
      let real = dir;
      try {
        real = fs.realpathSync(dir);
      } catch {
        /* missing folders are reported (or created) per company */
      }
      const other = seen.get(real);
      if (other && !mine.has(real)) throw new ConfigError(`config ${config.file}: companies "${other}" and "${c.name}" resolve to the same folder ${real}: list it once`);
      seen.set(real, c.name);
      mine.add(real); // two folders of one company that are one (a symlink) are one folder, not a clash
    }
  }
  return { companies, problems };
}

/** With config `folders`, the company spec names its root: its folders are inside it. */
function withFolders(company: Company, folders: readonly string[] | null): Company {
  if (!folders) return company;
  const root = company.dir;
  const list = folders.map((key) => ({ key, dir: path.join(root, ...key.split('/')) }));
  return { ...company, dir: list[0].dir, root, folders: list };
}

/** A company name that is not configured: one wording wherever a name is looked up. */
export function unknownCompany(name: string, known: readonly string[], where: string): UsageError {
  return new UsageError(`unknown company "${name}": known companies are ${known.join(', ') || '(none)'} (from ${where})`);
}

/** The configured companies, or the named ones (an unknown name is a usage error). */
export function selectCompanies(config: Pick<Config, 'companiesSpec' | 'file' | 'folders'>, wanted: readonly string[] | undefined, resolved = resolveCompanies(config)): Company[] {
  const all = resolved.companies;
  if (!wanted || wanted.length === 0) return all;
  return wanted.map((name) => {
    const c = all.find((x) => x.name === name);
    if (!c) throw unknownCompany(name, all.map((x) => x.name), config.file);
    return c;
  });
}
