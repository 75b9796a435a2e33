/**
 * What a skill must be to be distributed (SPEC.md, "Validation"). Pure: it
 * takes a listing of the skill's files, from a folder or a git tree, and
 * returns one finding per problem. The pre-commit hook, `library validate` and
 * the library reader of every sync all use this one function.
 */
import path from 'node:path';
import { parseDocument } from 'yaml';
import { isSafeEntryName, isValidName } from '../names.js';

export interface SkillFile {
  /** Relative to the skill folder, '/'-separated. */
  path: string;
  kind: 'file' | 'symlink' | 'other';
  size: number;
  /** For symlinks. */
  target?: string;
}

export interface SkillListing {
  name: string;
  files: SkillFile[];
  /** The content of SKILL.md when it is a regular file within the size limit. */
  skillMd: string | null;
}

export interface Finding {
  skill: string;
  /** Relative to the library folder: `<skill>` or `<skill>/<file>`. */
  path: string;
  problem: string;
}

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

export type FrontMatter = { data: Record<string, unknown> } | { error: string };

/** The YAML between a first line `---` and the next `---` (or `...`) line. */
export function parseFrontMatter(text: string): FrontMatter {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trimEnd() !== '---') {
    return { error: `has no front matter: start it with a line "---", then "name:" and "description:", then "---"` };
  }
  const end = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (end < 0) return { error: 'front matter is not closed: add a line "---" after it' };
  const doc = parseDocument(lines.slice(1, end).join('\n'), { prettyErrors: false });
  if (doc.errors.length > 0) {
    return { error: `front matter is not valid YAML: ${doc.errors[0].message.split('\n')[0]}` };
  }
  const data: unknown = doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { error: 'front matter must be a YAML mapping with "name" and "description"' };
  }
  return { data: data as Record<string, unknown> };
}

/** A symlink target that stays inside the skill folder. */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\\') || /^[A-Za-z]:/.test(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

export function validateSkill(listing: SkillListing, opts: { maxFileBytes: number }): Finding[] {
  const { name } = listing;
  const findings: Finding[] = [];
  const add = (rel: string | null, problem: string) => findings.push({ skill: name, path: rel ? `${name}/${rel}` : name, problem });

  if (!isValidName(name)) {
    add(null, `invalid skill name ${JSON.stringify(name)}: rename the folder (letters, digits, '.', '_', '-', starting with a letter or digit)`);
  }
  for (const f of listing.files) {
    const bad = f.path.split('/').find((seg) => !isSafeEntryName(seg) || seg.includes('\uFFFD'));
    if (bad !== undefined) add(f.path, `invalid file name ${JSON.stringify(bad)}: rename it`);
    if (f.kind === 'other') add(f.path, 'is not a file, folder or symlink: remove it');
    if (f.kind === 'file' && f.size > opts.maxFileBytes) {
      add(f.path, `is ${f.size} bytes, over the size limit of ${opts.maxFileBytes} bytes (safety.maxFileBytes): remove it or raise the limit`);
    }
    if (f.kind === 'symlink' && !symlinkStaysInside(f.path, f.target ?? '')) {
      add(f.path, `is a symlink to ${JSON.stringify(f.target)}, outside the skill: copy what it points to into the skill`);
    }
  }

  const md = listing.files.find((f) => f.path === 'SKILL.md');
  if (!md) {
    add('SKILL.md', 'is missing: every skill needs a SKILL.md with front matter "name" and "description"');
  } else if (md.kind !== 'file') {
    add('SKILL.md', 'must be a regular file');
  } else if (listing.skillMd !== null) {
    const fm = parseFrontMatter(listing.skillMd);
    if ('error' in fm) {
      add('SKILL.md', fm.error);
    } else {
      const { name: declared, description } = fm.data;
      if (typeof declared !== 'string' || declared.trim() === '') {
        add('SKILL.md', `front matter has no "name": add "name: ${name}"`);
      } else if (declared !== name) {
        add('SKILL.md', `front matter name ${JSON.stringify(declared)} does not match the folder name ${JSON.stringify(name)}: make them equal`);
      }
      if (typeof description !== 'string' || description.trim() === '') {
        add('SKILL.md', 'front matter has no "description": add one line saying what the skill does and when to use it');
      }
    }
  }
  return findings;
}
