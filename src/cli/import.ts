import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_ARCHIVE_LIMITS } from '../snapshot/limits.js';
import { loadContext, parseSeconds, printJson, run, withWritableStore } from './context.js';

export function registerImport(program: Command): void {
  program
    .command('import <source>')
    .description('record a backup folder or .tar.gz (export layout, or <backup>/<company>/<skill>/) as snapshot/<name>')
    .requiredOption('--name <name>', 'the snapshot name')
    .option('--max-entries <n>', `refuse an archive with more entries (default ${DEFAULT_ARCHIVE_LIMITS.maxEntries})`, count)
    .option('--max-bytes <n>', `refuse an archive whose files add up to more bytes (default ${DEFAULT_ARCHIVE_LIMITS.maxBytes}, 2 GiB)`, count)
    .option('--max-file-bytes <n>', 'refuse an archive or folder with a larger file (default: safety.maxFileBytes, 10 MB)', count)
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (source: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { importSnapshot } = await import('../snapshot/import.js'); // loads node-tar only when needed
        const caps = { maxEntries: opts.maxEntries, maxBytes: opts.maxBytes, maxFileBytes: opts.maxFileBytes };
        for (const k of Object.keys(caps) as (keyof typeof caps)[]) if (caps[k] === undefined) delete caps[k];
        const result = await withWritableStore(ctx, `library import ${source}`, opts.wait, (store) => importSnapshot(ctx.config, store, source, opts.name, caps));
        if (opts.json) printJson(result);
        else console.log(`imported ${result.companies.length} compan${result.companies.length === 1 ? 'y' : 'ies'}${result.library ? ' and the library' : ''} as ${result.snapshot} (${result.layout} layout); roll back with \`library rollback ${result.snapshot.replace(/^snapshot\//, '')}\``);
        return 0;
      }),
    );
}

/** The CLI names the flag (src/cli/main.ts); this says what it accepts. */
function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`expected a positive whole number, got "${value}"`);
  return n;
}
