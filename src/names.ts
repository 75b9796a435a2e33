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
    name.toLowerCase() !== '.git' &&
    !name.includes('/') &&
    !name.includes('\\') &&
    !name.includes('\0') &&
    Buffer.byteLength(name) <= MAX_NAME_BYTES
  );
}
