/**
 * The writes of a company kept in several folders: every folder made to hold
 * the company's skill set after the plan (the library's version where the plan
 * takes it, the company's own version elsewhere, so an edit made in one folder
 * reaches the others), through the same compare-and-swap writer and per-skill
 * loop as a one-folder company, one writer per folder. A skill's outcome is
 * settled once, over all its folders. Then each folder's record is moved to
 * what it holds now.
 */
import { SkillWriter } from '../apply/writer.js';
import { writeSkills, type WriteLoopResult } from '../apply/write-skills.js';
import type { BlobReader } from '../apply/blob-reader.js';
import type { CompanyView } from '../company.js';
import type { Logger } from '../log.js';
import type { PlannedSkill } from '../merge/plan.js';
import type { ScanPolicy } from '../policy.js';
import { EMPTY_TREE_OID } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { folderWrites } from './combine.js';
import { recordFolders } from './record.js';
import type { FolderView } from './scan.js';
import { folderTree } from './view.js';

/** What happened to one skill over all the folders written. */
interface SkillOutcome {
  wrote: number;
  failed: boolean;
  /** A folder the company changed during the run, and what it holds. */
  changed?: { found: string | null };
}

export interface FolderSettle {
  /** Called once the skill reached every folder (or needed no write anywhere). */
  done(s: PlannedSkill, next: string | null, wrote: number): void;
  changed(s: PlannedSkill, found: string | null): void;
  failed(s: PlannedSkill): void;
}

export async function writeFolders(
  ctx: { store: Store; blobs: BlobReader; log: Logger; scan: ScanPolicy; retry?: string; force: boolean; beforeFirstChange: () => Promise<void> },
  view: CompanyView,
  skills: readonly PlannedSkill[],
  targetOf: (s: PlannedSkill) => string | null,
  settle: FolderSettle,
): Promise<WriteLoopResult> {
  const { store } = ctx;
  const folders = view.folders!.folders.filter((f) => f.identity);
  const targets = new Map<string, string | null>();
  const bySkill = new Map<string, PlannedSkill>();
  for (const s of skills) {
    if ((s.state === 'conflict' && s.action === 'keep-company') || view.scan.blocked.has(s.name)) continue;
    const t = targetOf(s);
    targets.set(s.name, t === EMPTY_TREE_OID ? null : t);
    bySkill.set(s.name, s);
  }
  const items: { s: PlannedSkill; folder: FolderView; expected: string | null; next: string | null }[] = [];
  // A conflict the plan leaves alone is written nowhere; one a push resolves is written everywhere.
  const combined = { conflicts: new Map([...view.conflicts].filter(([name]) => !bySkill.has(name))), companyOnly: view.companyOnly };
  for (const folder of folders) {
    for (const [name, w] of folderWrites(folder.state, targets, combined, ctx.force)) items.push({ s: bySkill.get(name)!, folder, ...w });
  }
  const writers = new Map(folders.map((f) => [f, new SkillWriter({ store, blobs: ctx.blobs, identity: f.identity!, cache: f.cache, maxFileBytes: ctx.scan.maxFileBytes, ignore: ctx.scan.ignore })]));
  const outcomes = new Map<string, SkillOutcome>();
  const outcomeOf = (name: string) => outcomes.get(name) ?? outcomes.set(name, { wrote: 0, failed: false }).get(name)!;
  const written = new Map<FolderView, Map<string, string | null>>(folders.map((f) => [f, new Map()]));
  const result = await writeSkills(items, {
    store,
    writer: writers.get(folders[0])!,
    writerOf: (item) => writers.get(item.folder)!,
    view,
    log: ctx.log,
    verb: 'update',
    retry: ctx.retry,
    skillOf: (item) => item.s.name,
    async prepare(item) {
      await ctx.beforeFirstChange();
      return { skill: item.s.name, expected: item.expected, next: item.next };
    },
    done(item) {
      outcomeOf(item.s.name).wrote++;
      written.get(item.folder)!.set(item.s.name, item.next);
    },
    changed(item, _w, found) {
      outcomeOf(item.s.name).changed = { found };
      written.get(item.folder)!.set(item.s.name, found);
    },
    failed(item) {
      outcomeOf(item.s.name).failed = true;
    },
  });
  for (const [name, s] of bySkill) {
    const o = outcomes.get(name);
    if (o?.changed) settle.changed(s, o.changed.found);
    else if (o?.failed) settle.failed(s);
    else settle.done(s, targets.get(name) ?? null, o?.wrote ?? 0);
  }
  for (const f of folders.slice(1)) f.cache.save(f.scanStarted); // the first folder's is the view's, saved by the loop
  // Each folder's record: what it holds now.
  const { records } = view.folders!;
  const trees = new Map<string, string>();
  for (const f of view.folders!.folders) trees.set(f.key, await folderTree(store, f, records.trees.get(f.key), written.get(f) ?? new Map()));
  await recordFolders(store, view.company.name, records, trees, `distribute to ${view.company.name}: its folders as written`);
  return result;
}
