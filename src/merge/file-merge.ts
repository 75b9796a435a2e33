/**
 * File-level merge inside one overridden skill (config `merge: "file"` or
 * `"line"`). Pure: no fs, no store. The skill's three trees are flattened to
 * path → (mode, blob id) maps; each path is decided on its own:
 *
 *   c = l          → unchanged (nothing to do)
 *   l = b          → only the company changed it: keep the company's
 *   c = b          → only the library changed it: take the library's
 *   otherwise      → both changed it: a line-level merge (mode "line", text
 *                    only, computed by the caller with mergeText) or a
 *                    conflict, which keeps the company's version.
 *
 * The merge base left behind is per file: the library's entry wherever the
 * library's change was taken in (or nothing was to take), the old base's entry
 * where a conflict kept the company's file. So a conflict stays visible
 * (`override-behind`) until resolved, and a file taken cleanly is not
 * mistaken for a company edit when the library changes it again.
 */
import { diff3Merge } from 'node-diff3';
import { hashObject } from '../store/objects.js';
import { fileMapTree, type FileEntry, type FileMap, type PlannedObject } from '../store/tree-files.js';

export type MergeMode = 'skill' | 'file' | 'line';
export const MERGE_MODES: readonly MergeMode[] = ['skill', 'file', 'line'];

export type { FileEntry, FileMap };

/** Which side changed a path since the base. */
export type FileChange = 'unchanged' | 'company' | 'library' | 'both';

export type FileOutcome = 'unchanged' | 'company' | 'library' | 'line-merged' | 'conflict';

export interface FileConflict {
  path: string;
  reason: string;
}

export interface FileMergeInput {
  base: FileMap;
  library: FileMap;
  company: FileMap;
  /** Paths changed on both sides that the caller merged line by line (mode "line"). */
  lineMerged?: ReadonlyMap<string, FileEntry>;
}

export interface FileMergeResult {
  /** The skill's files after the merge. */
  merged: Map<string, FileEntry>;
  /** The skill's merge base after the merge. */
  nextBase: Map<string, FileEntry>;
  files: { path: string; outcome: FileOutcome }[];
  conflicts: FileConflict[];
}

const same = (a: FileEntry | undefined, b: FileEntry | undefined): boolean => a?.oid === b?.oid && a?.mode === b?.mode;

/** The decision table for one path. */
export function decideFile(b: FileEntry | undefined, l: FileEntry | undefined, c: FileEntry | undefined): FileChange {
  if (same(c, l)) return 'unchanged';
  if (same(l, b)) return 'company';
  if (same(c, b)) return 'library';
  return 'both';
}

/** Why a both-sides change could not be merged, in words for the report. */
export function conflictReason(b: FileEntry | undefined, l: FileEntry | undefined, c: FileEntry | undefined): string {
  if (!b) return 'added on both sides with different content';
  if (!c) return 'deleted by the company, changed by the library';
  if (!l) return 'changed by the company, deleted by the library';
  return 'changed on both sides';
}

export function mergeFileMaps(input: FileMergeInput): FileMergeResult {
  const { base, library, company } = input;
  const paths = [...new Set([...base.keys(), ...library.keys(), ...company.keys()])].sort();
  const merged = new Map<string, FileEntry>();
  const nextBase = new Map<string, FileEntry>();
  const files: FileMergeResult['files'] = [];
  const conflicts: FileConflict[] = [];
  const put = (map: Map<string, FileEntry>, p: string, e: FileEntry | undefined) => e && map.set(p, e);

  for (const p of paths) {
    const b = base.get(p);
    const l = library.get(p);
    const c = company.get(p);
    const change = decideFile(b, l, c);
    let outcome: FileOutcome = change === 'both' ? 'conflict' : change;
    if (change === 'both' && input.lineMerged?.has(p)) outcome = 'line-merged';
    if (outcome === 'library') put(merged, p, l);
    else if (outcome === 'line-merged') put(merged, p, input.lineMerged!.get(p));
    else put(merged, p, c);
    // The base follows the library except where a conflict left the library's change out.
    put(nextBase, p, outcome === 'conflict' ? b : l);
    files.push({ path: p, outcome });
    if (outcome === 'conflict') conflicts.push({ path: p, reason: conflictReason(b, l, c) });
  }

  // A file on one side where the other has a folder of the same name cannot be one tree.
  const folders = new Set([...merged.keys()].flatMap((p) => p.split('/').slice(0, -1).map((_, i, segs) => segs.slice(0, i + 1).join('/'))));
  const clash = [...merged.keys()].find((p) => folders.has(p));
  if (clash) {
    return {
      merged: new Map(company),
      nextBase: new Map(base),
      files: paths.map((p) => ({ path: p, outcome: 'conflict' as const })),
      conflicts: [{ path: clash, reason: 'a file on one side is a folder on the other, so the whole skill keeps the company version' }],
    };
  }
  return { merged, nextBase, files, conflicts };
}

