import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errors.js';
import { runDoctor, type DoctorCheck } from '../health/doctor.js';
import { parseDuration } from '../health/health.js';
import { globalsOf, loadContext, printJson, run, engineOf } from './context.js';
import { repairStore, type RepairReport } from '../health/repair.js';
import { damaged } from '../store/verify.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the config, the store, the lock, the schedule and the last sync; print a fix for each problem')
    .option('--max-age <duration>', 'the oldest acceptable last sync (15m, 90s, 2h, 1d)', parseDuration, 900)
    .option('--repair', 'first mend the store: write back what the folders hold, rewrite unreadable history out of the refs, rebuild missing bases (takes the lock)')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        let checks: DoctorCheck[];
        let repair: RepairReport | undefined;
        if (opts.repair) {
          const ctx = loadContext(cmd);
          repair = await engineOf(ctx).locked('library doctor --repair', (store) => repairStore(ctx.config, store));
          if (!opts.json) console.log(formatRepair(repair));
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
        return ok ? [] : ['needs-attention'];
      }),
    );
}

/** What the repair did, ref by ref, and exactly what it could not keep. */
export function formatRepair(r: RepairReport): string {
  const lines = [`repair: ${damaged(r.before).length} damaged objects found; ${r.restored} written back from ${r.rerecorded.join(', ') || 'nothing'}`];
  if (r.state) lines.push(`  state: ${r.state}`);
  for (const ref of r.refs) {
    const move = ref.action === 'deleted' ? `deleted (was ${ref.from?.slice(0, 7)})` : `${ref.action} ${ref.from ? `${ref.from.slice(0, 7)} → ` : ''}${ref.to?.slice(0, 7)}`;
    lines.push(`  ${ref.ref}: ${move}${ref.detail ? `; ${ref.detail}` : ''}`);
    for (const l of ref.lost) lines.push(`    could not keep: ${l}`);
  }
  for (const p of r.problems) lines.push(`  not repaired: ${p}`);
  const left = damaged(r.after).length;
  lines.push(left ? `repair: ${left} damaged objects are still reachable (see \`library doctor\`)` : 'repair: every ref now reaches only intact objects');
  return lines.join('\n');
}
