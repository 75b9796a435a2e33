import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { validateFolder, validateStaged, type ValidationReport } from '../validate/check.js';
import { formatFinding } from '../validate/library.js';
import { DEFAULT_MAX_FILE_BYTES, hasErrors } from '../validate/rules.js';
import { globalsOf, printJson, run } from './context.js';

export function registerValidate(program: Command): void {
  program
    .command('validate [path]')
    .description('check skills the way sync and the pre-commit hook do, and against the Agent Skills specification (warnings)')
    .option('--staged', "check the skills staged in the library's git repository (what the pre-commit hook runs)")
    .option('--max-file-bytes <n>', 'size limit per file (default: safety.maxFileBytes, 10 MB)', (v) => parseBytes(v))
    .option('--strict', 'warnings are errors (default: the config\'s "validation")')
    .option('--quiet', 'print only findings: nothing when there are none')
    .option('--json', 'print JSON')
    .action(
      run(async (target: string | undefined, opts, cmd: Command) => {
        const globals = globalsOf(cmd);
        // A PATH needs no config; the configured library and --staged do.
        const config = target === undefined || opts.staged || globals.config ? loadConfig(globals.config) : null;
        const checks = {
          maxFileBytes: (opts.maxFileBytes ?? config?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES) as number,
          strict: opts.strict === true || config?.strictValidation === true,
        };
        const dir = target !== undefined ? path.resolve(target) : config!.libraryDir;
        if (!dir) throw new UsageError(`the library of ${config!.file} is ${config!.libraryUrl ? `the git URL ${config!.libraryUrl.url}` : 'a store ref'}, not a folder: pass the folder to check${config!.libraryUrl ? ' (in a clone of it)' : ''}`);
        const report = opts.staged ? await validateStaged(dir, checks) : await validateFolder(dir, { ...checks, library: target === undefined });
        const failed = hasErrors(report.findings);
        if (opts.json) {
          printJson({ ok: !failed, target: report.target, skills: report.skills, findings: report.findings });
        } else {
          for (const f of report.findings) console.log(formatFinding(f, opts.staged ? dir : report.target, { severity: true }));
          if (!opts.quiet) console.log(summary(report, failed));
        }
        return failed ? ['needs-attention'] : [];
      }),
    );
}

/** "ok: 4 skills checked in …", with the warnings counted; or what failed. */
function summary(report: ValidationReport, failed: boolean): string {
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const checked = `${count(report.skills.length, 'skill')} checked in ${report.target}`;
  if (failed) return `failed: ${count(errors, 'error')}${warnings ? `, ${count(warnings, 'warning')}` : ''}; ${checked}`;
  return `ok: ${checked}${warnings ? `; ${count(warnings, 'warning')} (the skills are still distributed)` : ''}`;
}

function parseBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`expected a whole number of bytes, 1 or more, got "${value}"`);
  return n;
}
