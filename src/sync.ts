/**
 * The pipeline, as changesets runs a release: read → plan → apply.
 *   read  (src/pipeline/read.ts)   the library, each company's folder and history; writes nothing;
 *   plan  (src/pipeline/plan.ts)   pure: per company and skill, what --fix does, file merges included;
 *   apply (src/pipeline/apply.ts)  every write, in an order that keeps each folder's state in the store first.
 * A writing run first finishes what a killed run left in the folders (the
 * only write before the plan). `sync` prints the plan; `sync --fix` and
 * `push` apply it.
 */
import type { Config } from './config.js';
import type { Policies } from './policy.js';
import { resolveCompanies, selectCompanies, type ResolvedCompanies } from './companies.js';
import { UsageError } from './errors.js';
import type { Logger } from './log.js';
import { recoverCompany, skillMapOf } from './company.js';
import { readLibrary, type LibraryView } from './library/source.js';
import type { SyncRequest } from './merge/plan.js';
import { applySync } from './pipeline/apply.js';
import type { CompanyOutcome } from './pipeline/outcome.js';
import { planSync } from './pipeline/plan.js';
import { readWorkspace } from './pipeline/read.js';
import type { Store } from './store/store.js';

export { skillMapOf };
export type { CompanyOutcome };

export type SyncMode = 'plan' | 'fix' | 'push';

export interface SyncOptions {
  mode: SyncMode;
  companies?: string[];
  /** push: the skills to force. */
  skills?: string[];
  force?: boolean;
  allowEmptyLibrary?: boolean;
}

export interface SyncResult {
  mode: SyncMode;
  libraryCommit: string | null;
  library: LibraryView;
  companies: CompanyOutcome[];
  /** Companies matched by the glob but unusable (bad name). */
  problems: ResolvedCompanies['problems'];
  /** The automatic snapshot taken before changes, if any. */
  snapshot: string | null;
}

export interface SyncContext {
  config: Config;
  /** The slices of the config the lower layers get (src/policy.ts). */
  policies: Policies;
  /** null in plan mode when no store exists yet. */
  store: Store | null;
  log: Logger;
  /** Called as each company is done (progress on a terminal). */
  onCompanyDone?: (outcome: CompanyOutcome, done: number, total: number) => void;
}

export async function runSync(ctx: SyncContext, opts: SyncOptions): Promise<SyncResult> {
  const { config, store, log } = ctx;
  const writing = opts.mode !== 'plan' && store !== null;
  const request: SyncRequest = opts.mode === 'push' ? { kind: 'push', skills: new Set(opts.skills ?? []) } : { kind: 'sync' };

  // A push names skills: one that is not in the library is refused before anything is touched (recovery included).
  const pushLibrary = request.kind === 'push' ? await readLibrary(ctx.policies.library, store) : undefined;
  if (request.kind === 'push') checkPushable(pushLibrary!, request.skills);
  const recovered = new Map<string, string[]>();
  // The companies are looked up once: the recovery and the read see the same ones.
  const resolved = writing ? resolveCompanies(config) : undefined;
  if (writing) {
    for (const company of selectCompanies(config, opts.companies, resolved)) {
      try {
        recovered.set(company.name, recoverCompany(store, company, ctx.policies.scan));
      } catch {
        /* an unusable folder is reported by the read */
      }
    }
  }
  const ws = await readWorkspace(config, ctx.policies, store, { companies: opts.companies, request, library: pushLibrary, resolved });
  const { library } = ws;
  for (const p of [...library.problems, ...library.blocked.values()]) log.warn({ skill: p.skill, path: p.path }, p.message);
  // A library whose skills are all blocked is not empty: the run goes on (nothing blocked is touched) and exits 1 with the reasons.
  if (library.skills.size === 0 && library.blocked.size === 0 && !opts.allowEmptyLibrary) {
    throw new UsageError(
      `library ${library.source} has no skills: refusing to sync, since an unmounted or emptied library would remove every company's skills; pass --allow-empty-library if this is intended`,
    );
  }

  const started = Date.now();
  const planned = planSync(ws, request, ctx.policies.plan, { force: opts.force ?? false });
  for (const p of planned) p.outcome.recovered = recovered.get(p.outcome.name) ?? [];
  let done = 0;
  const report = (o: CompanyOutcome) => {
    logOutcome(log, o, opts.mode, Date.now() - started);
    ctx.onCompanyDone?.(o, ++done, planned.length);
  };
  let libraryCommit = ws.libraryCommit;
  let snapshot: string | null = null;
  if (writing) ({ libraryCommit, snapshot } = await applySync({ config, policies: ctx.policies, store, log, force: opts.force ?? false }, ws, planned, request, report));
  else for (const p of planned) report(p.outcome);
  return { mode: opts.mode, libraryCommit, library, companies: planned.map((p) => p.outcome), problems: ws.problems, snapshot };
}

const listSome = (xs: string[]) => (xs.length === 0 ? 'no skills' : xs.length <= 12 ? xs.join(', ') : `${xs.slice(0, 12).join(', ')} and ${xs.length - 12} more`);

function checkPushable(library: LibraryView, skills: ReadonlySet<string>): void {
  if (skills.size === 0) throw new UsageError('push needs at least one skill');
  for (const s of skills) {
    const problem = library.blocked.get(s);
    if (problem) throw new UsageError(`skill "${s}" cannot be pushed: ${problem.message}; nothing was pushed`);
  }
  const missing = [...skills].filter((s) => !library.skills.has(s));
  if (missing.length > 0) {
    throw new UsageError(`${missing.length === 1 ? 'skill' : 'skills'} "${missing.join('", "')}" ${missing.length === 1 ? 'is' : 'are'} not in the library (${library.source}): nothing was pushed; the library has ${listSome([...library.skills.keys()])}`);
  }
}

function logOutcome(log: Logger, o: CompanyOutcome, mode: SyncMode, durationMs: number): void {
  const fields = {
    company: o.name,
    action: mode,
    durationMs,
    added: o.applied.added.length,
    updated: o.applied.updated.length,
    removed: o.applied.removed.length,
    overrides: o.counts.override + o.counts['override-behind'],
    companyOnly: o.counts['company-only'],
    inSync: o.counts['in-sync'],
    blocked: o.blocked.length,
  };
  for (const line of o.recovered) log.warn({ company: o.name }, line);
  for (const b of o.blocked) log.warn({ company: o.name, skill: b.skill, path: b.path }, b.message);
  if (o.ok) log.info(fields, `${o.name}: ${mode} ok`);
  else log.error({ ...fields, err: o.error }, o.error ?? 'failed');
}
