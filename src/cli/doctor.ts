import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { runDoctor, type DoctorCheck } from '../health/doctor.js';
import { parseDuration } from '../health/health.js';
import { globalsOf, loadContext, printJson, run, withWritableStore } from './context.js';
import { repairStore, type RepairReport } from '../repair.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the config, the store, the lock, the schedule and the last sync; print a fix for each problem')
    .option('--max-age <duration>', 'the oldest acceptable last sync (15m, 90s, 2h, 1d)', parseDuration, 900)
    .option('--repair', 'first delete corrupt store objects and rewrite what the folders still hold (takes the lock)')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        let checks: DoctorCheck[];
        let repair: RepairReport | undefined;
        if (opts.repair) {
          const ctx = loadContext(cmd);
          repair = await withWritableStore(ctx, 'library doctor --repair', 0, (store) => repairStore(ctx.config, store));
          const fixed = repair.before.missing.length + repair.before.corrupt.length - repair.after.missing.length - repair.after.corrupt.length;
          if (!opts.json) console.log(`repair: ${fixed} damaged objects rewritten from ${repair.rerecorded.join(', ')}; ${repair.after.missing.length + repair.after.corrupt.length} could not be recovered`);
        }
        try {
          checks = await runDoctor(loadConfig(globalsOf(cmd).config), opts.maxAge);
        } catch (err) {
          // Without a config nothing else can be checked; this is the one finding.
          checks = [{ check: 'config', ok: false, message: errorMessage(err), fix: 'fix the config file (SPEC.md, "Configuration"), or create one with `library init`' }];
        }
        const ok = checks.every((c) => c.ok);
        if (opts.json) printJson({ ok, checks, ...(repair ? { repair } : {}) });
        else {
          for (const c of checks) {
            console.log(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(14)} ${c.message}`);
            if (!c.ok && c.fix) console.log(`      ${''.padEnd(14)} fix: ${c.fix}`);
          }
        }
        return ok ? 0 : 1;
      }),
    );
}
