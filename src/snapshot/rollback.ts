/**
 * Rollback is a checkout of a snapshot's company trees into the folders, atomic
 * per skill like sync. The merge base is left alone, so a rolled-back skill
 * that differs from the library is an override, and a skill the rollback
 * removed is an override by deletion: the next scheduled sync keeps both (a
 * rollback is the undo of a sync; if the schedule re-added what it removed,
 * it would undo nothing). `library push` resumes distribution. Guarded like
 * sync: removing more than safety.maxRemovePercent of a company's skills
 * needs --force.
 */
import type { Config } from '../config.js';
import type { ScanPolicy } from '../policy.js';
import { resolveCompanies, unknownCompany } from '../companies.js';
import { UsageError, errorMessage, isRunFatal } from '../errors.js';
import { companyRef, LIBRARY_REF, recordCommit } from '../refs.js';
import type { Logger } from '../log.js';
import { checkName } from '../names.js';
import { decideSkill, type SkillState } from '../merge/decide.js';
import { removalGuard } from '../merge/plan.js';
import { BlobReader } from '../apply/blob-reader.js';
import { SkillWriter } from '../apply/writer.js';
import { writeSkills } from '../apply/write-skills.js';
import { combineFolders } from '../folders/combine.js';
import { folderKeyOf } from '../folders/config.js';
import { recordFolders } from '../folders/record.js';
import type { FolderView } from '../folders/scan.js';
import { folderTree } from '../folders/view.js';
import type { CompanyView } from '../company.js';
import { filterSkillMap, treeFilterFor } from '../scan/filter-tree.js';
import { observe, observeConflictSides, scanCompany, recoverCompany, skillMapOf } from '../company.js';
import { readRunState, writeRunState } from '../run-state.js';
import type { Store } from '../store/store.js';
import { autoSnapshot, readSnapshot } from './snapshot.js';

export interface RollbackOptions {
  snapshot: string;
  companies?: string[];
  skills?: string[];
  dryRun: boolean;
  /** Allow removing more than safety.maxRemovePercent of a company's skills. */
  force?: boolean;
}

export interface SkillRollback {
  skill: string;
  change: 'added' | 'replaced' | 'removed';
  /** What the folder has now, and what the snapshot had (null: absent). */
  from: string | null;
  to: string | null;
  /**
   * What the next `sync --fix` does to the rolled-back skill, judged against the
   * library as last recorded: `kept` (an override, or equal to the library), or
   * it takes the library's version, removes it, or merges library files into it.
   */
  nextSync: 'kept' | 'take-library' | 'remove' | 'merge';
  /** The skill's state once rolled back (`override` for a version that differs from the library, or a removal of a library skill); null: a company-only skill removed. */
  state: SkillState | null;
  /** The library (as last recorded) has this skill: `library push` can bring its version back. */
  inLibrary: boolean;
  /**
   * A company kept in several folders whose folders held the skill as a conflict in the snapshot: each folder's
   * version (folder → tree, null: absent), given back to each folder (`to` stays the company's recorded version).
   */
  folders?: Record<string, string | null>;
  /** The company's folders held the skill as a conflict until the rollback replaced each (their edits are on its history). */
  wasConflict?: true;
}

export interface CompanyRollback {
  name: string;
  dir: string;
  ok: boolean;
  error: string | null;
  /** Skills the folder holds now. */
  skills: number;
  changes: SkillRollback[];
  /** Set when the removals exceed safety.maxRemovePercent (the rollback is refused without --force). */
  guard: string | null;
  skipped: string[];
  commit: string | null;
}

/** A rollback the mass-deletion guard refused: nothing was written. `result` is the plan. Exit 2. */
export class RollbackRefusedError extends UsageError {
  override readonly code = 'EROLLBACKGUARD';
  constructor(
    message: string,
    readonly result: RollbackResult,
  ) {
    super(message);
  }
}

export interface RollbackResult {
  snapshot: string;
  dryRun: boolean;
  preSnapshot: string | null;
  companies: CompanyRollback[];
}

/** What the next sync does to a skill the rollback leaves as `to` (the merge table, with the base the rollback keeps). */
function nextSyncOf(base: Map<string, string> | null, skill: string, library: string | undefined, to: string | null, merge: Config['merge']): Pick<SkillRollback, 'nextSync' | 'state'> {
  const inputs = { base: base?.get(skill), library, company: to ?? undefined, firstSync: base === null };
  const { state, action } = decideSkill(inputs);
  if (to === null && library === undefined) return { nextSync: 'kept', state: null };
  if (action === 'take-library' || action === 'remove') return { nextSync: action, state };
  // With file-level merges an override-behind gets the library's changes to files it did not change.
  return { nextSync: state === 'override-behind' && merge !== 'skill' && inputs.base && to ? 'merge' : 'kept', state };
}