/** Only plain UTF-8 text without NUL bytes is merged line by line. */
export function isText(content: Buffer): boolean {
  if (content.includes(0)) return false;
  return Buffer.from(content.toString('utf8'), 'utf8').equals(content);
}

/** Lines with their line endings, so a merge reproduces the bytes exactly. */
function lines(content: Buffer): string[] {
  const text = content.toString('utf8');
  return text === '' ? [] : text.split(/(?<=\n)/);
}

/**
 * A clean three-way line merge (diff3) of text files, or null when the two
 * sides changed the same lines differently or a side is not text. Never
 * produces conflict markers.
 */
export function mergeText(base: Buffer | undefined, library: Buffer, company: Buffer): Buffer | null {
  const b = base ?? Buffer.alloc(0);
  if (![b, library, company].every(isText)) return null;
  const regions = diff3Merge(lines(company), lines(b), lines(library), { excludeFalseConflicts: true });
  if (regions.some((r) => r.conflict)) return null;
  return Buffer.from(regions.flatMap((r) => r.ok ?? []).join(''), 'utf8');
}

/** Three-way merge of the file mode; null when both sides changed it differently. */
export function mergeMode(b: FileEntry | undefined, l: FileEntry, c: FileEntry): FileEntry['mode'] | null {
  if (l.mode === c.mode) return c.mode;
  if (b && b.mode === c.mode) return l.mode;
  if (b && b.mode === l.mode) return c.mode;
  return null;
}

/** What a file-level merge of one skill needs, read before planning: the three flat trees, and for "line" the text of each file changed on both sides. */
export interface SkillMergeInput {
  base: FileMap;
  library: FileMap;
  company: FileMap;
  /** path → contents, for paths changed on both sides (mode "line" only). */
  texts: ReadonlyMap<string, { base?: Buffer; library: Buffer; company: Buffer }>;
}

/** The merge of one skill as the plan computes it: what --fix writes, file by file. */
export interface SkillMergePlan {
  skill: string;
  /** The skill's tree after the merge; the company's tree when nothing comes in; the empty tree when nothing is left. */
  tree: string;
  /** The skill's merge base after the merge. */
  base: string;
  fromLibrary: string[];
  lineMerged: string[];
  conflicts: FileConflict[];
  /** A tree of the library's versions of the conflicting files, or null. */
  libraryVersions: string | null;
  /** Blobs (line merges) and trees to write before anything refers to them. */
  objects: PlannedObject[];
}

/** Pure: the whole file-level merge of one skill, objects included. */
export function planSkillMerge(skill: string, input: SkillMergeInput, mode: Exclude<MergeMode, 'skill'>): SkillMergePlan {
  const objects: PlannedObject[] = [];
  const lineMerged = new Map<string, FileEntry>();
  if (mode === 'line') {
    for (const [p, text] of input.texts) {
      const [b, l, c] = [input.base.get(p), input.library.get(p), input.company.get(p)];
      if (!l || !c) continue;
      const fileMode = mergeMode(b, l, c);
      const merged = fileMode ? mergeText(text.base, text.library, text.company) : null;
      if (!fileMode || !merged) continue;
      const oid = hashObject('blob', merged);
      objects.push({ type: 'blob', oid, content: merged });
      lineMerged.set(p, { mode: fileMode, oid });
    }
  }
  const result = mergeFileMaps({ base: input.base, library: input.library, company: input.company, lineMerged });
  const theirs = new Map(result.conflicts.flatMap((c) => (input.library.has(c.path) ? [[c.path, input.library.get(c.path)!] as const] : [])));
  return {
    skill,
    tree: fileMapTree(result.merged, objects),
    base: fileMapTree(result.nextBase, objects),
    fromLibrary: result.files.filter((f) => f.outcome === 'library').map((f) => f.path),
    lineMerged: result.files.filter((f) => f.outcome === 'line-merged').map((f) => f.path),
    conflicts: result.conflicts,
    libraryVersions: theirs.size > 0 ? fileMapTree(theirs, objects) : null,
    objects,
  };
}

/** Paths a "line" merge needs the text of: changed on both sides, neither a symlink. */
export function pathsToMergeByLine(base: FileMap, library: FileMap, company: FileMap): string[] {
  return [...new Set([...library.keys(), ...company.keys()])].filter((p) => {
    const [b, l, c] = [base.get(p), library.get(p), company.get(p)];
    if (!l || !c || l.mode === '120000' || c.mode === '120000' || b?.mode === '120000') return false;
    return decideFile(b, l, c) === 'both';
  });
}
