/**
 * One company, one skill set, however many agents' folders it keeps
 * (`.claude/skills`, `.agents/skills`…). Pure: from what each folder holds
 * now and what was last recorded for it, the company's version of each skill
 * (what the plan merges with the library), the skills whose folders disagree
 * (a conflict: nothing is written), and what each folder must hold after the
 * plan. SPEC.md, "Several folders per company".
 *
 * A library skill (in the library now, or distributed before) is the same in
 * every folder: an edit or a deletion in one folder is the company's, and
 * reaches the others. Different edits in two folders are a conflict. A
 * company-only skill stays in the folders that have it, never copied.
 */
export type SkillMap = ReadonlyMap<string, string>;

export interface FolderState {
  /** The folder, relative to the company's root (`.claude/skills`). */
  key: string;
  /** skill → tree as scanned now (real skill folders only). */
  skills: SkillMap;
  /** Skills on disk that could not be read this run: no opinion, nothing written there. */
  blocked: ReadonlySet<string>;
  /** Skills that are a symlink into another folder of the company (skill → that folder's key): it follows that folder. */
  links: ReadonlyMap<string, string>;
  /** Skills that are git checkouts here: never written by a sync. */
  checkouts: ReadonlySet<string>;
  /** skill → tree as last recorded for this folder; null for a folder new to the company. */
  recorded: SkillMap | null;
  /**
   * skill → the tree this folder's copy is when read across Unicode name forms
   * (src/scan/name-forms.ts): a copy spelled otherwise is that version, not rewritten.
   */
  sameAs?: SkillMap;
}

export interface CombineInput {
  folders: readonly FolderState[];
  /** The company's skills as last recorded (its history's tip); null before its first record. */
  recorded: SkillMap | null;
  library: SkillMap;
  base: SkillMap | null;
}

export interface FolderVersion {
  key: string;
  /** null: the folder has no such skill. */
  tree: string | null;
}

export interface Combined {
  /** skill → the company's version: what the plan compares with the library and its base. */
  skills: Map<string, string>;
  /** Skills whose folders hold different edits: every version stays where it is. */
  conflicts: Map<string, FolderVersion[]>;
  /** skill → the folders this run's company version came from (an edit or deletion made there). */
  from: Map<string, string[]>;
  /** Skills only the company has (never copied between folders). */
  companyOnly: Set<string>;
}

export function combineFolders(input: CombineInput): Combined {
  const out: Combined = { skills: new Map(), conflicts: new Map(), from: new Map(), companyOnly: new Set() };
  const names = new Set<string>([...input.library.keys(), ...(input.base?.keys() ?? []), ...(input.recorded?.keys() ?? [])]);
  for (const f of input.folders) for (const n of f.skills.keys()) names.add(n);
  for (const name of names) {
    const before = input.recorded?.get(name);
    if (!input.library.has(name) && !input.base?.has(name)) {
      // Company-only: the first folder that has it speaks for the company's record; none is copied.
      const held = input.folders.find((f) => f.skills.has(name));
      if (held) out.skills.set(name, held.skills.get(name)!);
      else if (before !== undefined && input.folders.some((f) => f.blocked.has(name))) out.skills.set(name, before);
      if (held || before !== undefined) out.companyOnly.add(name);
      continue;
    }
    const changed = new Map<string | null, string[]>(); // the new version → the folders that hold it
    const stale = new Set<string | null>(); // versions of unchanged folders that are neither the company's nor the library's: a conflict left
    let disagree = false;
    for (const f of input.folders) {
      if (f.blocked.has(name) || f.links.has(name)) continue;
      const now = f.skills.get(name) ?? null;
      let edited: boolean;
      if (f.recorded) edited = now !== (f.recorded.get(name) ?? null);
      else if (before === undefined) edited = now !== null; // a company's first record: what is there is its version
      else if (now === null || now === before || now === input.library.get(name)) edited = false; // a new folder: filled
      else {
        edited = true;
        disagree = true; // a new folder's own copy is never taken over a recorded version: a person decides
      }
      if (edited) changed.set(now, [...(changed.get(now) ?? []), f.key]);
      // What the library distributed is nobody's edit: a folder still holding it is behind (a copy failed), not a side.
      else if (f.recorded && now !== (before ?? null) && !(now !== null && (now === input.base?.get(name) || now === input.library.get(name)))) stale.add(now);
    }
    const versions = new Set([...changed.keys(), ...(changed.size > 0 ? stale : [])]);
    // Two versions that are not the company's, each in some folder: edits that disagree, now or left from before.
    if (versions.size > 1 || disagree || (changed.size === 0 && stale.size > 1)) {
      out.conflicts.set(name, input.folders.filter((f) => !f.blocked.has(name) && !f.links.has(name)).map((f) => ({ key: f.key, tree: f.skills.get(name) ?? null })));
      if (before !== undefined) out.skills.set(name, before);
      continue;
    }
    const [version, from] = changed.size === 1 ? [...changed][0] : [before ?? null, [] as string[]];
    if (version !== null) out.skills.set(name, version);
    if (from.length > 0) out.from.set(name, from);
  }
  return out;
}

/**
 * What `folder` must hold after the plan, for each skill it writes: every
 * library skill the company is to have (`target`: skill → tree, absent:
 * none), except where the folder disagrees (a conflict), cannot be read, links
 * to another folder, or is a git checkout (unless `force`). Company-only
 * skills are never written. Returns skill → [expected, next] for each write.
 */
export function folderWrites(
  folder: FolderState,
  target: ReadonlyMap<string, string | null>,
  combined: Pick<Combined, 'conflicts' | 'companyOnly'>,
  force = false,
): Map<string, { expected: string | null; next: string | null }> {
  const writes = new Map<string, { expected: string | null; next: string | null }>();
  for (const [name, next] of target) {
    if (combined.conflicts.has(name) || combined.companyOnly.has(name)) continue;
    if (folder.blocked.has(name) || folder.links.has(name) || (folder.checkouts.has(name) && !force)) continue;
    const expected = folder.skills.get(name) ?? null;
    if ((folder.sameAs?.get(name) ?? expected) !== next) writes.set(name, { expected, next });
  }
  return writes;
}
