import type { Command } from 'commander';
import { RollbackRefusedError, type RollbackResult, type SkillRollback } from '../snapshot/rollback.js';
import { collect, engineOf, loadContext, parseSeconds, printJson, run } from './context.js';
import { undoCommand, undoNote } from './format.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback <snapshot>')
    .description("check a snapshot's company trees out into the company folders (all, some companies, or single skills)")
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--skill <name>', 'only this skill (repeatable)', collect)
    .option('--dry-run', 'print the plan (added, replaced, removed per skill); write nothing')
    .option('--force', 'allow removing more than safety.maxRemovePercent of a company\'s skills')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (snapshot: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        let result: RollbackResult;
        try {
          result = await engineOf(ctx, opts.wait).rollback(snapshot, { companies: opts.company, skills: opts.skill, dryRun: Boolean(opts.dryRun), force: Boolean(opts.force) });
        } catch (err) {
          // Refused by the guard: show the plan it refused, then the one-line error (exit 2).
          if (err instanceof RollbackRefusedError) {
            if (opts.json) printJson({ ...err.result, refused: err.message });
            else console.log(formatRollback(err.result, true));
          }
          throw err;
        }
        if (opts.json) printJson({ ...result, refused: null });
        else console.log(formatRollback(result));
        return result.companies.map((c) => !c.ok && 'incomplete');
      }),
    );
}

const NEXT_SYNC: Record<Exclude<SkillRollback['nextSync'], 'kept'>, string> = {
  'take-library': "takes the library's version again",
  remove: 'removes it again (the library deleted it)',
  merge: "merges the library's changes into it, file by file",
};

/** The plan, per company and skill, and what the next sync will do with it. */
export function formatRollback(r: RollbackResult, refused = false): string {
  const lines: string[] = [];
  const planOnly = r.dryRun || refused;
  // The undo names what this rollback changed (within its --company and --skill), so that it leaves alone what later runs changed elsewhere.
  if (r.preSnapshot) lines.push(`snapshot ${r.preSnapshot} taken first (${undoNote(undoCommand(r.preSnapshot, new Map(r.companies.map((c) => [c.name, c.changes.map((x) => x.skill)]))))})`);
  for (const c of r.companies) {
    if (!c.ok && c.changes.length === 0) {
      lines.push(`${c.name}: FAILED: ${c.error}`);
      continue;
    }
    if (c.changes.length === 0) lines.push(`${c.name}: already as in ${r.snapshot}`);
    else lines.push(`${c.name}: ${planOnly ? 'would roll back' : 'rolled back'} to ${r.snapshot} (${c.skills} skills now):`);
    for (const x of c.changes) lines.push(`  ${x.change.padEnd(9)} ${x.skill.padEnd(24)} → ${x.state ?? 'gone'}${x.wasConflict ? '  (was conflict)' : ''}${x.nextSync === 'kept' ? '' : `  (the next sync ${NEXT_SYNC[x.nextSync]})`}`);
    for (const s of c.skipped) lines.push(`  skipped   ${s}`);
    if (c.guard) lines.push(`  ${refused ? 'REFUSED' : r.dryRun ? 'needs --force' : 'forced'}: ${c.guard}`);
    const removed = c.changes.filter((x) => x.change === 'removed' && x.nextSync === 'kept');
    const pushable = removed.filter((x) => x.inLibrary).map((x) => x.skill);
    if (removed.length) {
      lines.push(`  removed skills stay removed: the next sync keeps them out${pushable.length ? `; to bring the library's back: \`library push ${pushable.join(' ')} --company ${c.name}\`` : ''}`);
    }
    if (!c.ok) lines.push(`  FAILED: ${c.error}`);
  }
  if (r.companies.some((c) => c.changes.some((x) => x.change !== 'removed' && x.nextSync === 'kept' && x.state?.startsWith('override')))) {
    lines.push('rolled-back skills that differ from the library are overrides: the next sync keeps them; `library push <skill>... --company <name>` resumes distribution');
  }
  if (r.dryRun) lines.push('(dry run: nothing written)');
  return lines.join('\n');
}
