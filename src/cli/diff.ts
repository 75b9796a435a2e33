import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { conflictsRef } from '../apply/merge-files.js';
import { collectDrift } from '../drift/collect.js';
import { skillDiffs, type SkillDiff } from '../drift/skill-diffs.js';
import { checkName } from '../names.js';
import { collect, loadContext, engineOf, printJson, run } from './context.js';
import { reasonNote } from './drift-format.js';

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description("unified diffs of each override: the company's version against the library's, and both against the merge base")
    .option('--company <name>', 'only this company (repeatable)', collect)
    .option('--skill <name>', 'only this skill (shown in any state but in-sync)')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        if (opts.skill) checkName('skill', opts.skill);
        const ctx = loadContext(cmd);
        const engine = engineOf(ctx);
        const store = engine.readable();
        const result = await engine.view(opts.company);
        const known = opts.skill && (result.library.skills.has(opts.skill) || result.companies.some((c) => c.skills.some((s) => s.name === opts.skill)));
        if (opts.skill && !known) throw new UsageError(`skill "${opts.skill}" is neither in the library nor in any company selected`);
        const diffs = await skillDiffs(ctx.config, store, result, opts.skill);
        if (opts.json) {
          printJson({ libraryCommit: result.libraryCommit, diffs });
          return [];
        }
        const drift = await collectDrift(store, result);
        const blocks = diffs.map((d) => formatSkillDiff(d, reasonNote(drift, d.company, d.skill), store?.gitdir));
        console.log(blocks.join('\n\n') || (opts.skill ? `${opts.skill}: in sync everywhere` : 'no overrides: every company has the library version of every library skill'));
        return [];
      }),
    );
}

function formatSkillDiff(d: SkillDiff, note: string, gitdir: string | undefined): string {
  const lines = [`=== ${d.company}/${d.skill}: ${d.state}${note.replace(/^ +/, '; ')} ===`];
  const section = (title: string, patch: string) => lines.push(`# ${title}`, patch || '(no changes)');
  section("the company's version against the library's (- library, + company)", d.companyVsLibrary);
  if (d.base) {
    section('what the company changed since the base, the library version last distributed there (- base, + company)', d.companyChanges);
    section('what the library changed since the base (- base, + library)', d.libraryChanges);
  }
  if (d.conflicts.length) {
    lines.push('# conflicts at the last sync: the company version was kept; the library version is in the store');
    for (const c of d.conflicts) {
      lines.push(`  ${c.path}: ${c.reason}`);
      if (gitdir) lines.push(`    git --git-dir ${gitdir} show ${conflictsRef(d.company)}:${d.skill}/${c.path}`);
    }
  }
  return lines.join('\n');
}
