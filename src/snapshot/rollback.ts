/**
 * Rollback is a checkout of a snapshot's company trees into the folders, atomic
 * per skill like sync. The merge base is left alone, so a rolled-back skill
 * that differs from the library is an override: the next scheduled sync keeps
 * it, and `library push` resumes distribution.
 */
import path from 'node:path';
import { resolveCompanies, type Config } from '../config.js';
import { UsageError, errorMessage, isRunFatal } from '../errors.js';
import { companyRef, signature } from '../history.js';
import type { Logger } from '../log.js';
import { checkName } from '../names.js';
import { BlobReader } from '../apply/apply.js';
import { SkillWriter } from '../apply/writer.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { filterSkillMap, treeFilterFor } from '../scan/filter-tree.js';
import { observe, observeDuringRun, readCompany, recoverCompany, skillMapOf } from '../company.js';
import { readRunState, writeRunState } from '../state.js';
import type { Store } from '../store/store.js';
import { autoSnapshot, readSnapshot } from './snapshot.js';

export interface RollbackOptions {
  snapshot: string;
  companies?: string[];
  skills?: string[];
  dryRun: boolean;
}

export interface SkillRollback {
  skill: string;
  /** What the folder has now, and what the snapshot had (null: absent). */
  from: string | null;
  to: string | null;
}

export interface CompanyRollback {
  name: string;
  dir: string;
  ok: boolean;
  error: string | null;
  changes: SkillRollback[];
  skipped: string[];
  commit: string | null;
}

export interface RollbackResult {
  snapshot: string;
  dryRun: boolean;
  preSnapshot: string | null;
  companies: CompanyRollback[];
}

export async function runRollback(ctx: { config: Config; store: Store; log: Logger }, opts: RollbackOptions): Promise<RollbackResult> {
  const { config, store, log } = ctx;
  const snap = await readSnapshot(store, opts.snapshot);
  const configured = resolveCompanies(config).companies;
  const names = opts.companies?.length ? opts.companies : snap.companies.filter((n) => configured.some((c) => c.name === n));
  const targets = names.map((name) => {
    const company = configured.find((c) => c.name === name);
    if (!company) throw new UsageError(`unknown company "${name}": not in ${config.file}`);
    if (!snap.companyTrees.has(name)) throw new UsageError(`company "${name}" is not in snapshot/${snap.name} (it has: ${snap.companies.join(', ') || 'none'})`);
    return company;
  });
  const snapSkills = new Map<string, Map<string, string>>();
  // Litter a snapshot recorded (before the ignore rules) is not written back.
  const filter = treeFilterFor(ignoreRulesOf(config), store);
  for (const c of targets) {
    const skills = await skillMapOf(store, snap.companyTrees.get(c.name)!);
    snapSkills.set(c.name, await filterSkillMap(filter, store, skills, null));
  }
  for (const skill of opts.skills ?? []) {
    checkName('skill', skill);
    if (!targets.some((c) => snapSkills.get(c.name)!.has(skill))) {
      throw new UsageError(`skill "${skill}" is in no selected company of snapshot/${snap.name}`);
    }
  }

  // Plan every company first, so that a bad folder is reported before anything is written.
  const plans = await Promise.all(
    targets.map(async (company) => {
      const result: CompanyRollback = { name: company.name, dir: company.dir, ok: true, error: null, changes: [], skipped: [], commit: null };
      try {
        if (!opts.dryRun) recoverCompany(store, company, config);
        const view = await readCompany(store, company, config);
        const want = snapSkills.get(company.name)!;
        const scope = opts.skills?.length ? opts.skills : [...new Set([...want.keys(), ...view.scan.skills.keys()])].sort();
        for (const skill of scope) {
          if (view.scan.blocked.has(skill)) {
            result.skipped.push(`${skill}: ${view.scan.blocked.get(skill)!.message}`);
            continue;
          }
          const from = view.scan.skills.get(skill) ?? null;
          const to = want.get(skill) ?? null;
          if (from !== to) result.changes.push({ skill, from, to });
        }
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

  for (const p of plans) if (p.view) await observe(store, p.view);
  if (plans.some((p) => p.result.changes.length > 0)) {
    result.preSnapshot = await autoSnapshot(store, 'rollback', config.snapshotsKeep, `rollback to snapshot/${snap.name}`);
  }
  const blobs = new BlobReader(store);
  const runState = readRunState(store);
  const now = new Date().toISOString();
  for (const { result: r, view } of plans) {
    if (!view || r.changes.length === 0) continue;
    const writer = new SkillWriter({ store, blobs, identity: view.identity, cache: view.cache, maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
    const done: SkillRollback[] = [];
    const failures: string[] = [];
    const changed = new Map<string, string | null>();
    for (const change of r.changes) {
      try {
        if (change.to) await filter.ensure(store, change.to); // a snapshot tree filtered of litter is written when used
        const written = await writer.write(change.skill, change.from, change.to);
        if (written.done) done.push(change);
        else {
          changed.set(change.skill, written.found);
          failures.push(`skill ${change.skill} (${path.join(view.company.dir, change.skill)}): ${written.why}; the company's version is kept and recorded, roll it back again if you still want to`);
        }
      } catch (err) {
        if (isRunFatal(err)) throw err;
        failures.push(`skill ${change.skill} (${path.join(view.company.dir, change.skill)}): ${errorMessage(err)}`);
        log.error({ company: r.name, skill: change.skill, err }, `cannot roll back skill ${change.skill}`);
      }
    }
    view.cache.save(view.scanStarted);
    if (changed.size > 0) await observeDuringRun(store, view, changed);
    if (done.length > 0) {
      const entries = new Map((await store.readTree(view.headTree!)).map((e) => [e.name, e]));
      for (const c of done) {
        if (c.to) entries.set(c.skill, { name: c.skill, mode: '40000', oid: c.to });
        else entries.delete(c.skill);
      }
      const restored = done.filter((c) => c.to).map((c) => c.skill);
      const removed = done.filter((c) => !c.to).map((c) => c.skill);
      const what = [restored.length && `restored ${restored.join(', ')}`, removed.length && `removed ${removed.join(', ')}`].filter(Boolean).join('; ');
      r.commit = store.writeCommit({
        tree: store.writeTree([...entries.values()]),
        parents: [view.head!],
        author: signature(),
        message: `rollback to snapshot/${snap.name}: ${what}\n\nRollback-Snapshot: snapshot/${snap.name}\n`,
      });
      await store.updateRef(companyRef(r.name), r.commit, view.head);
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
