/**
 * The record of a company's open file-level conflicts (the merges themselves
 * are planned purely, src/merge/file-merge.ts): `refs/conflicts/<company>`,
 * holding the library's versions of the conflicting files. Conflict markers
 * are never written anywhere.
 */
import type { SkillMergePlan } from '../merge/file-merge.js';
import { recordCommit } from '../refs.js';
import type { Store } from '../store/store.js';

export const conflictsRef = (company: string) => `refs/conflicts/${company}`;

export interface ConflictRecord {
  skill: string;
  path: string;
  reason: string;
}

const CONFLICT_LINE = /^Conflict: (\S+) ("(?:[^"\\]|\\.)*") (.+)$/;

function conflictLine(c: ConflictRecord): string {
  return `Conflict: ${c.skill} ${JSON.stringify(c.path)} ${c.reason}`;
}

/** The conflicts recorded by the last `sync --fix`, from the commit at refs/conflicts/<company>. */
export async function readConflicts(store: Store, company: string): Promise<ConflictRecord[]> {
  const tip = await store.readRef(conflictsRef(company));
  if (!tip) return [];
  const out: ConflictRecord[] = [];
  for (const line of (await store.readCommit(tip)).message.split('\n')) {
    const m = CONFLICT_LINE.exec(line);
    if (m) out.push({ skill: m[1], path: JSON.parse(m[2]) as string, reason: m[3] });
  }
  return out;
}

/**
 * Record this run's conflicts for a company: a commit whose tree holds, per
 * skill, the library's versions of the conflicting files, and whose message
 * lists them. Written only when the set changes, so a no-op run writes nothing.
 */
export async function recordConflicts(store: Store, company: string, merges: readonly Pick<SkillMergePlan, 'skill' | 'conflicts' | 'libraryVersions'>[], libraryCommit: string | null): Promise<string | null> {
  const ref = conflictsRef(company);
  const prev = await store.readRef(ref);
  const records = merges.flatMap((m) => m.conflicts.map((c) => ({ skill: m.skill, path: c.path, reason: c.reason })));
  if (!prev && records.length === 0) return null;
  const tree = store.writeTree(merges.filter((m) => m.libraryVersions).map((m) => ({ name: m.skill, mode: '40000' as const, oid: m.libraryVersions! })));
  const lines = records.map(conflictLine);
  if (prev) {
    const old = await store.readCommit(prev);
    const oldLines = old.message.split('\n').filter((l) => CONFLICT_LINE.test(l));
    if (old.tree === tree && oldLines.join('\n') === lines.join('\n')) return null;
  }
  const title = records.length
    ? `conflicts in ${company}: ${records.length} file${records.length === 1 ? '' : 's'} changed on both sides, company versions kept`
    : `no conflicts in ${company}`;
  const trailers = [...(libraryCommit ? [`Library-Commit: ${libraryCommit}`] : []), ...lines];
  const message = `${title}\n\nThe tree holds the library's versions of the conflicting files; the company folders never get conflict markers.\n\n${trailers.join('\n')}\n`;
  return recordCommit(store, ref, prev, { tree, message });
}
