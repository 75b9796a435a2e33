import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { runDoctor, type DoctorCheck } from '../health/doctor.js';
import { parseDuration } from '../health/health.js';
import { globalsOf, printJson, run } from './context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the config, the store, the lock, the schedule and the last sync; print a fix for each problem')
    .option('--max-age <duration>', 'the oldest acceptable last sync (15m, 90s, 2h, 1d)', parseDuration, 900)
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        let checks: DoctorCheck[];
        try {
          checks = await runDoctor(loadConfig(globalsOf(cmd).config), opts.maxAge);
        } catch (err) {
          // Without a config nothing else can be checked; this is the one finding.
          checks = [{ check: 'config', ok: false, message: errorMessage(err), fix: 'fix the config file (SPEC.md, "Configuration"), or create one with `library init`' }];
        }
        const ok = checks.every((c) => c.ok);
        if (opts.json) printJson({ ok, checks });
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
