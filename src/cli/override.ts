import type { Command } from 'commander';
import { NOTES_REF, checkReason } from '../drift/reasons.js';
import { checkName } from '../names.js';
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
        const out = await engineOf(ctx, opts.wait).override(skill, opts.company, reason);
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
