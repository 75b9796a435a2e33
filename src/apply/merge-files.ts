/**
 * The I/O around the pure file-level merge (src/merge/file-merge.ts): read the
 * three skill trees from the store, merge text line by line where allowed,
 * write the merged tree and its per-file base, and keep a record of the
 * conflicts in `refs/conflicts/<company>`, with the library's versions of the
 * conflicting files. Conflict markers are never written anywhere.
 */
import { decideFile, mergeFileMaps, mergeMode, mergeText, type FileConflict, type FileEntry, type MergeMode } from '../merge/file-merge.js';
import { signature } from '../history.js';
import type { Store } from '../store/store.js';
import { flattenTree, writeFileMap } from '../store/tree-files.js';

export interface SkillMerge {
  skill: string;
  /** The skill's tree after the merge; equal to the company's tree when nothing came in. */
  tree: string;
  /** The skill's merge base after the merge. */
  base: string;
  fromLibrary: string[];
  lineMerged: string[];
  conflicts: FileConflict[];
  /** A tree of the library's versions of the conflicting files, or null. */
  libraryVersions: string | null;
}

export const conflictsRef = (company: string) => `refs/conflicts/${company}`;

export async function mergeSkillFiles(
  store: Store,
  skill: string,
  trees: { base: string; library: string; company: string },
  mode: Exclude<MergeMode, 'skill'>,
): Promise<SkillMerge> {
  const [base, library, company] = await Promise.all([trees.base, trees.library, trees.company].map((t) => flattenTree(store, t)));
  const lineMerged = new Map<string, FileEntry>();
  if (mode === 'line') {
    for (const p of new Set([...library.keys(), ...company.keys()])) {
      const [b, l, c] = [base.get(p), library.get(p), company.get(p)];
      if (!l || !c || l.mode === '120000' || c.mode === '120000' || b?.mode === '120000') continue;
      if (decideFile(b, l, c) !== 'both') continue;
      const fileMode = mergeMode(b, l, c);
      if (!fileMode) continue;
      const text = mergeText(b ? await store.readBlob(b.oid) : undefined, await store.readBlob(l.oid), await store.readBlob(c.oid));
      if (text) lineMerged.set(p, { mode: fileMode, oid: store.writeObject('blob', text) });
    }
  }
  const result = mergeFileMaps({ base, library, company, lineMerged });
  const theirs = new Map(result.conflicts.flatMap((c) => (library.has(c.path) ? [[c.path, library.get(c.path)!] as const] : [])));
  return {
    skill,
    tree: writeFileMap(store, result.merged),
    base: writeFileMap(store, result.nextBase),
    fromLibrary: result.files.filter((f) => f.outcome === 'library').map((f) => f.path),
    lineMerged: result.files.filter((f) => f.outcome === 'line-merged').map((f) => f.path),
    conflicts: result.conflicts,
    libraryVersions: theirs.size > 0 ? writeFileMap(store, theirs) : null,
  };
}

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
export async function recordConflicts(store: Store, company: string, merges: readonly SkillMerge[], libraryCommit: string | null): Promise<string | null> {
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
  const commit = store.writeCommit({ tree, parents: prev ? [prev] : [], author: signature(), message });
  await store.updateRef(ref, commit, prev);
  return commit;
}
