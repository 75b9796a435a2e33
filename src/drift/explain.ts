/**
 * Why a skill is an override, file by file: what the company's version holds
 * that its merge base (or, with no base yet, the library's version) does not.
 * So a person can tell a real customization from noise at a glance. Ignored
 * files never appear: they are in no tree.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import type { FileMap } from '../merge/file-merge.js';
import type { Store } from '../store/store.js';
import { flattenTree } from '../store/tree-files.js';
import type { SyncResult } from '../sync.js';
import { isOverride } from './analyze.js';
import { libraryOverlay } from './objects.js';

export type FileChangeKind = 'added' | 'changed' | 'deleted' | 'mode';

export interface FileChange {
  path: string;
  change: FileChangeKind;
}

export interface OverrideExplanation {
  /** The company deleted the skill. */
  deleted: boolean;
  /** Compared with the merge base, or with the library's version when there is no base yet. */
  against: 'base' | 'library';
  files: FileChange[];
}

/** Pure: the files that differ between two flat file maps, sorted by path. */
export function fileChanges(from: FileMap, to: FileMap): FileChange[] {
  const out: FileChange[] = [];
  for (const p of [...new Set([...from.keys(), ...to.keys()])].sort()) {
    const a = from.get(p);
    const b = to.get(p);
    if (!a) out.push({ path: p, change: 'added' });
    else if (!b) out.push({ path: p, change: 'deleted' });
    else if (a.oid !== b.oid) out.push({ path: p, change: 'changed' });
    else if (a.mode !== b.mode) out.push({ path: p, change: 'mode' });
  }
  return out;
}

/** company → skill → explanation, for every override in a status result. */
export async function explainOverrides(config: Config, store: Store | null, result: SyncResult): Promise<Map<string, Map<string, OverrideExplanation>>> {
  const out = new Map<string, Map<string, OverrideExplanation>>();
  let overlay: ReturnType<typeof libraryOverlay> | undefined;
  for (const o of result.companies) {
    const picks = o.skills.filter((s) => isOverride(s.state));
    if (!o.ok || picks.length === 0) continue;
    overlay ??= libraryOverlay(config, store);
    overlay.addFolder(o.dir, store ? path.join(store.dataDir, 'cache', `company-${o.name}.json`) : null, config);
    const perSkill = new Map<string, OverrideExplanation>();
    for (const s of picks) {
      const against = s.base ? 'base' : 'library';
      const from = await flattenTree(overlay, s.base ?? s.library);
      const files = s.company === undefined ? [] : fileChanges(from, await flattenTree(overlay, s.company));
      perSkill.set(s.name, { deleted: s.company === undefined, against, files });
    }
    out.set(o.name, perSkill);
  }
  return out;
}

/** "changed SKILL.md, added notes.md; mode only: run.sh", or "deleted by the company". */
export function describeExplanation(e: OverrideExplanation): string {
  if (e.deleted) return 'deleted by the company';
  const list = (k: FileChangeKind, label: string) => {
    const paths = e.files.filter((f) => f.change === k).map((f) => f.path);
    if (paths.length === 0) return '';
    return `${label} ${paths.slice(0, 6).join(', ')}${paths.length > 6 ? ` and ${paths.length - 6} more` : ''}`;
  };
  const parts = [list('changed', 'changed'), list('added', 'added'), list('deleted', 'deleted'), list('mode', 'mode only:')].filter(Boolean);
  return parts.join('; ') || 'no file differs';
}
