import type { Command } from 'commander';
import { DEFAULT_ARCHIVE_LIMITS } from '../snapshot/limits.js';
import type { ImportResult } from '../snapshot/import.js';
import { engineOf, loadContext, parseByteCount, parseSeconds, printJson, run } from './context.js';

export function registerImport(program: Command): void {
  program
    .command('import <source>')
    .description('record a backup folder or .tar.gz (export layout, <backup>/<company>/<skill>/ or <backup>/<company>/.claude/skills/<skill>/) as snapshot/<name>')
    .requiredOption('--name <name>', 'the snapshot name')
    .option('--dry-run', 'print what would be imported, per company; write nothing')
    .option('--max-entries <n>', `refuse an archive with more entries (default ${DEFAULT_ARCHIVE_LIMITS.maxEntries})`, parseByteCount)
    .option('--max-bytes <n>', `refuse an archive whose files add up to more bytes (default ${DEFAULT_ARCHIVE_LIMITS.maxBytes}, 2 GiB)`, parseByteCount)
    .option('--max-file-bytes <n>', 'refuse an archive or folder with a larger file (default: safety.maxFileBytes, 10 MB)', parseByteCount)
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (source: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { importSnapshot } = await import('../snapshot/import.js'); // loads node-tar only when needed
        const caps = { maxEntries: opts.maxEntries, maxBytes: opts.maxBytes, maxFileBytes: opts.maxFileBytes };
        for (const k of Object.keys(caps) as (keyof typeof caps)[]) if (caps[k] === undefined) delete caps[k];
        const engine = engineOf(ctx, opts.wait);
        const result = opts.dryRun
          ? await importSnapshot(ctx.config, engine.readable(), source, opts.name, caps, { dryRun: true }) // writes nothing: no lock
          : await engine.locked(`library import ${source}`, (store) => importSnapshot(ctx.config, store, source, opts.name, caps));
        if (opts.json) printJson(result);
        else console.log(formatImport(result, source));
        return [];
      }),
    );
}

/** The CLI names the flag (src/cli/main.ts); this says what it accepts. */
/** Per company what was found, then the next step: always a dry run of the rollback first. */
function formatImport(r: ImportResult, source: string): string {
  const name = r.snapshot.replace(/^snapshot\//, '');
  const width = Math.max(...r.found.map((f) => f.company.length), 7);
  const lines = [`${r.dryRun ? 'would import' : 'imported'} ${r.companies.length} ${r.companies.length === 1 ? 'company' : 'companies'}${r.library ? ' and the library' : ''} (${r.layout} layout)${r.dryRun ? '' : ` as ${r.snapshot}`}:`];
  for (const f of r.found) lines.push(`  ${f.company.padEnd(width)} ${String(f.skills).padStart(4)} skill${f.skills === 1 ? ' ' : 's'}  from ${f.folder}`);
  if (r.librarySkills !== null) lines.push(`  ${'library'.padEnd(width)} ${String(r.librarySkills).padStart(4)} skill${r.librarySkills === 1 ? ' ' : 's'}`);
  if (r.dryRun) lines.push(`(dry run: nothing written) import it with \`library import ${source} --name ${name}\`, then see what a rollback would do with \`library rollback ${name} --dry-run\``);
  else lines.push(`see what a rollback would do first: \`library rollback ${name} --dry-run\` (then \`library rollback ${name} --company <name>\`)`);
  return lines.join('\n');
}
