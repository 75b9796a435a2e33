/**
 * What `library diff` shows per company and skill: the company's version
 * against the library's, and each side against the merge base (what the
 * company changed, what the library changed since), plus open conflicts.
 */
import path from 'node:path';
import { readConflicts, type ConflictRecord } from '../apply/merge-files.js';
import type { Config } from '../config.js';
import type { SkillState } from '../merge/decide.js';
import type { Store } from '../store/store.js';
import type { SyncResult } from '../sync.js';
import { isOverride } from './analyze.js';
import { diffTrees } from './diff.js';
import { companyCacheFile } from '../folders/scan.js';
import { libraryOverlay } from './objects.js';

export interface SkillDiff {
  company: string;
  skill: string;
  state: SkillState;
  base: string | null;
  library: string | null;
  companyTree: string | null;
  /** - library, + company. */
  companyVsLibrary: string;
  /** - base, + company: what the company changed. */
  companyChanges: string;
  /** - base, + library: what the library changed since the base. */
  libraryChanges: string;
  conflicts: Omit<ConflictRecord, 'skill'>[];
}

/** Overrides by default; with `skill`, that skill wherever it is not in sync. */
export async function skillDiffs(config: Config, store: Store | null, result: SyncResult, skill?: string): Promise<SkillDiff[]> {
  const overlay = libraryOverlay(config, store);
  const out: SkillDiff[] = [];
  for (const o of result.companies) {
    const picks = o.skills.filter((s) => (skill ? s.name === skill && s.state !== 'in-sync' : isOverride(s.state)));
    if (!o.ok || picks.length === 0) continue;
    overlay.addFolder(o.dir, store ? companyCacheFile(store.dataDir, o.name) : null, config);
    const conflicts = store ? await readConflicts(store, o.name) : [];
    for (const s of picks) {
      out.push({
        company: o.name,
        skill: s.name,
        state: s.state,
        base: s.base ?? null,
        library: s.library ?? null,
        companyTree: s.company ?? null,
        companyVsLibrary: await diffTrees(overlay, s.library, s.company, s.name),
        companyChanges: s.base ? await diffTrees(overlay, s.base, s.company, s.name) : '',
        libraryChanges: s.base ? await diffTrees(overlay, s.base, s.library, s.name) : '',
        conflicts: s.state === 'override-behind' ? conflicts.filter((c) => c.skill === s.name).map(({ path: p, reason }) => ({ path: p, reason })) : [],
      });
    }
  }
  return out;
}
