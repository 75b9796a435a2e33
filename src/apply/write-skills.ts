/**
 * The per-skill write loop of every command that changes a company folder
 * (sync, push, rollback). Each skill goes through the compare-and-swap writer
 * (writer.ts). A skill the company changed while the run wrote is left as
 * found and recorded in the company's history before the caller's own commit;
 * a skill that cannot be written keeps its folder. Each is worded here, once.
 * One skill never stops the others; a lost lock stops everything.
 */
import path from 'node:path';
import { errorMessage, isRunFatal } from '../errors.js';
import type { Logger } from '../log.js';
import { observeDuringRun, type CompanyView } from '../company.js';
import type { Store } from '../store/store.js';
import type { SkillWriter } from './writer.js';

/** One skill to write: make `<folder>/<skill>` hold `next` (null: remove it), provided it holds `expected`. */
export interface SkillWrite {
  skill: string;
  expected: string | null;
  next: string | null;
}

export interface WriteLoop<T> {
  store: Store;
  writer: SkillWriter;
  view: CompanyView;
  log: Logger;
  /** What the command does to a skill, for the log: "update", "roll back". */
  verb: string;
  /** For commands that were asked for this exact skill (push, rollback): a skill changed meanwhile is not done, and this says how to retry. */
  retry?: string;
  skillOf(item: T): string;
  /** The writer for an item, when they differ (a company kept in several folders: one per folder). */
  writerOf?(item: T): SkillWriter;
  /** The write for an item, or null when it needs none; called just before it is written. */
  prepare(item: T): Promise<SkillWrite | null>;
  done(item: T, write: SkillWrite): void;
  /** The company changed the skill during the run: `found` is what the folder holds (recorded in the store). */
  changed(item: T, write: SkillWrite, found: string | null): void;
  failed(item: T): void;
}

export interface WriteLoopResult {
  /** One line per skill not done (failed, or changed meanwhile for a command with `retry`). */
  failures: string[];
  /** The observed commit recording what the company changed during the run, or null. */
  observedDuringRun: string | null;
}

export async function writeSkills<T>(items: Iterable<T>, loop: WriteLoop<T>): Promise<WriteLoopResult> {
  const { store, writer, view, log } = loop;
  const company = view.company;
  const failures: string[] = [];
  const changed = new Map<string, string | null>();
  for (const item of items) {
    const skill = loop.skillOf(item);
    try {
      const write = await loop.prepare(item);
      if (!write) continue;
      const result = await (loop.writerOf?.(item) ?? writer).write(write.skill, write.expected, write.next);
      if (result.done) {
        if (result.leftover) log.warn({ company: company.name, skill: write.skill }, result.leftover);
        loop.done(item, write);
        continue;
      }
      changed.set(write.skill, result.found);
      loop.changed(item, write, result.found);
      const kept = `skill ${write.skill} of ${company.name} (${path.join(company.dir, write.skill)}): ${result.why}; the company's version is kept and recorded`;
      if (loop.retry) failures.push(`${kept}: ${loop.retry}`);
      log.warn({ company: company.name, skill: write.skill }, kept);
    } catch (err) {
      if (isRunFatal(err)) throw err;
      loop.failed(item);
      failures.push(`skill ${skill} (${path.join(company.dir, skill)}): ${errorMessage(err)}`);
      log.error({ company: company.name, skill, err }, `cannot ${loop.verb} skill ${skill}`);
    }
  }
  view.cache.save(view.scanStarted);
  const observedDuringRun = changed.size > 0 ? await observeDuringRun(store, view, changed) : null;
  return { failures, observedDuringRun };
}
