/**
 * What a skill must be to be distributed, and what the Agent Skills
 * specification asks beyond that (SPEC.md, "Validation"). Pure: it takes a
 * listing of the skill's files, from a folder or a git tree, and returns one
 * finding per problem. The pre-commit hook, `library validate` and the library
 * reader of every sync all use this one function.
 */
import path from 'node:path';
import { isGitReservedName, isSafeEntryName, isValidName } from '../names.js';
import { parseFrontMatter, type ParsedFrontMatter, type Position } from './front-matter.js';

export { parseFrontMatter } from './front-matter.js';

export interface SkillFile {
  /** Relative to the skill folder, '/'-separated. A name that is not valid UTF-8 holds U+FFFD. */
  path: string;
  kind: 'file' | 'folder' | 'symlink' | 'submodule' | 'other';
  size: number;
  /** For symlinks. */
  target?: string;
  /** Why git's fsck refuses it as `.gitmodules` (src/scan/gitmodules.ts), when its name is one git reads so. */
  gitmodules?: string;
}

export interface SkillListing {
  name: string;
  files: SkillFile[];
  /** The bytes of SKILL.md when it is a regular file within the size limit. */
  skillMd: Buffer | null;
}

export type Severity = 'error' | 'warning';

/**
 * Every rule, by its stable code. Errors keep a skill from being distributed;
 * warnings are the Agent Skills specification's rules that Claude Code does
 * not need (`validation: "strict"` makes them errors).
 */
export const RULES = {
  'skill-name-invalid': 'error',
  'skill-symlink': 'error',
  'skill-unreadable': 'error',
  'name-collision': 'error',
  'file-name-invalid': 'error',
  'file-name-encoding': 'error',
  'special-file': 'error',
  'gitmodules-refused': 'error',
  'file-too-large': 'error',
  'symlink-outside': 'error',
  'skill-md-missing': 'error',
  'skill-md-not-file': 'error',
  'front-matter-missing': 'error',
  'front-matter-unclosed': 'error',
  'front-matter-encoding': 'error',
  'yaml-invalid': 'error',
  'front-matter-not-mapping': 'error',
  'name-missing': 'error',
  'name-not-string': 'error',
  'name-mismatch': 'error',
  'description-missing': 'error',
  'description-not-string': 'error',
  'name-format': 'warning',
  'name-too-long': 'warning',
  'description-too-long': 'warning',
  'compatibility-too-long': 'warning',
  'field-type': 'warning',
  'unknown-field': 'warning',
  'front-matter-dots': 'warning',
} as const satisfies Record<string, Severity>;

export type RuleCode = keyof typeof RULES;

export interface Finding {
  skill: string;
  /** Relative to the library folder: `<skill>` or `<skill>/<file>`. */
  path: string;
  code: RuleCode;
  severity: Severity;
  /** What is wrong and how to fix it. */
  message: string;
  /** In the file, for findings inside SKILL.md (1-based, counting the opening `---`). */
  line?: number;
  column?: number;
}

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** The Agent Skills specification's limits, counted in Unicode code points. */
const MAX_NAME = 64;
const MAX_DESCRIPTION = 1024;
const MAX_COMPATIBILITY = 500;

/** Top-level keys: the specification's, then Claude Code's (code.claude.com/docs/en/skills). */
export const KNOWN_KEYS = new Set([
  'name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools',
  'when_to_use', 'argument-hint', 'arguments', 'disable-model-invocation', 'user-invocable',
  'model', 'effort', 'context', 'agent', 'hooks', 'paths', 'shell',
]);

export function finding(skill: string, rel: string | null, code: RuleCode, message: string, pos?: Position): Finding {
  return { skill, path: rel ? `${skill}/${rel}` : skill, code, severity: RULES[code], message, ...pos };
}

/** `validation: "strict"`: every warning is an error. */
export function applyStrict(findings: Finding[], strict: boolean): Finding[] {
  return strict ? findings.map((f) => (f.severity === 'warning' ? { ...f, severity: 'error' } : f)) : findings;
}

export const hasErrors = (findings: Finding[]) => findings.some((f) => f.severity === 'error');

