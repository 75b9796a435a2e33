/**
 * `library override`: record why a company's version of a skill is meant to
 * differ from the library, as a git note on a company commit that holds that
 * very version (observed now if need be), so the reason follows the version.
 */
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { SyncResult } from '../sync.js';
import { isOverride } from './analyze.js';
import { observeVersion, plannedSkillOf } from './observe.js';
import { writeReason, type OverrideReason } from './reasons.js';

/** The reason as recorded (a note on `commit`), with the skill's state and what was written for it. */
export interface OverrideRecorded extends OverrideReason {
  state: string;
  notesCommit: string;
  /** The observed commit written first, or null. */
  observed: string | null;
  store: string;
}

/** `result`: the plan for `company` as its folder is now, read under the lock this runs in. */
export async function recordOverride(config: Config, store: Store, result: SyncResult, skill: string, company: string, reason: string): Promise<OverrideRecorded> {
  const { outcome: o, planned } = plannedSkillOf(result, company, skill);
  if (!planned || !isOverride(planned.state)) {
    const state = planned ? `is ${planned.state}` : 'does not exist in the company or the library';
    throw new UsageError(`${o.name}'s ${skill} ${state}: only an override (the company's version differs from the library's) takes a reason`);
  }
  const seen = await observeVersion(store, o, skill, planned.company ?? null, config, 'the reason was being recorded');
  const record = { company: o.name, skill, tree: seen.tree, reason, recorded: new Date().toISOString(), commit: seen.head };
  const notesCommit = await writeReason(store, record);
  return { ...record, state: planned.state, notesCommit, observed: seen.observed, store: store.gitdir };
}
