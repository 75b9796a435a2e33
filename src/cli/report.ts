import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { collectDrift } from '../drift/collect.js';
import { gatherReport } from '../drift/report-data.js';
import { renderReport } from '../drift/report-html.js';
import { gatherSyncHealth } from '../health/gather.js';
import { parseDuration } from '../health/health.js';
import { readRunState } from '../run-state.js';
import { writeFileAtomic } from '../util/atomic.js';
import { collect, loadContext, engineOf, run } from './context.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write the drift page: one self-contained HTML file, a matrix of companies × skills with reasons and promote candidates')
    .requiredOption('--html <file>', 'the HTML file to write')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--max-age <duration>', 'for the health verdict: the oldest acceptable last sync (15m, 90s, 2h, 1d)', parseDuration, 900)
    .action(
      run(async (opts, cmd: Command) => {
        const file = path.resolve(opts.html);
        let dir: fs.Stats | undefined;
        try {
          dir = fs.statSync(path.dirname(file));
        } catch {
          /* reported below */
        }
        if (!dir?.isDirectory()) throw new UsageError(`cannot write ${file}: folder ${path.dirname(file)} does not exist; create it first`);
        const ctx = loadContext(cmd);
        const engine = engineOf(ctx);
        const store = engine.readable();
        const result = await engine.view(opts.company);
        const drift = await collectDrift(store, result);
        const data = await gatherReport(store, result, drift, readRunState(store), gatherSyncHealth(ctx.config, opts.maxAge, { store }));
        writeFileAtomic(file, renderReport(data));
        const failed = result.companies.filter((c) => !c.ok).length;
        console.log(
          `wrote ${file}: ${data.companies.length} companies × ${data.skills.length} skills, ${drift.overrides.length} overrides (${drift.unexplained.length} unexplained), ${drift.promoteCandidates.length} promote candidates${failed ? `, ${failed} companies FAILED` : ''}`,
        );
        return failed ? ['incomplete'] : [];
      }),
    );
}
