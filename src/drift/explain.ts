/**
 * Why a skill is an override, file by file: what the company's version holds
 * that its merge base (or, with no base yet, the library's version) does not.
 * So a person can tell a real customization from noise at a glance. Ignored
 * files never appear: they are in no tree.
 */
import type { Config } from '../config.js';
import type { FileMap } from '../merge/file-merge.js';
import type { Store } from '../store/store.js';
import { flattenTree, type FileEntry } from '../store/tree-files.js';
import type { SyncResult } from '../sync.js';
import { isOverride } from './analyze.js';
import { libraryOverlay } from './objects.js';
import { selectCompanies } from '../companies.js';
import { distinctFolders, folderCacheFile } from '../folders/scan.js';

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

/**
 * Pure: the files that differ between two flat file maps, sorted by path.
 * Paths equal under NFC are one file (as macOS treats them); where the two
 * spell it differently, the path shows both spellings' code points.
 */
export function fileChanges(from: FileMap, to: FileMap): FileChange[] {
  type Spelled = FileEntry & { path: string };
  const byForm = (m: FileMap) => {
    const groups = new Map<string, Spelled[]>();
    for (const [p, f] of m) {
      const key = p.normalize('NFC');
      groups.set(key, [...(groups.get(key) ?? []), { ...f, path: p }]);
    }
    return groups;
  };
  const [a, b] = [byForm(from), byForm(to)];
  const out: FileChange[] = [];
  const compare = (x: Spelled, y: Spelled, shown: string) => {
    if (x.oid !== y.oid) out.push({ path: shown, change: 'changed' });
    else if (x.mode !== y.mode) out.push({ path: shown, change: 'mode' });
  };
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const xs = a.get(key) ?? [];
    const ys = b.get(key) ?? [];
    if (xs.length > 1 || ys.length > 1) {
      // Two files whose names differ only in Unicode form (Linux keeps both): each spelling is its own file, shown by code points.
      const spelled = (p: string) => `${p} (spelled ${codePoints(p)})`;
      for (const y of ys) {
        const x = xs.find((e) => e.path === y.path);
        if (x) compare(x, y, spelled(y.path));
        else out.push({ path: spelled(y.path), change: 'added' });
      }
      for (const x of xs) if (!ys.some((e) => e.path === x.path)) out.push({ path: spelled(x.path), change: 'deleted' });
      continue;
    }
    const [x, y] = [xs[0], ys[0]];
    if (!x) out.push({ path: y.path, change: 'added' });
    else if (!y) out.push({ path: x.path, change: 'deleted' });
    else compare(x, y, x.path === y.path ? y.path : `${y.path} (spelled ${codePoints(y.path)}, was ${codePoints(x.path)})`);
  }
  return out;
}

/** The non-ASCII characters of a path as escapes, so two spellings that look alike read differently: `re\u0301sume\u0301.md`. */
function codePoints(p: string): string {
  return [...p].map((c) => (c.charCodeAt(0) < 128 ? c : `\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)).join('');
}

/** company → skill → explanation, for every override in a status result. */
export async function explainOverrides(config: Config, store: Store | null, result: SyncResult): Promise<Map<string, Map<string, OverrideExplanation>>> {
  const out = new Map<string, Map<string, OverrideExplanation>>();
  let overlay: ReturnType<typeof libraryOverlay> | undefined;
  for (const o of result.companies) {
    const picks = o.skills.filter((s) => isOverride(s.state));
    if (!o.ok || picks.length === 0) continue;
    overlay ??= libraryOverlay(config, store);
    // Every folder the company keeps (an override may be an edit made in any of them), each with its stat cache, read-only.
    const [company] = selectCompanies(config, [o.name]);
    for (const [i, { folder, real }] of distinctFolders(company).entries()) {
      if (real !== null) overlay.addFolder(folder.dir, store ? folderCacheFile(store.dataDir, o.name, folder.key, i === 0) : null, config);
    }
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
