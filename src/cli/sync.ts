import type { Command } from 'commander';
import { formatIndexOutcome, refreshIndex, type IndexOutcome } from '../discover/refresh.js';
import { exitCodeOf, runSync } from '../sync.js';
import { collect, loadContext, openStoreIfExists, parseSeconds, printJson, withWritableStore , run } from './context.js';
import { formatPlan, toJson } from './format.js';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('print the plan per company; with --fix, apply it')
    .option('--fix', 'apply the plan: update company folders and record the store history')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--force', 'allow removals beyond safety.maxRemovePercent')
    .option('--allow-empty-library', 'allow a library with no skills (removes distributed skills)')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--no-index', 'do not rebuild the search index afterwards')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
      const ctx = loadContext(cmd);
      const syncOpts = { companies: opts.company, force: opts.force, allowEmptyLibrary: opts.allowEmptyLibrary };
      let index = null as IndexOutcome | null;
      const result = opts.fix
        ? await withWritableStore(ctx, 'library sync --fix', opts.wait, async (store) => {
            const synced = await runSync({ ...ctx, store }, { ...syncOpts, mode: 'fix' });
            if (opts.index) index = await refreshIndex(ctx, store);
            return synced;
          })
        : await runSync({ ...ctx, store: openStoreIfExists(ctx.config) }, { ...syncOpts, mode: 'plan' });
      if (opts.json) printJson(opts.fix ? { ...toJson(result), index } : toJson(result));
      else console.log(index ? `${formatPlan(result)}\n${formatIndexOutcome(index)}` : formatPlan(result));
      if (index?.error) process.stderr.write(`library: ${index.error}\n`);
      return index?.error ? 1 : exitCodeOf(result);
      }),
    );
}
