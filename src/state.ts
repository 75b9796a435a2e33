/**
 * Run state that git history cannot carry: when each company last synced
 * successfully (a no-op run writes no commit) and the last error.
 */
import path from 'node:path';
import type { Store } from './store/store.js';
import { readJsonIfExists, writeFileAtomic } from './util/atomic.js';

export interface CompanyRunState {
  lastSync: string | null;
  lastAttempt: string | null;
  lastError: string | null;
  /** skill → the rollback that put its current version there (tree null: rolled back to absent). */
  rollbacks?: Record<string, { snapshot: string; tree: string | null; at: string }>;
}

export interface RunState {
  lastRun: { at: string; ok: boolean; failed: string[] } | null;
  companies: Record<string, CompanyRunState>;
}

function stateFile(store: Store): string {
  return path.join(store.dataDir, 'state.json');
}

export function readRunState(store: Store | null): RunState {
  const empty: RunState = { lastRun: null, companies: {} };
  if (!store) return empty;
  return readJsonIfExists<RunState>(stateFile(store)) ?? empty;
}

export function writeRunState(store: Store, state: RunState): void {
  writeFileAtomic(stateFile(store), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
