import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { validateFolder, validateStaged } from '../validate/check.js';
import { formatFinding } from '../validate/library.js';
import { DEFAULT_MAX_FILE_BYTES } from '../validate/rules.js';
import { globalsOf, printJson, run } from './context.js';

export function registerValidate(program: Command): void {
  program
    .command('validate [path]')
    .description('check skills the way sync and the pre-commit hook do: front matter, names, symlinks, sizes')
    .option('--staged', "check the skills staged in the library's git repository (what the pre-commit hook runs)")
    .option('--max-file-bytes <n>', 'size limit per file (default: safety.maxFileBytes, 10 MB)', (v) => parseBytes(v))
    .option('--json', 'print JSON')
    .action(
      run(async (target: string | undefined, opts, cmd: Command) => {
        const globals = globalsOf(cmd);
        // A PATH needs no config; the configured library and --staged do.
        const config = target === undefined || opts.staged || globals.config ? loadConfig(globals.config) : null;
        const maxFileBytes: number = opts.maxFileBytes ?? config?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
        const dir = target !== undefined ? path.resolve(target) : config!.libraryDir;
        if (!dir) throw new UsageError(`the library of ${config!.file} is a store ref, not a folder: pass the folder to check`);
        const report = opts.staged ? await validateStaged(dir, maxFileBytes) : validateFolder(dir, maxFileBytes);
        const root = opts.staged ? dir : report.target;
        if (opts.json) {
          printJson({ ok: report.findings.length === 0, target: report.target, skills: report.skills, findings: report.findings });
        } else if (report.findings.length === 0) {
          console.log(`ok: ${report.skills.length} skill${report.skills.length === 1 ? '' : 's'} checked in ${report.target}`);
        } else {
          for (const f of report.findings) console.log(formatFinding(f, root));
        }
        return report.findings.length === 0 ? 0 : 1;
      }),
    );
}

function parseBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--max-file-bytes: expected a positive whole number of bytes, got "${value}"`);
  return n;
}
