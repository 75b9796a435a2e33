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
 * Every spelling of `.git` that git itself refuses in a tree (fsck's
 * `hasDotgit`, verify_path with core.protectHFS and core.protectNTFS, which
 * hosting services enforce on push): `.git` in any letter case; with HFS+'s
 * ignored code points inside; with trailing dots or spaces, or an NTFS stream
 * suffix (`.git.`, `.git ::$INDEX_ALLOCATION`); and the NTFS short name
 * `git~1`. Such a name is never recorded: in a company folder it is carried
 * like `.git`, in the library it is a validation error.
 */
export function isGitReservedName(name: string, isSymlink = false): boolean {
  if (!name.includes('.') && !name.includes('~')) return false; // the common case, in one scan of the name
  const lower = name.toLowerCase();
  if (isHfsSpelling(lower, '.git') || isNtfsSpelling(lower, '.git', ['git~1'])) return true;
  // fsck's `gitmodulesSymlink` is an error too (a .gitignore or .gitattributes symlink is only a warning).
  return isSymlink && (isHfsSpelling(lower, '.gitmodules') || isNtfsSpelling(lower, '.gitmodules', ['gitmod~1', 'gitmod~2', 'gitmod~3', 'gitmod~4', 'gi7eba~']));
}

function isHfsSpelling(lower: string, needle: string): boolean {
  return lower.replace(HFS_IGNORED, '') === needle;
}

/** `needle` or a short name, then only dots and spaces, perhaps then an NTFS stream (`:…`). */
function isNtfsSpelling(lower: string, needle: string, shortNames: string[]): boolean {
  const prefix = [needle, ...shortNames].find((p) => lower.startsWith(p));
  if (prefix === undefined) return false;
  const rest = prefix.endsWith('~') ? lower.slice(prefix.length).replace(/^[0-9]/, '') : lower.slice(prefix.length);
  return /^[. ]*(?::.*)?$/s.test(rest);
}
