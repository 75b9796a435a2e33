/**
 * PURE: what `library upstream update` does to one vendored skill. Three
 * versions, compared by tree id: the base (the version vendored, from the
 * lock), ours (the library's folder now) and theirs (the upstream's version
 * now). Rows tried in order:
 *
 *   theirs absent      → removed-upstream: reported, never deleted
 *   ours absent        → deleted-in-library: reported, not brought back
 *   ours = theirs      → up-to-date (nothing to write; the lock moves)
 *   theirs = base      → up-to-date (nothing new upstream; the library's edits stay)
 *   ours = base        → updated: the upstream's version, whole
 *   otherwise          → the engine's own file-and-line merge (src/merge/file-merge.ts),
 *                        with the upstream in the library's seat and the library
 *                        in the company's: upstream changes arrive, the library's
 *                        edits stay, a file both changed on the same lines keeps
 *                        the library's version whole (no conflict markers, ever).
 */
import { planSkillMerge, type FileConflict, type FileMap, type SkillMergeInput, type SkillMergePlan } from '../merge/file-merge.js';

export type UpstreamRow = 'removed-upstream' | 'deleted-in-library' | 'up-to-date' | 'updated' | 'merge';

export function decideUpstreamSkill(base: string, ours: string | null, theirs: string | null): UpstreamRow {
  if (theirs === null) return 'removed-upstream';
  if (ours === null) return 'deleted-in-library';
  if (ours === theirs || theirs === base) return 'up-to-date';
  if (ours === base) return 'updated';
  return 'merge';
}

/** The three flat trees of a merge, and the texts of the paths both sides changed. */
export interface UpstreamMergeInput {
  base: FileMap;
  ours: FileMap;
  theirs: FileMap;
  texts: SkillMergeInput['texts'];
}

export interface UpstreamMerge {
  /** The skill's tree after the merge. */
  tree: string;
  /** Files taken from the upstream whole (changed, added or deleted only there). */
  fromUpstream: string[];
  /** Files both sides changed, merged line by line. */
  lineMerged: string[];
  /** Files both sides changed on the same lines: the library's version kept whole. */
  conflicts: FileConflict[];
  objects: SkillMergePlan['objects'];
}

/** The upstream in the library's seat of the company merge, the library in the company's; reasons named for this direction. */
export function mergeUpstreamSkill(skill: string, input: UpstreamMergeInput): UpstreamMerge {
  const plan = planSkillMerge(skill, { base: input.base, library: input.theirs, company: input.ours, texts: input.texts }, 'line');
  return {
    tree: plan.tree,
    fromUpstream: plan.fromLibrary,
    lineMerged: plan.lineMerged,
    conflicts: plan.conflicts.map((c) => ({ path: c.path, reason: upstreamReason(c.reason) })),
    objects: plan.objects,
  };
}

/** The company merge's words ("deleted by the company…") said of the library and the upstream. */
function upstreamReason(reason: string): string {
  return reason
    .replace('deleted by the company, changed by the library', 'deleted in the library, changed upstream')
    .replace('changed by the company, deleted by the library', 'changed in the library, deleted upstream')
    .replace('so the whole skill keeps the company version', 'so the whole skill keeps the library version');
}

/** Paths whose entry differs between two flat trees (what an update takes in, when it takes the upstream whole). */
export function changedPaths(a: FileMap, b: FileMap): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p)?.oid !== b.get(p)?.oid || a.get(p)?.mode !== b.get(p)?.mode).sort();
}
