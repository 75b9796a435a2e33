import type { Command } from 'commander';
import { checkName } from '../names.js';
import { engineOf, loadContext, parseSeconds, printJson, run } from './context.js';

export function registerPromote(program: Command): void {
  program
    .command('promote <skill>')
    .description("copy a company's version of a skill into the library folder for review; prints the diff and the commit to make, never commits")
    .requiredOption('--from <company>', 'the company whose version becomes the library candidate')
    .option('--force', 'allow a plain-folder library (not in git), where the copy is distributed by the next sync --fix')
    .option('--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .action(
      run(async (skill: string, opts, cmd: Command) => {
        checkName('skill', skill);
        checkName('company', opts.from);
        const ctx = loadContext(cmd);
        const res = await engineOf(ctx, opts.wait).promote(skill, opts.from, opts.force);
        if (opts.json) {
          printJson(res);
          return [];
        }
        const lines = [
          `copied ${res.from}'s ${res.skill} (version ${res.tree.slice(0, 7)}) into ${res.target}`,
          res.replaced ? `the library version it replaces (${res.replaced.slice(0, 7)}) is kept in the store` : `${res.skill} is new to the library`,
          `companies with exactly this version: ${res.sameIn.join(', ')}`,
        ];
        if (res.reason) lines.push(`${res.from}'s reason: ${res.reason}`);
        lines.push('', '# the change to review (- library, + promoted)', res.diff || '(no file changes)', '');
        if (res.commit) {
          lines.push('nothing is committed: review it, then commit it yourself:', `  ${res.review}`, `  ${res.commit}`);
          lines.push('the next `library sync --fix` after the commit distributes it');
        } else {
          lines.push('WARNING: the library is a plain folder, not a git repository: there is nothing to commit, and the next `library sync --fix` distributes this version to every company that has not overridden it');
        }
        console.log(lines.join('\n'));
        return [];
      }),
    );
}
