import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { checkName } from '../names.js';
import { exitCodeOf, runSync } from '../sync.js';
import { collect, loadContext, parseSeconds, printJson, withWritableStore , run } from './context.js';
import { formatPlan, toJson } from './format.js';

export function registerPush(program: Command): void {
  program
    .command('push <skill>')
    .description("force the library's version of a skill into companies, ending an override")
    .option('--company <name>', 'company to normalize (repeatable, required)', collect)
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (skill: string, opts, cmd: Command) => {
      checkName('skill', skill);
      if (!opts.company?.length) throw new UsageError('push needs --company NAME (repeatable): which companies should take the library version');
      const ctx = loadContext(cmd);
      const result = await withWritableStore(ctx, `library push ${skill}`, opts.wait, (store) =>
        runSync({ ...ctx, store }, { mode: 'push', skills: [skill], companies: opts.company }),
      );
      if (opts.json) printJson(toJson(result));
      else console.log(formatPlan(result));
      return exitCodeOf(result);
      }),
    );
}
