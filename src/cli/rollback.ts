import type { Command } from 'commander';
import { runRollback } from '../snapshot/rollback.js';
import { collect, loadContext, parseSeconds, printJson, run, withWritableStore } from './context.js';

export function registerRollback(program: Command): void {
  program
    .command('rollback <snapshot>')
    .description("check a snapshot's company trees out into the company folders (all, some companies, or single skills)")
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--skill <name>', 'only this skill (repeatable)', collect)
    .option('--dry-run', 'print what would change; write nothing')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (snapshot: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const result = await withWritableStore(ctx, `library rollback ${snapshot}`, opts.wait, (store) =>
          runRollback({ ...ctx, store }, { snapshot, companies: opts.company, skills: opts.skill, dryRun: Boolean(opts.dryRun) }),
        );
        if (opts.json) printJson(result);
        else {
          if (result.preSnapshot) console.log(`snapshot ${result.preSnapshot} taken first`);
          for (const c of result.companies) {
            const verb = result.dryRun ? 'would roll back' : 'rolled back';
            if (!c.ok) console.log(`${c.name}: FAILED: ${c.error}`);
            if (c.changes.length === 0) console.log(`${c.name}: already as in ${result.snapshot}`);
            else console.log(`${c.name}: ${verb} ${c.changes.map((x) => (x.to ? x.skill : `${x.skill} (removed)`)).join(', ')}`);
            for (const s of c.skipped) console.log(`  skipped ${s}`);
          }
          if (!result.dryRun) console.log('rolled-back skills that differ from the library are overrides now: sync keeps them; `library push` resumes distribution');
        }
        return result.companies.every((c) => c.ok) ? 0 : 1;
      }),
    );
}
