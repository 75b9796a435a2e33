import type { Command } from 'commander';
import { readRunState } from '../state.js';
import { runSync } from '../sync.js';
import { collect, loadContext, openStoreIfExists, printJson , run } from './context.js';
import { formatStatus, toJson } from './format.js';
import { UsageError } from '../errors.js';
import { collectDrift, driftJson, reasonOf } from '../drift/collect.js';
import { formatDrift, reasonNote } from './drift-format.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per company: last distribution, last sync, and the state of every skill as the folders are now')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--json', 'print JSON')
    .option('--check', 'exit 1 when something needs attention (a failed company; with --strict, unexplained drift)')
    .option('--strict', 'with --check: unexplained drift (an override with no recorded reason) fails too')
    .action(
      run(async (opts, cmd: Command) => {
      const ctx = loadContext(cmd);
      const store = openStoreIfExists(ctx.config);
      if (opts.strict && !opts.check) throw new UsageError('--strict goes with --check: `library status --check --strict`');
      const result = await runSync({ ...ctx, store }, { mode: 'plan', companies: opts.company, allowEmptyLibrary: true });
      const drift = await collectDrift(store, result);
      if (opts.json) {
        const json = toJson(result);
        printJson({
          libraryCommit: json.libraryCommit,
          library: json.library,
          lastRun: readRunState(store).lastRun,
          companies: json.companies.map(({ name, dir, ok, error, distributedCommit, lastSync, skills, counts, blocked }) => ({
            name,
            dir,
            ok,
            error,
            distributedCommit,
            lastSync,
            lastSyncAgeSeconds: lastSync ? Math.round((Date.now() - Date.parse(lastSync)) / 1000) : null,
            skills: skills.map(({ name: skill, state }) => {
              const reason = reasonOf(drift, name, skill);
              return reason === undefined ? { name: skill, state } : { name: skill, state, reason };
            }),
            counts,
            blocked,
          })),
          problems: json.problems,
          drift: driftJson(drift),
        });
      } else console.log([formatStatus(result, (c, s) => reasonNote(drift, c, s)), ...formatDrift(drift)].join('\n'));
      if (opts.check && opts.strict && drift.unexplained.length > 0) {
        const list = drift.unexplained.map((o) => `${o.company}/${o.skill}`).join(', ');
        process.stderr.write(`library: status --check --strict: unexplained drift in ${list}: record a reason with \`library override\`, or end the override with \`library push\`\n`);
        return 1;
      }
      return result.companies.every((c) => c.ok) ? 0 : 1;
      }),
    );
}
