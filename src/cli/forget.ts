/** `library forget <company>`: a company whose folder is gone for good stops counting (src/fleet/forget-company.ts). */
import type { Command } from 'commander';
import { checkForgettable, forgetCompany } from '../fleet/forget-company.js';
import { engineOf, loadContext, parseSeconds, printJson, run } from './context.js';

export function registerForget(program: Command): void {
  program
    .command('forget <company>')
    .description('a company whose folder is gone for good: drop it from the run state (its history is kept under refs/forgotten/)')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (name: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        checkForgettable(ctx.config, name);
        const engine = engineOf(ctx, opts.wait);
        engine.existing();
        const out = await engine.locked(`library forget ${name}`, (store) => forgetCompany(store, name));
        if (opts.json) printJson(out);
        else {
          console.log(`forgot company ${name}: removed ${out.removed.join(', ')}`);
          if (out.keptAs) console.log(`  its history is kept: git --git-dir ${ctx.config.storeDir} log ${out.keptAs}`);
        }
        return [];
      }),
    );
}
