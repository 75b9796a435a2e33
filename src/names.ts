import { UsageError } from './errors.js';

/** Company and skill names: a portable file name that cannot climb or hide. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_NAME_BYTES = 255;

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && Buffer.byteLength(name) <= MAX_NAME_BYTES && !name.includes('..');
}

export function checkName(kind: 'company' | 'skill', name: string): string {
  if (!isValidName(name)) {
    throw new UsageError(
      `invalid ${kind} name ${JSON.stringify(name)}: use ASCII letters, digits, '.', '_' and '-', starting with a letter or digit (pattern ${NAME_PATTERN.source})`,
    );
  }
  return name;
}

/**
 * A name inside a skill (file or folder) as it may be written to disk.
 * Trees come from the store, which may hold content from a hostile source:
 * refuse anything that could climb out of the folder or confuse git.
 */
export function isSafeEntryName(name: string): boolean {
  return (
    name.length > 0 &&
    name !== '.' &&
    name !== '..' &&
    !isGitReservedName(name) &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('\0') &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES
  );
}

/** Code points HFS+ ignores when it compares names (git's next_hfs_char): `.g\u200cit` is `.git` there. */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Every name git itself refuses in a tree, as `git fsck` does (fsck_tree:
 * `hasDotgit`, and `gitmodulesSymlink` for a symlink), which hosting services
 * and receivers with transfer.fsckObjects enforce on push: `.git` in any
 * letter case; with HFS+'s ignored code points inside; with trailing dots or
 * spaces, or an NTFS stream suffix (`.git.`, `.git::$INDEX_ALLOCATION`); the
 * NTFS short name `git~1`; and any of those after a backslash, which Windows
 * reads as a folder separator (`x\.git`, `.git\config`). Such a name is never
 * recorded: in a company folder it is carried like `.git`, in the library it
 * is a validation error. A port of git's is_hfs_dotgit, is_ntfs_dotgit and
 * is_ntfs_dotgitmodules (utf8.c, path.c), checked against native fsck by
 * test/property/reserved-names.test.ts.
 */
export function isGitReservedName(name: string, isSymlink = false): boolean {
  if (!mayBeDotSpelling(name)) return false;
  if (isHfsDot(name, 'git') || isNtfsDotGit(name, 0)) return true;
  // fsck's `gitmodulesSymlink` is an error too (a .gitignore or .gitattributes symlink is only a warning).
  if (isSymlink && (isHfsDot(name, 'gitmodules') || isNtfsDotGeneric(name, 0, 'gitmodules', 'gi7eba'))) return true;
  for (let at = name.indexOf('\\'); at >= 0; at = name.indexOf('\\', at + 1)) {
    if (isNtfsDotGit(name, at + 1) || (isSymlink && isNtfsDotGeneric(name, at + 1, 'gitmodules', 'gi7eba'))) return true;
  }
  return false;
}

/**
 * A name git reads as `.gitmodules` (fsck_tree: is_hfs_dotgitmodules,
 * is_ntfs_dotgitmodules, and each backslash component): a file so named has
 * its content checked by fsck (src/scan/gitmodules.ts), and anything else so
 * named (a folder) is refused outright (`gitmodulesBlob`).
 */
export function isGitmodulesName(name: string): boolean {
  if (!mayBeDotSpelling(name)) return false;
  if (isHfsDot(name, 'gitmodules') || isNtfsDotGeneric(name, 0, 'gitmodules', 'gi7eba')) return true;
  for (let at = name.indexOf('\\'); at >= 0; at = name.indexOf('\\', at + 1)) if (isNtfsDotGeneric(name, at + 1, 'gitmodules', 'gi7eba')) return true;
  return false;
}

/**
 * Every spelling git checks (`.git`, `git~1`, `.gitmodules`, `gi7eba~1`…) starts with '.' or 'g' once HFS+'s
 * ignored code points (none of them ASCII) are dropped, or follows a backslash: any other name is none, decided
 * without a string made (most names, on every scan).
 */
