import type { Command } from 'commander';
import { engineOf, loadContext, printJson, run } from './context.js';

const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

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
        // A signal stops the export, which removes its temp file; then the process ends as the signal asked (128 + n).
        const interrupt = new AbortController();
        let caught: keyof typeof SIGNAL_NUMBER | null = null;
        const onSignal = (signal: keyof typeof SIGNAL_NUMBER) => {
          caught = signal;
          interrupt.abort();
        };
        for (const s of Object.keys(SIGNAL_NUMBER) as (keyof typeof SIGNAL_NUMBER)[]) process.on(s, onSignal);
        try {
          const result = await exportSnapshot(ctx.config, engineOf(ctx).existing(), snapshot, opts.output, { signal: interrupt.signal });
          if (opts.json) printJson(result);
          else console.log(`wrote ${result.file} (${result.files} files)`);
          return [];
        } catch (err) {
          if (caught) process.exit(128 + SIGNAL_NUMBER[caught]);
          throw err;
        } finally {
          for (const s of Object.keys(SIGNAL_NUMBER) as (keyof typeof SIGNAL_NUMBER)[]) process.off(s, onSignal);
        }
      }),
    );
}
