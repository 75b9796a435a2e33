import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { isOverride } from '../drift/analyze.js';
import { observeVersion, plannedSkillOf } from '../drift/observe.js';
import { NOTES_REF, checkReason, writeReason } from '../drift/reasons.js';
import { checkName } from '../names.js';
import { runSync } from '../sync.js';
import { engineOf, loadContext, parseSeconds, printJson, run } from './context.js';

export function registerOverride(program: Command): void {
  program
    .command('override <skill>')
    .description("record why a company's version of a skill is meant to differ from the library (a git note in the store)")
    .requiredOption('--company <name>', 'the company whose override this is')
    .requiredOption('--reason <text>', 'one line: why the divergence is intended')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (skill: string, opts, cmd: Command) => {
        checkName('skill', skill);
        checkName('company', opts.company);
        const reason = checkReason(opts.reason);
        const ctx = loadContext(cmd);
        const out = await engineOf(ctx, opts.wait).locked(`library override ${skill}`, async (store) => {
          const result = await runSync({ ...ctx, store }, { mode: 'plan', companies: [opts.company], allowEmptyLibrary: true });
          const { outcome: o, planned } = plannedSkillOf(result, opts.company, skill);
          if (!planned || !isOverride(planned.state)) {
            const state = planned ? `is ${planned.state}` : 'does not exist in the company or the library';
            throw new UsageError(`${o.name}'s ${skill} ${state}: only an override (the company's version differs from the library's) takes a reason`);
          }
          const seen = await observeVersion(store, o, skill, planned.company ?? null, ctx.config, 'the reason was being recorded');
          const tree = seen.tree;
          const record = { company: o.name, skill, tree, reason, recorded: new Date().toISOString(), commit: seen.head };
          const notesCommit = await writeReason(store, record);
          return { ...record, state: planned.state, notesCommit, observed: seen.observed, store: store.gitdir };
        });
        if (opts.json) printJson(out);
        else {
          const version = out.tree ? `version ${out.tree.slice(0, 7)}` : 'deleted';
          console.log(`recorded: ${out.company}'s ${skill} (${out.state}, ${version}) is intended: ${reason}`);
          console.log(`see it with: git --git-dir ${out.store} log --notes=${NOTES_REF.replace('refs/notes/', '')} -1 companies/${out.company}`);
        }
        return [];
      }),
    );
}
