/**
 * The search index on disk: one JSON file, one entry per distinct skill
 * version (keyed by tree id), written atomically so a reader or a killed
 * rebuild never sees half a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SkillState } from '../merge/decide.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UsageError } from '../errors.js';
import type { SkillDoc } from './skill-doc.js';

/** Bump when what an entry holds changes: entries are reused by tree id, so old ones would never be re-read. */
export const INDEX_VERSION = 1;

export interface CompanyLocation {
  company: string;
  /** The skill's folder name in that company. */
  folder: string;
  state: SkillState;
}

/** What a skill version is (from its tree, never changes) and where it lives (recomputed every rebuild). */
export interface IndexEntry extends SkillDoc {
  files: string[];
  /** Folder names of this version in the library; empty when the library does not have it. */
  library: string[];
  companies: CompanyLocation[];
}

/** What the index was built from: when these are unchanged, so is the index. */
export interface IndexSources {
  libraryRef: string;
  library: string | null;
  companies: Record<string, { commit: string; base: string | null }>;
  /** Set when the build left something out (unreadable): such an index is never taken as up to date. */
  skipped?: string[];
}

export interface SkillIndex {
  version: typeof INDEX_VERSION;
  store: string;
  sources: IndexSources;
  skills: Record<string, IndexEntry>;
}

export function serializeIndex(index: SkillIndex): string {
  return `${JSON.stringify(index, null, 1)}\n`;
}

/** For search: a missing or unreadable index is a clear error naming the fix. */
export function loadIndex(file: string): SkillIndex {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`search index ${file} does not exist: run \`discover --rebuild-index\` (or \`library sync --fix\`)`);
    throw new UsageError(`search index ${file} cannot be read (${code}): check its permissions`);
  }
  return parseIndex(text, file);
}

export function parseIndex(text: string, file: string): SkillIndex {
  let value: Partial<SkillIndex>;
  try {
    value = JSON.parse(text) as Partial<SkillIndex>;
  } catch (err) {
    throw new UsageError(`search index ${file} is not valid JSON (${(err as Error).message}): run \`discover --rebuild-index\``);
  }
  if (value?.version !== INDEX_VERSION || typeof value.skills !== 'object' || typeof value.sources !== 'object') {
    throw new UsageError(`search index ${file} is not a version ${INDEX_VERSION} index: run \`discover --rebuild-index\``);
  }
  return value as SkillIndex;
}

/** Write the index unless it already holds exactly `text`; returns whether it wrote. */
export function writeIndex(file: string, text: string, current: string | null): boolean {
  if (current === text) return false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, text);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot write search index ${file} (${e.code ?? e.message}): make its folder writable, or set "index" in the config`, { cause: err });
  }
  return true;
}

export { removeKilledTempFiles } from '../util/atomic.js';
