/**
 * Run state that git history cannot carry: when each company last synced
 * successfully (a no-op run writes no commit) and the last error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError, errorMessage } from './errors.js';
import { EXIT_STATUS, worsened } from './exit-codes.js';
import type { ReadonlyStore, Store } from './store/store.js';
import { readJsonIfExists, writeFileAtomic } from './util/atomic.js';

export interface CompanyRunState {
  lastSync: string | null;
  lastAttempt: string | null;
  lastError: string | null;
  /** What its last sync or push skipped (blocked skills): kept until it is attempted again, so a run of other companies does not hide it. */
  skipped?: string[];
  /** skill → the rollback that put its current version there (tree null: rolled back to absent). */
  rollbacks?: Record<string, { snapshot: string; tree: string | null; at: string }>;
}

/**
 * The last writing run (`sync --fix` or `push`), as its exit code saw it, so
 * that `status --check` knows everything the scheduler's exit status knows.
 */
export interface LastRun {
  at: string;
  /** exitCode === 0. */
  ok: boolean;
  failed: string[];
  /** The exit code the run's command gave (absent in state files written before it was recorded). */
  exitCode?: number;
  /** What the run skipped that belongs to no company (each company's own are in its state): library skills that failed validation, invalid company names, an index that was not rebuilt. */
  skipped?: string[];
}

export interface RunState {
  lastRun: LastRun | null;
  companies: Record<string, CompanyRunState>;
}

function stateFile(store: Pick<ReadonlyStore, 'dataDir'>): string {
  return path.join(store.dataDir, 'state.json');
}

export function readRunState(store: Pick<ReadonlyStore, 'dataDir'> | null): RunState {
  const empty: RunState = { lastRun: null, companies: {} };
  if (!store) return empty;
  const file = stateFile(store);
  const state = readJsonIfExists<RunState>(file, 'run `library doctor --repair` to set it aside and start a fresh one (last-sync times and rollback marks start again)');
  if (state !== undefined && (typeof state !== 'object' || state === null || typeof state.companies !== 'object' || state.companies === null)) {
    throw new StoreError(`${file} is damaged (not a run state): run \`library doctor --repair\` to set it aside and start a fresh one`);
  }
  return state ?? empty;
}

/** For `doctor --repair`: a state.json that cannot be read is renamed aside (kept for a person to read). */
export function resetRunStateIfDamaged(store: Store): string | null {
  try {
    readRunState(store);
    return null;
  } catch (err) {
    const file = stateFile(store);
    const aside = `${file}.damaged-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    fs.renameSync(file, aside);
    return `${file} could not be read (${errorMessage(err).split(': run ')[0]}); moved to ${aside}, a fresh one starts with the next sync`;
  }
}

export function writeRunState(store: Store, state: RunState): void {
  writeFileAtomic(stateFile(store), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/** A search-index failure after a sync makes the run's exit code 1: record it with the run (under the run's lock). */
export function recordRunProblem(store: Store, problem: string): void {
  const state = readRunState(store);
  if (!state.lastRun) return;
  const exitCode = worsened(state.lastRun.exitCode ?? EXIT_STATUS.ok, 'needs-attention');
  state.lastRun = { ...state.lastRun, ok: false, exitCode, skipped: [...(state.lastRun.skipped ?? []), problem] };
  writeRunState(store, state);
}