export async function runRollback(ctx: { config: Config; scan: ScanPolicy; store: Store; log: Logger }, opts: RollbackOptions): Promise<RollbackResult> {
  const { config, scan, store, log } = ctx;
  const snap = await readSnapshot(store, opts.snapshot);
  const configured = resolveCompanies(config).companies;
  const names = opts.companies?.length ? opts.companies : snap.companies.filter((n) => configured.some((c) => c.name === n));
  const targets = names.map((name) => {
    const company = configured.find((c) => c.name === name);
    if (!company) throw unknownCompany(name, configured.map((c) => c.name), config.file);
    if (!snap.companyTrees.has(name)) throw new UsageError(`company "${name}" is not in snapshot/${snap.name} (it has: ${snap.companies.join(', ') || 'none'})`);
    return company;
  });
  const snapSkills = new Map<string, Map<string, string>>();
  // Litter a snapshot recorded (before the ignore rules) is not written back.
  const filter = treeFilterFor(scan.ignore, store);
  for (const c of targets) {
    const skills = await skillMapOf(store, snap.companyTrees.get(c.name)!);
    snapSkills.set(c.name, await filterSkillMap(filter, store, skills, null));
  }
  // What the next sync will do to each rolled-back skill is judged against the library as last recorded.
  const libraryTip = await store.readRef(config.libraryRef ?? LIBRARY_REF);
  const library = libraryTip ? await skillMapOf(store, (await store.readCommit(libraryTip)).tree) : new Map<string, string>();
  const recorded = async (name: string) => {
    const head = await store.readRef(companyRef(name));
    return head ? skillMapOf(store, (await store.readCommit(head)).tree) : new Map<string, string>();
  };
  for (const skill of opts.skills ?? []) {
    checkName('skill', skill);
    // A skill added since the snapshot (the undo of a push that added it) is known too: rolling it back removes it.
    if (targets.some((c) => snapSkills.get(c.name)!.has(skill))) continue;
    if (!(await Promise.all(targets.map((c) => recorded(c.name)))).some((m) => m.has(skill))) {
      throw new UsageError(`skill "${skill}" is in no selected company of snapshot/${snap.name}, nor recorded in one since: check the name (\`library rollback ${snap.name} --dry-run\` lists each company's changes)`);
    }
  }

  // Plan every company first, so that a bad folder is reported before anything is written.
  const plans = await Promise.all(
    targets.map(async (company) => {
      const result: CompanyRollback = { name: company.name, dir: company.dir, ok: true, error: null, skills: 0, changes: [], guard: null, skipped: [], commit: null };
      try {
        if (!opts.dryRun) recoverCompany(store, company, scan);
        const view = await scanCompany(store, company, scan);
        result.skills = view.scan.skills.size;
        const want = snapSkills.get(company.name)!;
        const snapFolders = view.folders ? await folderRecordsOf(store, filter, snap.folderTrees.get(company.name)) : null;
        // A skill that cannot be read now is on disk all the same: named as skipped, never removed.
        const scope = opts.skills?.length ? opts.skills : [...new Set([...want.keys(), ...view.scan.skills.keys(), ...view.scan.blocked.keys()])].sort();
        for (const skill of scope) {
          if (view.scan.blocked.has(skill)) {
            result.skipped.push(`${skill}: ${view.scan.blocked.get(skill)!.message}`);
            continue;
          }
          const from = view.scan.skills.get(skill) ?? null;
          const to = want.get(skill) ?? null;
          const sides = conflictSides(view, snapFolders, skill, to, library.get(skill));
          // A conflict, now or in the snapshot: the folders disagree though the company's agreed version is `to`. Any
          // other difference between folders (a company-only skill's other copies, a checkout) is not the rollback's.
          const conflict = sides !== undefined || view.conflicts.has(skill);
          if (from === to && !(conflict && rollbackWrites(view, { skill, from, to, folders: sides }).length > 0)) continue;
          // (from and to both null: a conflict whose agreed version is no skill; the folders that hold one lose it.)
          const change = to === null ? 'removed' : from === null ? 'added' : 'replaced';
          const next = sides ? { nextSync: 'kept' as const, state: 'conflict' as const, folders: sides } : nextSyncOf(view.base, skill, library.get(skill), to, config.merge);
          result.changes.push({ skill, change, from, to, ...next, inLibrary: library.has(skill), ...(view.conflicts.has(skill) && { wasConflict: true as const }) });
        }
        const over = removalGuard(result.changes.filter((c) => c.change === 'removed').map((c) => c.skill), result.skills, config.maxRemovePercent);
        if (over) result.guard = `${company.name} ${over}`;
        return { result, view };
      } catch (err) {
        if (isRunFatal(err)) throw err;
        result.ok = false;
        result.error = `company ${company.name} (${company.dir}): ${errorMessage(err)}`;
        return { result, view: null };
      }
    }),
  );
  const result: RollbackResult = { snapshot: `snapshot/${snap.name}`, dryRun: opts.dryRun, preSnapshot: null, companies: plans.map((p) => p.result) };
  if (opts.dryRun) return result;
  const guarded = result.companies.filter((c) => c.guard);
  if (guarded.length > 0 && !opts.force) {
    throw new RollbackRefusedError(
      `rollback to snapshot/${snap.name} refused, nothing was written: ${guarded.map((c) => c.guard).join('; ')}; check the plan with \`library rollback ${snap.name} --dry-run\` (or roll back single skills with --skill), then rerun with --force to remove them`,
      result,
    );
  }

  for (const p of plans) {
    if (!p.view) continue;
    await observe(store, p.view);
    // As a push over a conflict does: each folder's edit goes into the company's history before the rollback replaces it.
    await observeConflictSides(store, p.view, p.result.changes.map((c) => c.skill));
  }
  if (plans.some((p) => p.result.changes.length > 0)) {
    result.preSnapshot = await autoSnapshot(store, 'rollback', config.snapshotsKeep, `rollback to snapshot/${snap.name}`);
  }
  const blobs = new BlobReader(store);
  const runState = readRunState(store);
  const now = new Date().toISOString();
  for (const { result: r, view } of plans) {
    if (!view || r.changes.length === 0) continue;
    const writer = new SkillWriter({ store, blobs, identity: view.identity, cache: view.cache, maxFileBytes: scan.maxFileBytes, ignore: scan.ignore });
    // Every folder of the company (one, or each of config `folders` that holds the skill differently) gets the snapshot's version.
    const items = r.changes.flatMap((change) => rollbackWrites(view, change).map((w) => ({ change, ...w })));
    const writers = new Map<FolderView, SkillWriter>();
    const writerOf = (f: FolderView) => writers.get(f) ?? writers.set(f, new SkillWriter({ store, blobs, identity: f.identity!, cache: f.cache, maxFileBytes: scan.maxFileBytes, ignore: scan.ignore })).get(f)!;
    const notDone = new Set<SkillRollback>();
    const written = new Map<FolderView, Map<string, string | null>>();
    const { failures } = await writeSkills(items, {
      store,
      writer,
      writerOf: (item) => (item.folder ? writerOf(item.folder) : writer),
      view,
      log,
      verb: 'roll back',
      retry: 'roll it back again if you still want to',
      skillOf: (item) => item.change.skill,
      async prepare({ change, expected, next }) {
        if (next) await filter.ensure(store, next); // a snapshot tree filtered of litter is written when used
        return { skill: change.skill, expected, next };
      },
      done: (item) => item.folder && (written.get(item.folder) ?? written.set(item.folder, new Map()).get(item.folder)!).set(item.change.skill, item.next),
      changed: (item) => notDone.add(item.change),
      failed: (item) => notDone.add(item.change),
    });
    const done = r.changes.filter((c) => !notDone.has(c));
    if (view.folders) await recordRolledBackFolders(store, view, written);
    if (done.length > 0) {
      const entries = new Map((await store.readTree(view.headTree!)).map((e) => [e.name, e]));
      for (const c of done) {
        if (c.to) entries.set(c.skill, { name: c.skill, mode: '40000', oid: c.to });
        else entries.delete(c.skill);
      }
      const restored = done.filter((c) => c.to).map((c) => c.skill);
      const removed = done.filter((c) => !c.to).map((c) => c.skill);
      const what = [restored.length && `restored ${restored.join(', ')}`, removed.length && `removed ${removed.join(', ')}`].filter(Boolean).join('; ');
      r.commit = await recordCommit(store, companyRef(r.name), view.head, {
        tree: store.writeTree([...entries.values()]),
        message: `rollback to snapshot/${snap.name}: ${what}\n\nRollback-Snapshot: snapshot/${snap.name}\n`,
      });
      view.head = r.commit;
      const state = (runState.companies[r.name] ??= { lastSync: null, lastAttempt: null, lastError: null });
      state.rollbacks ??= {};
      for (const c of done) state.rollbacks[c.skill] = { snapshot: `snapshot/${snap.name}`, tree: c.to, at: now };
    }
    r.changes = done;
    if (failures.length) {
      r.ok = false;
      r.error = `company ${r.name} (${r.dir}): ${failures.join('; ')}`;
    }
    log.info({ company: r.name, action: 'rollback', snapshot: snap.name, skills: done.length }, `${r.name}: rolled back ${done.length} skills`);
  }
  writeRunState(store, runState);
  filter.save();
  return result;
}

