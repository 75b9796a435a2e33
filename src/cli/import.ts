import type { Command } from 'commander';
import { loadContext, parseSeconds, printJson, run, withWritableStore } from './context.js';

export function registerImport(program: Command): void {
  program
    .command('import <source>')
    .description('record a backup folder or .tar.gz (export layout, or <backup>/<company>/<skill>/) as snapshot/<name>')
    .requiredOption('--name <name>', 'the snapshot name')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (source: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { importSnapshot } = await import('../snapshot/import.js'); // loads node-tar only when needed
        const result = await withWritableStore(ctx, `library import ${source}`, opts.wait, (store) => importSnapshot(ctx.config, store, source, opts.name));
        if (opts.json) printJson(result);
        else console.log(`imported ${result.companies.length} compan${result.companies.length === 1 ? 'y' : 'ies'}${result.library ? ' and the library' : ''} as ${result.snapshot} (${result.layout} layout); roll back with \`library rollback ${result.snapshot.replace(/^snapshot\//, '')}\``);
        return 0;
      }),
    );
}