/** A symlink target that stays inside the skill folder. */
export function symlinkStaysInside(linkPath: string, target: string): boolean {
  if (target === '' || target.startsWith('/') || target.includes('\\') || /^[A-Za-z]:/.test(target)) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(linkPath), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

/** How macOS (APFS, HFS+) compares names by default: case and Unicode normalization do not count. */
const fold = (s: string) => s.normalize('NFC').toLowerCase().normalize('NFC');

/** Groups of names (two or more) that a case- and normalization-insensitive file system holds as one. */
export function collidingNames(names: Iterable<string>): string[][] {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const key = fold(n);
    const group = groups.get(key);
    if (!group) groups.set(key, [n]);
    else if (!group.includes(n)) group.push(n);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

export function collisionMessage(names: string[], what: string): string {
  const byForm = names.every((n) => n.normalize('NFC') === names[0].normalize('NFC'));
  // Two spellings of "café" print alike: say which is which.
  const shown = names.map((n) => JSON.stringify(n) + (byForm ? (n === n.normalize('NFC') ? ' (NFC)' : ' (NFD)') : ''));
  const how = byForm ? 'only in Unicode normalization' : names.every((n) => n === n.normalize('NFC')) ? 'only in letter case' : 'only in letter case and Unicode normalization';
  return `${what} ${shown.join(' and ')} differ ${how}: a Mac (APFS, HFS+) holds them as one, so one would overwrite the other: rename or remove all but one`;
}

const kindOf = (v: unknown) => (v === null ? 'empty' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v} (${String(v)})`);
const codePoints = (s: string) => [...s].length;

/** The specification's name rule, on a name that already passed ours (ASCII letters, digits, `.`, `_`, `-`). */
function nameFormat(name: string, add: (code: RuleCode, message: string) => void): void {
  const broken = [
    /[A-Z]/.test(name) && 'uppercase letters',
    name.includes('_') && '"_"',
    name.includes('.') && '"."',
    name.includes('--') && '"--"',
    name.endsWith('-') && 'a trailing "-"',
  ].filter(Boolean);
  if (broken.length > 0) {
    const fixed = name.toLowerCase().replace(/[._]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
    add('name-format', `skill name ${JSON.stringify(name)} has ${broken.join(', ')}; the Agent Skills specification allows lowercase letters, digits and single hyphens inside: rename the folder and "name" to ${JSON.stringify(fixed)}`);
  }
  if (codePoints(name) > MAX_NAME) {
    add('name-too-long', `skill name is ${codePoints(name)} characters, over the Agent Skills limit of ${MAX_NAME}: shorten the folder name and "name"`);
  }
}

function checkFields(fm: ParsedFrontMatter, name: string, add: (code: RuleCode, message: string, pos?: Position) => void): void {
  const { name: declared, description, compatibility, metadata } = fm.data;
  const at = (key: string) => fm.keyAt(key);
  if (declared === undefined || declared === null || (typeof declared === 'string' && declared.trim() === '')) {
    add('name-missing', `front matter has no "name": add name: ${name}`, at('name'));
  } else if (typeof declared !== 'string') {
    add('name-not-string', `front matter "name" is ${kindOf(declared)}, not text: write name: ${JSON.stringify(name)}`, at('name'));
  } else if (declared.normalize('NFKC') !== name.normalize('NFKC')) {
    // Compared as the reference validator does: "café" typed either way is one name.
    add('name-mismatch', `front matter name ${JSON.stringify(declared)} does not match the folder name ${JSON.stringify(name)}: make them equal`, at('name'));
  }
  if (description === undefined || description === null || (typeof description === 'string' && description.trim() === '')) {
    add('description-missing', 'front matter has no "description": add one line saying what the skill does and when to use it', at('description'));
  } else if (typeof description !== 'string') {
    add('description-not-string', `front matter "description" is ${kindOf(description)}, not text: write it as text, in quotes`, at('description'));
  } else if (codePoints(description) > MAX_DESCRIPTION) {
    add('description-too-long', `description is ${codePoints(description)} characters, over the Agent Skills limit of ${MAX_DESCRIPTION}: shorten it (other agents may cut it off or refuse the skill)`, at('description'));
  }
  if ('compatibility' in fm.data) {
    if (typeof compatibility !== 'string') {
      add('field-type', `"compatibility" is ${kindOf(compatibility)}, not text: write it as one line of text, e.g. compatibility: "Requires Python 3.11+"`, at('compatibility'));
    } else if (codePoints(compatibility) > MAX_COMPATIBILITY) {
      add('compatibility-too-long', `"compatibility" is ${codePoints(compatibility)} characters, over the Agent Skills limit of ${MAX_COMPATIBILITY}: shorten it`, at('compatibility'));
    }
  }
  const tools = fm.data['allowed-tools'];
  if ('allowed-tools' in fm.data && typeof tools !== 'string') {
    const joined = Array.isArray(tools) && tools.every((t) => typeof t === 'string') ? tools.join(' ') : 'Read Grep';
    add('field-type', `"allowed-tools" is ${kindOf(tools)}; the Agent Skills specification wants one space-separated string (Claude Code reads both): allowed-tools: ${joined}`, at('allowed-tools'));
  }
  if ('metadata' in fm.data) {
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      add('field-type', `"metadata" is ${kindOf(metadata)}, not a mapping: write it as "metadata:" with indented "key: value" lines`, at('metadata'));
    } else {
      for (const [key, value] of Object.entries(metadata)) {
        if (typeof value === 'string') continue;
        const written = fm.metadataSource(key);
        const fix = written !== undefined && typeof value !== 'object' ? `quote it: ${key}: ${JSON.stringify(written)}` : 'write it as one quoted string';
        add('field-type', `metadata "${key}" is ${kindOf(value)}, not text (the specification maps keys to strings): ${fix}`, at('metadata'));
      }
    }
  }
  for (const key of Object.keys(fm.data)) {
    if (KNOWN_KEYS.has(key)) continue;
    add('unknown-field', `front matter key "${key}" is neither an Agent Skills nor a Claude Code field: move it under "metadata:" (as a string) or remove it`, at(key));
  }
  if (fm.closedWithDots) {
    add('front-matter-dots', 'front matter is closed with "..."; the Agent Skills specification and Claude Code expect "---": change that line to ---', { line: fm.closingLine });
  }
}

export function validateSkill(listing: SkillListing, opts: { maxFileBytes: number }): Finding[] {
  const { name } = listing;
  const findings: Finding[] = [];
  const add = (rel: string | null, code: RuleCode, message: string, pos?: Position) => findings.push(finding(name, rel, code, message, pos));

  if (name.includes('\uFFFD')) {
    add(null, 'skill-name-invalid', `skill folder name ${JSON.stringify(name)} is not valid UTF-8 (shown with U+FFFD for the bad bytes): rename the folder`);
  } else if (!isValidName(name)) {
    add(null, 'skill-name-invalid', `invalid skill name ${JSON.stringify(name)}: rename the folder with ASCII letters, digits, '.', '_' and '-', starting with a letter or digit (this library keeps skill folder names ASCII, where the Agent Skills specification also allows Unicode lowercase letters)`);
  } else {
    nameFormat(name, (code, message) => add(null, code, message));
  }
  for (const f of listing.files) {
    const segments = f.path.split('/');
    const undecodable = segments.find((seg) => seg.includes('\uFFFD'));
    const unsafe = segments.find((seg) => !isSafeEntryName(seg));
    if (undecodable !== undefined) add(f.path, 'file-name-encoding', `file name ${JSON.stringify(undecodable)} is not valid UTF-8 (shown with U+FFFD for the bad bytes): rename it`);
    else if (unsafe !== undefined && isGitReservedName(unsafe)) add(f.path, 'file-name-invalid', `${JSON.stringify(unsafe)} is a name git refuses (a spelling of .git on macOS or Windows): rename or remove it`);
    else if (unsafe !== undefined) add(f.path, 'file-name-invalid', `invalid file name ${JSON.stringify(unsafe)}: rename it`);
    if (f.kind === 'other') add(f.path, 'special-file', 'is not a file, folder or symlink: remove it');
    if (f.gitmodules) add(f.path, 'gitmodules-refused', `git refuses it as .gitmodules (${f.gitmodules}): fsck and every host that checks objects would refuse any history holding it; fix or remove it`);
    if (f.kind === 'submodule') add(f.path, 'special-file', "is a git submodule inside the skill: its files are not in the library's history, so they would never reach a company; copy them into the skill, or make the submodule a skill of its own at the top of the library");
    if (f.kind === 'file' && f.size > opts.maxFileBytes) {
      add(f.path, 'file-too-large', `is ${f.size} bytes, over the size limit of ${opts.maxFileBytes} bytes (safety.maxFileBytes): remove it or raise the limit`);
    }
    if (f.kind === 'symlink' && !symlinkStaysInside(f.path, f.target ?? '')) {
      add(f.path, 'symlink-outside', `is a symlink to ${JSON.stringify(f.target)}, outside the skill: copy what it points to into the skill`);
    }
  }
  // Report a collision where it happens: `a/x` and `A/x` follow from `a` and `A`.
  for (const group of collidingNames(listing.files.map((f) => f.path))) {
    const parents = new Set(group.map((p) => path.posix.dirname(p)));
    if (parents.size === 1) add(group[0], 'name-collision', collisionMessage(group.map((p) => path.posix.basename(p)), 'names'));
  }

  const md = listing.files.find((f) => f.path === 'SKILL.md');
  if (!md) {
    const other = listing.files.find((f) => !f.path.includes('/') && f.path.toLowerCase() === 'skill.md');
    add('SKILL.md', 'skill-md-missing', other ? `is missing; there is a ${JSON.stringify(other.path)}: rename it to SKILL.md` : 'is missing: every skill needs a SKILL.md with front matter "name" and "description"');
  } else if (md.kind !== 'file') {
    const what = md.kind === 'folder' ? 'a folder' : md.kind === 'symlink' ? 'a symlink' : 'not a regular file';
    add('SKILL.md', 'skill-md-not-file', `is ${what}: SKILL.md must be a regular file`);
  } else if (listing.skillMd !== null) {
    const fm = parseFrontMatter(listing.skillMd);
    if ('error' in fm) add('SKILL.md', fm.code, fm.error, fm.line === undefined ? undefined : { line: fm.line, column: fm.column });
    else checkFields(fm, name, (code, message, pos) => add('SKILL.md', code, message, pos));
  }
  return findings;
}