function mayBeDotSpelling(name: string): boolean {
  const first = name.charCodeAt(0);
  return first >= 0x80 || first === 0x2e || first === 0x67 || first === 0x47 || name.includes('\\');
}

const asciiLower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);

/** `s` holds `word` (lower-case ASCII) at `at`, in any letter case. */
function hasAt(s: string, at: number, word: string): boolean {
  if (at + word.length > s.length) return false;
  for (let i = 0; i < word.length; i++) if (asciiLower(s.charCodeAt(at + i)) !== word.charCodeAt(i)) return false;
  return true;
}

/** git's is_hfs_dot_generic: '.' then `needle`, any letter case, HFS+'s ignored code points anywhere, nothing after. */
function isHfsDot(name: string, needle: string): boolean {
  const s = name.replace(HFS_IGNORED, '');
  return s.length === needle.length + 1 && s[0] === '.' && hasAt(s, 1, needle);
}

/** git's is_ntfs_dotgit, from `at`: `.git` or `git~1`, then only dots and spaces up to the end, a separator or a stream. */
function isNtfsDotGit(s: string, at: number): boolean {
  let i: number;
  if (s[at] === '.' && hasAt(s, at + 1, 'git')) i = at + 4;
  else if (hasAt(s, at, 'git') && s[at + 3] === '~' && s[at + 4] === '1') i = at + 5;
  else return false;
  for (; ; i++) {
    const c = s[i];
    if (c === undefined || c === '\\' || c === '/' || c === ':') return true;
    if (c !== '.' && c !== ' ') return false;
  }
}

/** git's is_ntfs_dot_generic, from `at`: `.<name>`, its 6-letter short name `~1`…`~4`, or a hashed short name (`gi7eba~9`). */
function isNtfsDotGeneric(s: string, at: number, name: string, hashedPrefix: string): boolean {
  const onlySpacesAndPeriods = (i: number) => {
    for (; ; i++) {
      const c = s[i];
      if (c === undefined || c === ':') return true;
      if (c !== ' ' && c !== '.') return false;
    }
  };
  if (s[at] === '.' && hasAt(s, at + 1, name)) return onlySpacesAndPeriods(at + 1 + name.length);
  if (hasAt(s, at, name.slice(0, 6)) && s[at + 6] === '~' && s[at + 7]! >= '1' && s[at + 7]! <= '4') return onlySpacesAndPeriods(at + 8);
  // Up to six letters of the hashed prefix, '~', a digit 1-9, then digits: eight characters in all.
  let i = 0;
  for (let sawTilde = false; i < 8; i++) {
    const c = s.charCodeAt(at + i);
    if (Number.isNaN(c)) return false;
    if (sawTilde) {
      if (c < 0x30 || c > 0x39) return false;
    } else if (c === 0x7e) {
      const d = s.charCodeAt(at + ++i);
      if (!(d >= 0x31 && d <= 0x39)) return false;
      sawTilde = true;
    } else if (i >= 6 || c > 0x7f || asciiLower(c) !== hashedPrefix.charCodeAt(i)) return false;
  }
  return onlySpacesAndPeriods(at + i);
}

/**
 * Company names name refs, stat caches and records in the store, and on a case-insensitive disk (macOS by default)
 * two names that differ only in case are one file: their histories would mix.
 */
export const caseTwinMessage = (a: string, b: string) =>
  `companies ${JSON.stringify(a)} and ${JSON.stringify(b)} differ only in case, and on a case-insensitive disk (macOS) their records in the store would be one`;

/** A check over names met one by one: the earlier name that differs from this one only in case, else none (and this one is kept). */
export function caseTwinFinder(): (name: string) => string | undefined {
  const byFoldedName = new Map<string, string>();
  return (name) => {
    const folded = name.toLowerCase();
    const twin = byFoldedName.get(folded);
    if (twin === undefined) byFoldedName.set(folded, name);
    return twin;
  };
}
