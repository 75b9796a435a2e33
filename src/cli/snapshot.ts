import type { Command } from 'commander';
import { engineOf, loadContext, printJson, run } from './context.js';
import { sayError } from './terminal.js';

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot [name]')
    .description('tag the library and every company as they are recorded now (snapshot/<name>, default a UTC timestamp)')
    .option('--message <text>', 'what this snapshot is for')
    .option('--json', 'print JSON')
    .action(
      run(async (name: string | undefined, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { tag, skipped } = await engineOf(ctx).snapshot(name, opts.message);
        for (const s of skipped) sayError('library', `${s.ref} left out of ${tag}: ${s.error}`, ctx.globals.logFile);
        if (opts.json) printJson({ snapshot: tag, skipped });
        else console.log(`created ${tag}${skipped.length ? ` without ${skipped.map((s) => s.ref).join(', ')}` : ''}`);
        return skipped.length ? ['incomplete'] : [];
      }),
    );

  program
    .command('snapshots')
    .description('list snapshots: name, date, message, companies')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const unreadable: { ref: string; error: string }[] = [];
        const list = await engineOf(ctx).snapshots(unreadable);
        for (const u of unreadable) sayError('library', `${u.ref} cannot be read: ${u.error}`, ctx.globals.logFile);
        if (opts.json) printJson({ snapshots: list, ...(unreadable.length ? { unreadable } : {}) });
        else if (list.length === 0) console.log('no snapshots yet');
        else for (const s of list) console.log(`snapshot/${s.name}  ${s.date}  ${s.automatic ? '(auto) ' : ''}${s.message}  [${s.companies.join(', ')}]`);
        return unreadable.length ? ['incomplete'] : [];
      }),
    );
}
