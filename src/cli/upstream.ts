/**
 * `library upstream add|update|list|forget`: skills vendored from public (or
 * private) git repositories, pinned in `upstreams.lock.json`, and updated by
 * a three-way merge that keeps the library's own edits (src/upstream/).
 * Writing subcommands take the store's lock; `list` takes none.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import type { Failure } from '../exit-codes.js';
import { checkName } from '../names.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { addUpstream } from '../upstream/add.js';
import { forgetSkills } from '../upstream/forget.js';
import { listUpstreams } from '../upstream/list.js';
import type { Review } from '../upstream/review.js';
import type { SkillReport, UpstreamSettings } from '../upstream/skill-update.js';
import { NEEDS_ATTENTION, updateUpstreams, type UpdateResult } from '../upstream/update.js';
import { upstreamUrl } from '../upstream/url.js';
import { collect, engineOf, loadContext, parsePositiveSeconds, parseSeconds, printJson, run, type CommandContext } from './context.js';
import { sayFailure } from './terminal.js';

function settingsOf(config: Config, timeoutSeconds: number): UpstreamSettings {
  if (!config.libraryDir) {
    throw new UsageError(`the library of ${config.file} is the store ref ${config.libraryRef}: run \`library upstream\` on the machine that has the library folder`);
  }
  return { libraryDir: config.libraryDir, configFile: config.file, maxFileBytes: config.maxFileBytes, strict: config.strictValidation, ignore: ignoreRulesOf(config), timeoutMs: timeoutSeconds * 1000 };
}

const short = (oid: string | null) => (oid ? oid.slice(0, 7) : '-');
const refWords = (ref: string | null, kind: string) => (ref === null ? 'default branch' : `${kind} ${ref}`);

/** One line per skill: outcome, name, and what came in or why not. */
function skillLine(s: SkillReport, libraryDir: string): string[] {
  const parts: string[] = [];
  const few = (paths: string[]) => (paths.length > 6 ? `${paths.slice(0, 6).join(', ')} and ${paths.length - 6} more (--json lists them)` : paths.join(', '));
  if (s.fromUpstream.length) parts.push(`from upstream: ${few(s.fromUpstream)}`);
  if (s.lineMerged.length) parts.push(`merged line by line: ${few(s.lineMerged)}`);
  const head = `  ${s.outcome.padEnd(18)} ${s.skill}${s.from && s.from !== s.skill ? ` (upstream ${s.from})` : ''}${parts.length ? `  (${parts.join('; ')})` : ''}`;
  const lines = [head];
  for (const c of s.conflicts) {
    const theirs = c.upstreamCopy ? path.join(libraryDir, c.upstreamCopy) : null;
    lines.push(`      ${c.path}: ${c.reason}: the library's version is kept${theirs ? `; the upstream's is in ${theirs} (diff -u ${path.join(libraryDir, s.skill, c.path)} ${theirs})` : ''}`);
  }
  if (s.conflicts.length) lines.push(`      when reviewed, remove ${path.join(libraryDir, '.upstream-conflicts', s.skill)}`);
  if (s.message) lines.push(`      ${s.message}`);
  for (const f of s.outcome === 'invalid' ? [] : s.findings) lines.push(`      warning: ${f.message} [${f.code}]`);
  return lines;
}

function reviewLines(r: Review, wrote: boolean, dryRun: boolean): string[] {
  if (dryRun) return ['dry run: nothing was written'];
  if (!wrote) return ['nothing changed in the library'];
  if (r.libraryKind === 'git') {
    return ['nothing is committed: review it, then commit it yourself:', `  ${r.reviewCommand}`, `  ${r.commitCommand}`, 'the next `library sync --fix` after the commit distributes it'];
  }
  return ['the library is a plain folder (not in git): the next `library sync --fix` distributes this to every company that has not overridden it'];
}

const attention = (skills: SkillReport[]): Failure | null => (skills.some((s) => NEEDS_ATTENTION.includes(s.outcome)) ? 'needs-attention' : null);

export function registerUpstream(program: Command): void {
  const upstream = program.command('upstream').description('skills vendored from git repositories: pinned in upstreams.lock.json, updated by a merge that keeps the library\'s edits');
  const timeout = ['--timeout <seconds>', 'give up on a git command (ls-remote, fetch) after this long', parsePositiveSeconds, 300] as const;
  const wait = ['--wait <seconds>', 'wait this long for another run to finish', parseSeconds, 0] as const;

  upstream
    .command('add <url>')
    .description('vendor skills of a git repository into the library folder and record them in the lock; never commits')
    .option('--path <dir>', 'the folder of the repository holding the skills (default: "skills" if there is one, else the root)')
    .option('--skill <name>', 'a skill to vendor (repeatable; default: every skill under --path)', collect, [])
    .option('--ref <ref>', 'a branch to follow, or a tag or full commit id to pin (default: the default branch, followed)')
    .option('--as <name>', 'vendor the one skill under this name (its SKILL.md name is rewritten)')
    .option('--dry-run', 'print what would be vendored; write nothing in the library')
    .option(...timeout)
    .option(...wait)
    .option('--json', 'print JSON')
    .action(
      run(async (url: string, opts, cmd: Command) => {
        if (opts.as !== undefined) checkName('skill', opts.as);
        const ctx = loadContext(cmd);
        const settings = settingsOf(ctx.config, opts.timeout);
        const req = { url: upstreamUrl(url, process.cwd()), path: opts.path ?? null, skills: opts.skill as string[], ref: opts.ref ?? null, as: opts.as ?? null, dryRun: Boolean(opts.dryRun) };
        const res = await engineOf(ctx, opts.wait).locked(`library upstream add ${req.url}`, (store) => addUpstream(settings, store, req));
        ctx.log.info({ action: 'upstream-add', url: res.url, commit: res.commit, dryRun: res.dryRun, skills: res.skills.map((s) => `${s.skill}:${s.outcome}`) }, `upstream add ${res.url} at ${short(res.commit)}: ${res.skills.map((s) => `${s.skill} ${s.outcome}`).join(', ')}`);
        if (opts.json) printJson(res);
        else {
          const where = `${res.url}${res.path ? ` ${res.path}/` : ''} (${refWords(res.ref, res.refKind)}, ${short(res.commit)})`;
          console.log(`${res.dryRun ? 'would vendor' : 'vendored'} from ${where}:`);
          for (const s of res.skills) console.log(skillLine(s, settings.libraryDir).join('\n'));
          if (res.lockChanged && !res.dryRun) console.log(`wrote ${res.lock}`);
          console.log(reviewLines(res, res.lockChanged, res.dryRun).join('\n'));
        }
        return [attention(res.skills)];
      }),
    );

  upstream
    .command('update [name...]')
    .description('merge each vendored skill (or the named skills or upstream URLs) with its upstream\'s newest commit; the library\'s edits stay; never commits')
    .option('--dry-run', 'print the plan; write nothing in the library')
    .option(...timeout)
    .option(...wait)
    .option('--json', 'print JSON')
    .action(
      run(async (names: string[], opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const settings = settingsOf(ctx.config, opts.timeout);
        const res = await engineOf(ctx, opts.wait).locked('library upstream update', (store) => updateUpstreams(settings, store, { names, dryRun: Boolean(opts.dryRun) }));
        for (const u of res.upstreams) {
          if (u.error) sayFailure('library', u.error, ctx.globals.logFile);
          else ctx.log.info({ action: 'upstream-update', url: u.url, from: u.from, to: u.to, dryRun: res.dryRun, skills: u.skills.map((s) => `${s.skill}:${s.outcome}`) }, `upstream update ${u.url} ${short(u.from)}..${short(u.to)}`);
        }
        if (opts.json) printJson(res);
        else printUpdate(res, settings.libraryDir);
        return [...res.upstreams.map((u) => u.failure), attention(res.upstreams.flatMap((u) => u.skills))];
      }),
    );

  upstream
    .command('list')
    .description('every upstream and vendored skill: unchanged, edited in the library, or a conflict to review')
    .option('--check', 'also ask each followed upstream for its newest commit (fetches nothing); exit 1 when one has commits not yet taken')
    .option(...timeout)
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const settings = settingsOf(ctx.config, opts.timeout);
        const res = await listUpstreams(settings, { check: Boolean(opts.check) });
        const failures: (Failure | null)[] = [];
        for (const u of res.upstreams) {
          if (u.check?.error) sayFailure('library', u.check.error, ctx.globals.logFile);
          failures.push(u.check?.failure ?? null, u.check?.behind ? 'needs-attention' : null);
        }
        if (opts.json) printJson(res);
        else printList(res, ctx);
        return failures;
      }),
    );

  upstream
    .command('forget <skill...>')
    .description('stop following an upstream for these skills: their lock entries go, their folders stay')
    .option(...wait)
    .option('--json', 'print JSON')
    .action(
      run(async (skills: string[], opts, cmd: Command) => {
        skills.forEach((s) => checkName('skill', s));
        const ctx = loadContext(cmd);
        const settings = settingsOf(ctx.config, 300);
        const res = await engineOf(ctx, opts.wait).locked('library upstream forget', async () => forgetSkills(settings, skills));
        if (opts.json) printJson(res);
        else {
          for (const f of res.forgotten) console.log(`forgot ${f.skill} (vendored from ${f.url}): its folder stays, no longer updated`);
          console.log(reviewLines(res, true, false).join('\n'));
        }
        return [];
      }),
    );
}

