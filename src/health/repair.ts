/**
 * `library doctor --repair`: bring the store back to a state where every
 * company syncs and `git fsck --strict` is clean, keeping every object and
 * every commit that can still be read, and saying exactly what could not be
 * kept.
 *
 * 1. Damaged loose objects are deleted; every object the library folder, the
 *    library's git repository and the company folders still hold is written
 *    back (object ids are content addresses: any copy is the object).
 * 2. Every ref that still reaches a damaged object is rewritten by the
 *    Salvager (src/store/salvage.ts): what is intact keeps its id, damaged
 *    skills are dropped from the commits that held them, a snapshot keeps its
 *    intact companies. A company head that cannot be read is continued from
 *    the newest readable commit of that company among the store's objects.
 * 3. Every configured company whose head was rewritten, lost or missing gets
 *    a `repair` commit: its folder as it is now, the losses in the message.
 * 4. A missing or damaged `refs/bases/<company>` is rebuilt from the
 *    distribution history (bases.ts). A damaged `state.json` is set aside.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { policiesOf } from '../policy.js';
import { resolveCompanies, type Company } from '../companies.js';
import { errorMessage } from '../errors.js';
import { baseRef, companyRef, LIBRARY_REF, recordCommit } from '../refs.js';
import { findGitDir, readLibrary, repoObjects } from '../library/source.js';
import { recordScanTree } from '../scan/record.js';
import { scanSkillsFolder } from '../scan/scan.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { StatCache } from '../scan/stat-cache.js';
import { Salvager, FILES, SKILLS, SNAPSHOT, type Descend } from '../store/salvage.js';
import type { Store } from '../store/store.js';
import { damaged, listAllRefs, removeLooseObjects, verifyStore, type VerifyReport } from '../store/verify.js';
import { resetRunStateIfDamaged } from '../run-state.js';
import { baseFromHistory, needsBase } from './bases.js';
import { findLostTip } from './lost.js';

export interface RefRepair {
  ref: string;
  action: 'rewritten' | 'deleted' | 'rebuilt' | 're-observed';
  from: string | null;
  to: string | null;
  /** Exactly what this ref's history lost (empty: nothing, only its ancestry was rewritten). */
  lost: string[];
  /** What was done, when it needs saying. */
  detail?: string;
  /** Base entries dropped (internal: put back from the history in step 4). */
  dropped?: string[];
}

export interface RepairReport {
  before: VerifyReport;
  after: VerifyReport;
  /** Where objects were written back from. */
  rerecorded: string[];
  /** Damaged objects written back from the folders or the library repository. */
  restored: number;
  refs: RefRepair[];
  /** Folders that could not be read, and why: their companies were left as they were. */
  problems: string[];
  /** Set when state.json was damaged and set aside. */
  state: string | null;
  /** Packs that held a damaged object: unpacked into loose objects, then removed. */
  packsRemoved: string[];
}

const COMPANY_PREFIX = 'refs/heads/companies/';