/**
 * The writes that roll `change` back: into the one folder, or into each folder of several that holds the skill
 * otherwise (never through a link), each folder its own version where the snapshot held a conflict.
 */
function rollbackWrites(view: CompanyView, change: Pick<SkillRollback, 'skill' | 'from' | 'to' | 'folders'>): { folder: FolderView | null; expected: string | null; next: string | null }[] {
  if (!view.folders) return [{ folder: null, expected: change.from, next: change.to }];
  const folders = view.folders.folders.filter((f) => f.identity && !f.state.blocked.has(change.skill) && !f.state.links.has(change.skill));
  // A company-only skill goes back where it is (or into the first folder); a library skill into every folder.
  const companyOnly = view.companyOnly.has(change.skill);
  const holders = folders.filter((f) => f.state.skills.has(change.skill));
  const into = companyOnly ? (holders.length ? holders : folders.slice(0, 1)) : folders;
  const nextIn = (f: FolderView) => (change.folders && f.key in change.folders ? change.folders[f.key] : change.to);
  return into.map((f) => ({ folder: f, expected: f.state.skills.get(change.skill) ?? null, next: nextIn(f) })).filter((w) => w.expected !== w.next);
}

/** A snapshot's record of each folder of a company (folder → skill → tree, filtered of litter as the company's trees are), or null: none recorded. */
async function folderRecordsOf(store: Store, filter: ReturnType<typeof treeFilterFor>, tree: string | undefined): Promise<Map<string, Map<string, string>> | null> {
  if (!tree) return null;
  const out = new Map<string, Map<string, string>>();
  for (const e of await store.readTree(tree)) out.set(folderKeyOf(e.name), await filterSkillMap(filter, store, await skillMapOf(store, e.oid), null));
  return out;
}

