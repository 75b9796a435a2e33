/** Human-readable output. JSON output is src/pipeline/report.ts, made from the same results. */
import type { CompanyOutcome, SyncResult } from '../sync.js';
import type { SkillState } from '../merge/decide.js';
import { formatAge } from '../health/health.js';
import { formatFinding } from '../validate/library.js';
import { sortByState, STATE_ORDER } from '../pipeline/report.js';

const short = (oid: string | null | undefined) => (oid ? oid.slice(0, 7) : '-');


const PLAN_WORDS: Record<string, string> = {
  'take-library': 'take library version',
  remove: 'remove',
  'keep-company': "keep company's version",
  merge: 'merge file by file: take library-only changes, keep company files',
  none: '',
};

/** Why a skill in a state that --fix leaves alone is left alone, when the state alone does not say it. */
export function stateNote(state: SkillState, company: string, skill: string): string {
  if (state !== 'git-checkout') return '';
  return `  (the company's own git checkout: library updates are not applied here; \`library push ${skill} --company ${company} --force\` applies the library's version and keeps its .git)`;
}

/**
 * How to undo a run that took `snapshot` first: a rollback to it scoped to the
 * companies and skills the run changed (company → skills), so that running it
 * later leaves alone what changed elsewhere since. Companies with the same
 * skills share one command. Null when the run changed nothing.
 */
export function undoCommand(snapshot: string, changed: ReadonlyMap<string, readonly string[]>): string | null {
  const name = snapshot.replace(/^snapshot\//, '');
  const groups = new Map<string, string[]>();
  for (const [company, skills] of changed) {
    if (skills.length === 0) continue;
    const key = [...skills].sort().join(' ');
    groups.set(key, [...(groups.get(key) ?? []), company]);
  }
  if (groups.size === 0) return null;
  return [...groups]
    .map(([skills, companies]) => `\`library rollback ${name} ${companies.map((c) => `--company ${c}`).join(' ')} ${skills.split(' ').map((s) => `--skill ${s}`).join(' ')}\``)
    .join(' and ');
}

export const undoNote = (command: string | null) => (command ? `to undo: ${command}` : 'nothing was changed: no undo needed');

export function libraryLine(result: SyncResult): string {
  const lib = result.library;
  const from = lib.kind === 'git' ? `HEAD ${short(lib.sourceCommit)} of ${lib.source}` : lib.kind === 'url' ? `${lib.source} (fetched ${short(lib.sourceCommit)})` : lib.source;
  let line = `library ${result.libraryCommit ? short(result.libraryCommit) : '(not yet recorded)'} from ${from}: ${lib.skills.size} skills`;
  if (lib.uncommitted.length) line += `\n  uncommitted library edits (not distributed until committed): ${lib.uncommitted.join(', ')}`;
  for (const p of [...lib.problems, ...lib.blocked.values()]) line += `\n  skipped: ${p.message}`;
  for (const w of lib.warnings) line += `\n  warning: ${formatFinding(w, lib.source)}`;
  return line;
}

export function companyCounts(o: CompanyOutcome): string {
  const parts = STATE_ORDER.filter((s) => o.counts[s] > 0).map((s) => `${o.counts[s]} ${s}`);
  return parts.join(', ') || 'no skills';
}

export function formatPlan(result: SyncResult): string {
  const lines = [libraryLine(result)];
  for (const o of result.companies) {
    if (!o.ok && o.skills.length === 0) {
      lines.push(`${o.name}: FAILED: ${o.error}`);
      continue;
    }
    const pending = o.skills.filter((s) => s.state !== 'in-sync' && s.state !== 'company-only');
    lines.push(`${o.name}: ${companyCounts(o)}`);
    for (const s of sortByState(pending)) lines.push(`  ${s.state.padEnd(17)} ${s.name.padEnd(24)} ${result.mode === 'plan' ? PLAN_WORDS[s.action] : ''}${stateNote(s.state, o.name, s.name)}`.trimEnd());
    for (const b of o.blocked) lines.push(`  skipped           ${b.message}`);
    for (const r of o.recovered) lines.push(`  recovered         ${r}`);
    for (const c of o.applied.changedDuringRun) lines.push(`  changed meanwhile ${c}: edited in the folder while this run wrote it; the company's version is kept and recorded`);
    if (result.mode !== 'plan') lines.push(`  → ${appliedLine(o, result.libraryCommit)}`);
    for (const m of o.merges) {
      for (const f of [...m.fromLibrary, ...m.lineMerged]) lines.push(`  merged            ${m.skill}/${f} from the library`);
      for (const c of m.conflicts) lines.push(`  CONFLICT          ${m.skill}/${c.path}: ${c.reason}; company version kept (see \`library diff --company ${o.name} --skill ${m.skill}\`)`);
    }
    if (!o.ok) lines.push(`  FAILED: ${o.error}`);
  }
  for (const p of result.problems) lines.push(`skipped company: ${p.message}`);
  if (result.mode === 'plan') lines.push(`(plan only: nothing written${result.library.kind === 'url' ? " but the library's fetch" : ''}; run \`library sync --fix\` to apply)`);
  return lines.join('\n');
}

/** What a run did to one company's folder, and the commit that records it. */
function appliedLine(o: CompanyOutcome, libraryCommit: string | null): string {
  const a = o.applied;
  const did = [
    a.added.length && `added ${a.added.join(', ')}`,
    a.updated.length && `updated ${a.updated.join(', ')}`,
    a.removed.length && `removed ${a.removed.join(', ')}`,
    a.merged.length && `merged library changes into ${a.merged.join(', ')}`,
    a.copied.length && `copied the company's version to its other folders: ${a.copied.join(', ')}`,
  ].filter(Boolean);
  const commit = o.commits.distribution ? ` (commit ${short(o.commits.distribution)})` : '';
  if (did.length) return `${did.join('; ')}${commit}`;
  // A distribution commit with no change: the library moved, and nothing of the move reaches this company.
  if (!o.ok) return 'the folder was not changed';
  return commit ? `nothing to change in the folder; recorded library ${short(libraryCommit)} as distributed${commit}` : 'nothing to change';
}

export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  return `${formatAge(Math.max(0, Math.round((now - Date.parse(iso)) / 1000)))} ago`;
}

/** `note` adds text after a skill's line (status: where a rollback came from, the override's reason). */
export function formatStatus(result: SyncResult, note: (company: string, skill: string) => string = () => ''): string {
  const lines = [libraryLine(result)];
  for (const o of result.companies) {
    if (!o.ok) {
      lines.push(`${o.name}: FAILED: ${o.error}`);
      continue;
    }
    lines.push(`${o.name}: last sync ${ago(o.lastSync)}, distributed library ${short(o.distributedCommit)}; ${companyCounts(o)}`);
    for (const s of sortByState(o.skills.filter((x) => x.state !== 'in-sync'))) lines.push(`  ${s.state.padEnd(17)} ${s.name}${note(o.name, s.name)}${stateNote(s.state, o.name, s.name)}`);
    for (const b of o.blocked) lines.push(`  skipped           ${b.message}`);
  }
  for (const p of result.problems) lines.push(`skipped company: ${p.message}`);
  return lines.join('\n');
}
