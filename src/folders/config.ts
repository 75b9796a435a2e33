/**
 * Which skills folders a company keeps: config `folders`, relative to each
 * company's root, and the table of agents and the folders they read, from
 * which `library init --agents` writes it (README and SPEC print the same
 * table). Pure.
 */
import path from 'node:path';
import { ConfigError, UsageError } from '../errors.js';

/** Where each agent reads skills (late 2026, from their docs). The first folder an agent reads is the one written for it. */
export const AGENT_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  claude: ['.claude/skills'],
  codex: ['.agents/skills'],
  cursor: ['.agents/skills', '.cursor/skills'],
  gemini: ['.agents/skills', '.gemini/skills'],
  copilot: ['.agents/skills', '.github/skills'],
  opencode: ['.agents/skills', '.opencode/skills'],
  goose: ['.agents/skills'],
  amp: ['.agents/skills'],
  windsurf: ['.agents/skills', '.windsurf/skills'],
};

/** The folders to keep for these agents: one per agent, shared where agents share one (`.agents/skills`), in the order given. */
export function foldersForAgents(agents: readonly string[]): string[] {
  const out: string[] = [];
  for (const agent of agents) {
    const folders = AGENT_FOLDERS[agent.toLowerCase()];
    if (!folders) throw new UsageError(`unknown agent "${agent}": known agents are ${Object.keys(AGENT_FOLDERS).join(', ')}`);
    if (!out.includes(folders[0])) out.push(folders[0]);
  }
  return out;
}

/** Config `folders`: relative paths inside each company's root, none climbing out, none twice. */
export function parseFolders(value: unknown, file: string): string[] | null {
  if (value === undefined) return null;
  const bad = (why: string) => new ConfigError(`config ${file}: "folders" ${why}, e.g. [".claude/skills", ".agents/skills"]`);
  if (!Array.isArray(value) || value.length === 0) throw bad('must be a non-empty list of folders relative to each company');
  const out: string[] = [];
  for (const v of value) {
    if (typeof v !== 'string' || v.trim() === '') throw bad('must list folder paths (strings)');
    const norm = path.posix.normalize(v.replace(/\\/g, '/')).replace(/\/+$/, '');
    if (path.posix.isAbsolute(norm) || norm === '.' || norm.startsWith('../') || norm === '..') throw bad(`holds ${JSON.stringify(v)}, which is not inside the company`);
    if (out.includes(norm)) throw bad(`lists ${JSON.stringify(v)} twice`);
    out.push(norm);
  }
  return out;
}

/** A folder's key as a tree entry name in the store (`.claude/skills` → `.claude%2Fskills`). */
export const folderEntryName = (key: string) => encodeURIComponent(key);
export const folderKeyOf = (entryName: string) => decodeURIComponent(entryName);