/**
 * Each folder's version of `skill` in the snapshot when its folders held it as a conflict then (two edits: the
 * company's recorded version in none of them), judged by the same rule as a sync: given back, the next sync sees
 * the conflict again and overwrites neither. Undefined otherwise: every folder gets the company's version.
 */
function conflictSides(view: CompanyView, recorded: Map<string, Map<string, string>> | null, skill: string, to: string | null, library: string | undefined): Record<string, string | null> | undefined {
  if (!view.folders || !recorded) return undefined;
  const one = (t: string | null | undefined): Map<string, string> => new Map(t ? [[skill, t]] : []);
  const sides: Record<string, string | null> = {};
  for (const f of view.folders.folders) sides[f.key] = recorded.has(f.key) ? (recorded.get(f.key)!.get(skill) ?? null) : to;
  const folders = view.folders.folders.map((f) => ({ ...f.state, skills: one(sides[f.key]), recorded: one(sides[f.key]), sameAs: undefined }));
  const base = view.base?.get(skill);
  const { conflicts } = combineFolders({ folders, recorded: one(to), library: one(library), base: base === undefined ? null : one(base) });
  return conflicts.has(skill) ? sides : undefined;
}

/** Each folder's record after a rollback of a company kept in several folders. */
async function recordRolledBackFolders(store: Store, view: CompanyView, written: Map<FolderView, Map<string, string | null>>): Promise<void> {
  const { folders, records } = view.folders!;
  const trees = new Map<string, string>();
  for (const f of folders) trees.set(f.key, await folderTree(store, f, records.trees.get(f.key), written.get(f)));
  await recordFolders(store, view.company.name, records, trees, `rollback of ${view.company.name}: its folders as written`);
}
