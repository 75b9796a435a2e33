import type { Command } from 'commander';
import { readRunState } from '../state.js';
import { runSync } from '../sync.js';
import { collect, loadContext, openStoreIfExists, printJson , run } from './context.js';
import { ago, formatStatus, toJson } from './format.js';
import { formatRemoteStatuses, remoteStatuses } from '../remote/state.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('per company: last distribution, last sync, and the state of every skill as the folders are now')
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
      const ctx = loadContext(cmd);
      const store = openStoreIfExists(ctx.config);
      const result = await runSync({ ...ctx, store }, { mode: 'plan', companies: opts.company, allowEmptyLibrary: true });
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
            skills: skills.map(({ name: skill, state }) => ({ name: skill, state })),
            counts,
            blocked,
          })),
          problems: json.problems,
          remotes: remoteStatuses(ctx.config, store),
        });
      } else console.log([formatStatus(result), ...formatRemoteStatuses(remoteStatuses(ctx.config, store), (t) => ago(t))].join('\n'));
      return result.companies.every((c) => c.ok) ? 0 : 1;
      }),
    );
}
