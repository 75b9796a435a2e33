import type { Command } from 'commander';
import { resolveCompanies } from '../companies.js';
import { UsageError } from '../errors.js';
import { checkName } from '../names.js';
import { pushedStates } from '../pipeline/outcome.js';
import type { SyncResult } from '../sync.js';
import { pushReport, syncFailures } from '../pipeline/report.js';
import { collect, engineOf, loadContext, parseSeconds, printJson, run } from './context.js';
import { undoCommand, undoNote } from './format.js';

export function registerPush(program: Command): void {
  program
    .command('push <skill...>')
    .description("force the library's version of skills into companies, ending their overrides")
    .option('--company <name>', 'company to normalize (repeatable)', collect)
    .option('--all-companies', 'every configured company')
    .option('--force', "also replace the files of a skill that is the company's own git checkout (its .git is kept)")
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (skills: string[], opts, cmd: Command) => {
        for (const skill of skills) checkName('skill', skill);
        if (opts.allCompanies && opts.company?.length) throw new UsageError('push takes --company NAME (repeatable) or --all-companies, not both');
        if (!opts.allCompanies && !opts.company?.length) throw new UsageError('push needs --company NAME (repeatable) or --all-companies: which companies should take the library version');
        const ctx = loadContext(cmd);
        const companies: string[] = opts.allCompanies ? resolveCompanies(ctx.config).companies.map((c) => c.name) : opts.company;
        const result = await engineOf(ctx, opts.wait).push(skills, companies, { force: opts.force });
        if (opts.json) printJson(pushReport(result));
        else console.log(formatPush(result));
        return syncFailures(result);
      }),
    );
}

/** The state AFTER the push, per company and skill, with what it was before. */
function formatPush(result: SyncResult): string {
  const lines = [`pushed library ${result.libraryCommit?.slice(0, 7) ?? '-'} (${result.library.source})`];
  // The undo names what this push changed, so that it leaves alone what later runs changed elsewhere.
  const changed = new Map(result.companies.map((o) => [o.name, [...o.applied.added, ...o.applied.updated, ...o.applied.removed, ...o.applied.copied]]));
  if (result.snapshot) lines.push(`snapshot ${result.snapshot} taken first (${undoNote(undoCommand(result.snapshot, changed))})`);
  for (const o of result.companies) {
    const states = pushedStates(o);
    if (!o.ok && states.length === 0) {
      lines.push(`${o.name}: FAILED: ${o.error}`);
      continue;
    }
    lines.push(`${o.name}:`);
    for (const s of states) {
      const how = s.changedDuringRun ? "(the company changed it during the push: its version is kept)" : s.before === s.state ? '(already)' : `(was ${s.before})`;
      lines.push(`  ${s.state.padEnd(17)} ${s.skill.padEnd(24)} ${how}`);
    }
    // What could not be read is named, as sync names it: a push of a blocked skill otherwise printed only "Acme:".
    for (const b of o.blocked) lines.push(`  skipped           ${b.message}`);
    if (!o.ok) lines.push(`  FAILED: ${o.error}`);
  }
  return lines.join('\n');
}