function printUpdate(res: UpdateResult, libraryDir: string): void {
  for (const u of res.upstreams) {
    const head = `${u.url}${u.path ? ` ${u.path}/` : ''} (${refWords(u.ref, u.refKind)})`;
    if (u.error) {
      console.log(`${head}: FAILED, nothing of it changed: ${u.error}`);
      continue;
    }
    const move = u.pinned ? `pinned at ${short(u.from)}` : u.to === u.from ? `at ${short(u.from)}, up to date` : `${short(u.from)} → ${short(u.to)}`;
    console.log(`${head}: ${move}`);
    for (const s of u.skills) console.log(skillLine(s, libraryDir).join('\n'));
    if (u.pinned) console.log(`  a pin stays where it is: \`library upstream add ${u.url} --skill NAME --ref NEW\` moves a skill to another ref`);
  }
  const wrote = res.upstreams.some((u) => u.skills.some((s) => ['updated', 'merged', 'conflict'].includes(s.outcome)));
  if (res.lockChanged && !res.dryRun) console.log(`wrote ${res.lock}`);
  console.log(reviewLines(res, wrote || res.lockChanged, res.dryRun).join('\n'));
}

function printList(res: Awaited<ReturnType<typeof listUpstreams>>, ctx: CommandContext): void {
  if (res.upstreams.length === 0) {
    console.log(`no upstreams (${res.lock} does not list any): \`library upstream add <url>\` vendors skills from a git repository`);
    return;
  }
  for (const u of res.upstreams) {
    const at = u.pinned ? `pinned at ${short(u.commit)}` : `at ${short(u.commit)}`;
    let check = '';
    if (u.check?.error) check = `; CHECK FAILED: ${u.check.error}`;
    else if (u.check?.behind) check = `; NEW COMMITS upstream (${short(u.check.tip)}): run \`library upstream update\``;
    else if (u.check && !u.pinned) check = '; up to date with upstream';
    console.log(`${u.url}${u.path ? ` ${u.path}/` : ''} (${refWords(u.ref, u.refKind)}) ${at}${check}`);
    for (const s of u.skills) {
      const extra = s.state === 'conflict' ? `  (to review: ${s.conflicts.map((c) => path.join(ctx.config.libraryDir!, '.upstream-conflicts', s.name, c)).join(', ') || 'a file deleted upstream'})` : '';
      const gone = s.removedUpstream ? `  (deleted upstream at ${short(s.removedUpstream)})` : '';
      console.log(`  ${s.state.padEnd(18)} ${s.name}${s.from && s.from !== s.name ? ` (upstream ${s.from})` : ''}${extra}${gone}`);
    }
  }
}
