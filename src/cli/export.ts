import type { Command } from 'commander';
import { engineOf, loadContext, printJson, run } from './context.js';

export function registerExport(program: Command): void {
  program
    .command('export <snapshot>')
    .description('write a snapshot as a plain tar.gz (library/…, companies/<name>/…) with file modes kept')
    .requiredOption('-o, --output <file>', 'the archive to write (.tar.gz)')
    .option('--json', 'print JSON')
    .action(
      run(async (snapshot: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { exportSnapshot } = await import('../snapshot/export.js'); // loads node-tar only when needed
        const result = await exportSnapshot(ctx.config, engineOf(ctx).existing(), snapshot, opts.output);
        if (opts.json) printJson(result);
        else console.log(`wrote ${result.file} (${result.files} files)`);
        return [];
      }),
    );
}
