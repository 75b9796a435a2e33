import type { Command } from 'commander';
import { formatIndexOutcome, type IndexOutcome } from '../discover/refresh.js';
import type { SyncResult } from '../sync.js';
import { syncFailures, syncReport } from '../pipeline/report.js';
import { collect, engineOf, loadContext, parseSeconds, printJson, run, summarised } from './context.js';
import { READING, clearStatus, sayError, sayFailure, setStatus } from './terminal.js';
import { formatPlan } from './format.js';
import { fetchLines, reportLine } from './fleet-format.js';
import type { FetchOutcome } from '../fleet/fetch.js';
import type { ReportOutcome } from '../fleet/report.js';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('print the plan per company; with --fix, apply it')
    .option('--fix', 'apply the plan: update company folders and record the store history')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--force', 'allow removals beyond safety.maxRemovePercent')
    .option('--allow-empty-library', 'allow a library with no skills (removes distributed skills)')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--no-index', 'do not rebuild the search index afterwards')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const engine = engineOf(summarised(ctx), opts.wait); // the plan printed below says every warning of the run, and the index's outcome
        const request = { companies: opts.company, force: opts.force, allowEmptyLibrary: opts.allowEmptyLibrary };
        const progress = (text: string) => ctx.onCompanyDone && setStatus(text); // on a terminal, once the run has taken a second
        let index = null as IndexOutcome | null;
        let result: SyncResult;
        let fetch = null as FetchOutcome | null; // a library from a URL (src/fleet/)
        let report = null as ReportOutcome | null;
        if (opts.fix) {
          // A --fix says so once it holds the lock.
          ({ result, index, fetch, report } = await engine.sync({ ...request, index: opts.index, onStart: () => progress(READING), onIndex: () => progress('updating the search index') }));
          clearStatus();
        } else {
          progress(READING);
          ({ fetch, ...result } = await engine.plan(request));
        }
        const extras = { fetch, report, ...(opts.fix ? { index } : {}) };
        if (opts.json) printJson(syncReport(result, extras));
        else console.log([...(fetch ? fetchLines(fetch) : []), formatPlan(result), ...(index ? [formatIndexOutcome(index)] : []), ...(report ? [reportLine(report)] : [])].join('\n'));
        if (index?.error) sayFailure('library', index.error, ctx.globals.logFile);
        for (const error of [fetch?.error, report?.error]) if (error) sayError('library', error, ctx.globals.logFile);
        return syncFailures(result, extras);
      }),
    );
}