/** How each kind of ref holds skills: whole skills are dropped from company, library and base trees. */
function descendFor(ref: string): Descend {
  if (ref.startsWith('refs/tags/') || /^refs\/hosts\/[^/]+\/tags\//.test(ref)) return SNAPSHOT;
  if (ref.startsWith('refs/heads/') || ref.startsWith('refs/bases/') || ref.startsWith('refs/remotes/') || /^refs\/hosts\/[^/]+\/(companies|heads)\//.test(ref)) return SKILLS;
  return FILES;
}

export async function repairStore(config: Config, store: Store): Promise<RepairReport> {
  const before = await verifyStore(store);
  const report: RepairReport = { before, after: before, rerecorded: [], restored: 0, refs: [], problems: [], state: resetRunStateIfDamaged(store), packsRemoved: [] };
  removeLooseObjects(store, damaged(before));
  // A damaged packed object: its pack is unpacked into loose objects (minus the damage) and removed.
  report.packsRemoved = store.explodePacksHolding(damaged(before));

  // 1. Write back what the folders and the library repository hold.
  const { companies } = resolveCompanies(config);
  const scans = new Map<string, string>();
  const record = (what: string, dir: string) => {
    try {
      const scan = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
      recordScanTree(store, scan.root, dir, true);
      report.rerecorded.push(what);
      return scan.root.oid;
    } catch (err) {
      report.problems.push(`${what} (${dir}): ${errorMessage(err)}`);
      return null;
    }
  };
  for (const c of companies) {
    const tree = record(`company ${c.name}`, c.dir);
    if (tree) scans.set(c.name, tree);
  }
  if (config.libraryDir) record('library', config.libraryDir);
  const repo = config.libraryDir ? findGitDir(config.libraryDir) : null;
  if (config.libraryDir) {
    try {
      await (await readLibrary(policiesOf(config).library, store)).copyInto(store);
    } catch (err) {
      report.problems.push(`library (${config.libraryDir}): ${errorMessage(err)}`);
    }
  }
  let mid = await verifyStore(store);
  if (repo) {
    const source = repoObjects(repo);
    // A restored tree may reveal children that are missing too: repeat until nothing more is found.
    for (let copied = 1; copied > 0 && damaged(mid).length > 0; ) {
      copied = 0;
      for (const oid of damaged(mid)) {
        if (!source.has(oid)) continue;
        const { type, content } = source.readObjectSync(oid);
        removeLooseObjects(store, [oid]);
        store.writeObject(type, content, oid);
        copied++;
      }
      if (copied) mid = await verifyStore(store);
    }
    report.rerecorded.push(`library repository ${repo.commonDir}`);
  }
  report.restored = damaged(before).length - damaged(mid).length;

  // 2. Rewrite every ref that still reaches damage.
  const bad = new Set(damaged(mid));
  // Trees an older version recorded with an entry git refuses are rewritten without it.
  const reserved = mid.reserved.length > 0;
  const salvager = new Salvager(store, bad, reserved);
  const changedHeads = new Map<string, RefRepair>();
  // A ref file that holds no object id is removed (a packed value under it, if any, shows through).
  const broken = new Map(mid.brokenRefs.map((b) => [b.ref, b.error]));
  for (const ref of broken.keys()) store.removeBrokenRef(ref);
  if (bad.size > 0 || broken.size > 0 || reserved) {
    for (const ref of [...new Set([...(await listAllRefs(store)), ...broken.keys()])].sort()) {
      let from = await store.readRef(ref);
      const lost: string[] = broken.has(ref) ? [`the ref file held no object id (${broken.get(ref)!.split(': the file')[0]}); it was removed`] : [];
      const headLike = ref.startsWith(COMPANY_PREFIX) || ref === LIBRARY_REF;
      if (!from) {
        if (!broken.has(ref) || !headLike) {
          if (broken.has(ref)) report.refs.push({ ref, action: 'deleted', from: null, to: null, lost });
          continue;
        }
        const found = findLostTip(store, ref, bad);
        lost.push(found ? `continued from ${found.tip.slice(0, 7)}, the newest readable commit of ${ref} among the store's objects` : "no commit of it was found among the store's objects: its history is lost");
        for (const oid of found?.damaged ?? []) bad.add(oid);
        if (!found) {
          report.refs.push({ ref, action: 'deleted', from: null, to: null, lost });
          if (ref.startsWith(COMPANY_PREFIX)) changedHeads.set(ref.slice(COMPANY_PREFIX.length), report.refs[report.refs.length - 1]);
          continue;
        }
        await store.updateRef(ref, found.tip, null);
        from = found.tip;
      }
      let to: string | null;
      const descend = descendFor(ref);
      const dropped: string[] = [];
      if (ref.startsWith('refs/bases/')) {
        const refused: string[] = [];
        to = salvager.pruneTree(from, descend, dropped, '', refused);
        lost.push(...dropped.map((n) => `the base of skill ${n} reached a damaged object`));
        if (refused.length) lost.push(`kept without ${refused.join(', ')} (entries git refuses)`);
      } else if (safeType(store, from) === 'tag') to = salvager.tag(from, descend, lost);
      else if (!salvager.commitReadable(from) && headLike) {
        // The head commit itself is lost (a power cut): continue from the newest one that survived.
        const found = findLostTip(store, ref, bad);
        lost.push(`commit ${from.slice(0, 7)} cannot be read${found ? `: continued from ${found.tip.slice(0, 7)}, the newest readable commit of ${ref} among the store's objects; the commits after it are lost` : ", and no older commit of it was found among the store's objects: its history is lost"}`);
        for (const oid of found?.damaged ?? []) bad.add(oid);
        to = found ? salvager.commit(found.tip, descend, lost) : null;
      } else to = salvager.commit(from, descend, lost);
      if (to === from && !broken.has(ref)) continue;
      const entry: RefRepair & { dropped?: string[] } = { ref, action: to ? 'rewritten' : 'deleted', from: broken.has(ref) ? null : from, to, lost, dropped };
      if (to) await store.updateRef(ref, to, await store.readRef(ref));
      else await store.deleteRef(ref);
      report.refs.push(entry);
      if (ref.startsWith(COMPANY_PREFIX)) changedHeads.set(ref.slice(COMPANY_PREFIX.length), entry);
    }
  }

  // 3. Re-observe every company whose head changed or is missing, from its folder.
  for (const c of companies) {
    const tree = scans.get(c.name);
    const head = await store.readRef(companyRef(c.name));
    const changed = changedHeads.get(c.name);
    const orphanBase = !head && (await store.readRef(baseRef(c.name))) !== null;
    if (!tree || (!changed && !orphanBase)) continue;
    const lost = changed?.lost ?? [`${companyRef(c.name)} was missing (its base was not)`];
    const commit = await repairCommit(store, c, tree, head, lost);
    report.refs.push({ ref: companyRef(c.name), action: 're-observed', from: head, to: commit, lost: [] });
  }

  // 4. Bases: rebuilt from the distribution history where missing; entries pruned above are put back the same way.
  for (const c of companies) {
    const ref = baseRef(c.name);
    const pruned = report.refs.find((r) => r.ref === ref);
    const missing = await needsBase(store, c.name);
    if (!pruned && !missing) continue;
    const rebuilt = await baseFromHistory(store, c.name, salvager);
    const current = await store.readRef(ref);
    const entries = new Map((current ? await store.readTree(current) : []).map((e) => [e.name, e]));
    const names = missing ? [...rebuilt.keys()] : (pruned?.dropped ?? []);
    for (const n of names) if (rebuilt.has(n)) entries.set(n, { name: n, mode: '40000', oid: rebuilt.get(n)! });
    if (entries.size === 0 && !current) continue; // nothing was ever distributed: the next sync is a first sync
    const tree = store.writeTree([...entries.values()]);
    if (tree === current) continue;
    await store.updateRef(ref, tree, current);
    const put = names.filter((n) => rebuilt.has(n));
    report.refs.push({
      ref,
      action: 'rebuilt',
      from: current,
      to: tree,
      lost: names.filter((n) => !rebuilt.has(n)).map((n) => `the base of skill ${n}: no distribution of it could be read`),
      detail: `${missing ? `${ref} was missing` : 'damaged entries'}: ${put.join(', ') || 'nothing'} rebuilt from the distribution commits (Library-Commit trailers)`,
    });
  }

  for (const r of report.refs) delete r.dropped;
  report.after = await verifyStore(store);
  if (reserved && report.after.reserved.length === 0) {
    // No ref reaches them any more; git fsck checks every object, reachable or not, so they go.
    const trees = [...new Set(mid.reserved.map((r) => r.tree))];
    removeLooseObjects(store, trees);
    report.packsRemoved.push(...store.explodePacksHolding(trees));
  }
  return report;
}

function safeType(store: Store, oid: string): string | null {
  try {
    return store.readObjectSync(oid).type;
  } catch {
    return null;
  }
}

function repairCommit(store: Store, company: Company, tree: string, head: string | null, lost: string[]): Promise<string> {
  const details = lost.length ? `What could not be kept:\n${lost.map((l) => `- ${l}`).join('\n')}\n\n` : '';
  return recordCommit(store, companyRef(company.name), head, {
    tree,
    message: `repair ${company.name}: re-observed from the folder by \`library doctor --repair\`\n\n${details}Company-Folder: ${path.resolve(company.dir)}\n`,
  });
}
