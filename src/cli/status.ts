import type { Command } from 'commander';
import { gatherSyncHealth } from '../health/gather.js';
import { formatAge, formatProblems, healthSummary, parseDuration } from '../health/health.js';
import fs from 'node:fs';
import type { Failure } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import type { Config } from '../config.js';
import { resolveCompanies } from '../companies.js';
import { ignoredIn, ignoreRulesOf } from '../scan/ignore.js';
import { collectDrift } from '../drift/collect.js';
import { collect, loadContext, engineOf, printJson, run, summarised } from './context.js';
import { READING, sayError, setStatus } from './terminal.js';
import { ago, formatStatus } from './format.js';
import { rollbackOf, statusReport } from '../pipeline/report.js';
import { formatRemoteStatuses } from '../remote/state.js';
import { formatDrift, reasonNote } from './drift-format.js';
import { describeExplanation } from '../drift/explain.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per company: last distribution, last sync, and the state of every skill as the folders are now')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--json', 'print JSON')
    .option('--check', 'for monitors: exit 1, one line per reason, if the last run exited non-zero or skipped anything, a remote failed, a company folder is missing, a sync is too old, or the lock is stale')
    .option('--max-age <duration>', 'with --check: the oldest acceptable last sync (15m, 90s, 2h, 1d)', parseDuration, 900)
    .option('--strict', 'with --check: unexplained drift (an override with no recorded reason) fails too')
    .option('--ignored', 'list the files the ignore rules leave out of every skill, and the rule that does')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        if (opts.strict && !opts.check) throw new UsageError('--strict goes with --check: `library status --check --strict`');
        if (opts.ignored) return printIgnored(ctx.config, opts.company, opts.json);
        const engine = engineOf(summarised(ctx)); // the status printed in full below says every warning of the run
        if (opts.check) {
          // Without --strict this reads only the run state and the lock: cheap enough to call every minute.
          const health = gatherSyncHealth(ctx.config, opts.maxAge, { store: engine.readable() });
          if (opts.json) printJson({ ok: health.problems.length === 0, maxAgeSeconds: opts.maxAge, ...health });
          else console.log(health.problems.length ? formatProblems(health).join('\n') : `ok: ${healthSummary(health)}; limit ${formatAge(opts.maxAge)}`);
          if (health.problems.length > 0) return ['needs-attention'];
          if (!opts.strict) return [];
          const drift = await collectDrift(engine.readable(), await engine.view(opts.company));
          if (drift.unexplained.length === 0) return [];
          const list = drift.unexplained.map((o) => `${o.company}/${o.skill}`).join(', ');
          sayError('library', `status --check --strict: unexplained drift in ${list}: record a reason with \`library override\`, or end the override with \`library push\``, ctx.globals.logFile);
          return ['needs-attention'];
        }
        if (ctx.onCompanyDone) setStatus(READING);
        const view = await engine.status({ companies: opts.company, maxAgeSeconds: opts.maxAge });
        const { result, drift, health } = view;
        if (opts.json) printJson(statusReport(view));
        else {
          const note = (company: string, skill: string) => {
            const from = rollbackOf(view, company, skill);
            const e = view.explanations.get(company)?.get(skill);
            return `${from ? `  (rolled back to ${from})` : ''}${reasonNote(drift, company, skill)}${e ? `  (${describeExplanation(e)})` : ''}`;
          };
          const remotes = formatRemoteStatuses(view.remotes, (t) => ago(t));
          // The verdict first: the same reasons `status --check` gives.
          console.log([healthSummary(health), ...formatProblems(health).map((l) => `  ${l}`), formatStatus(result, note), ...formatDrift(drift), ...remotes].join('\n'));
        }
        return result.companies.every((c) => c.ok) ? [] : ['incomplete'];
      }),
    );
}

/** `status --ignored`: per folder, each ignored path and the rule (as `git check-ignore -v` would say). */
function printIgnored(config: Config, only: string[] | undefined, json: boolean): Failure[] {
  const rules = ignoreRulesOf(config);
  const folders = resolveCompanies(config).companies.filter((c) => !only?.length || only.includes(c.name)).map((c) => ({ where: c.name, dir: c.dir }));
  if (config.libraryDir && !only?.length) folders.unshift({ where: 'library', dir: config.libraryDir });
  const found = folders.map((f) => ({ ...f, ignored: fs.existsSync(f.dir) ? ignoredIn(f.dir, rules) : [] }));
  if (json) {
    printJson({ rules: rules.patterns, folders: found });
    return [];
  }
  const lines: string[] = [];
  for (const f of found) {
    if (f.ignored.length === 0) continue;
    lines.push(`${f.where} (${f.dir}):`);
    for (const i of f.ignored) lines.push(`  ${i.path.padEnd(48)} ${i.source === 'default' ? 'built-in' : i.source}: ${i.pattern}`);
  }
  console.log(lines.length ? lines.join('\n') : 'nothing is ignored: no folder holds a file the ignore rules match');
  return [];
}
