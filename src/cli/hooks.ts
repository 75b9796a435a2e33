import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { HOOK_NAMES, RECEIVE_CHECK_PATH, RECEIVE_HOOK_NAMES, hooksDirOf, installHooks, renderHook, uninstallHooks } from '../hooks/install.js';
import { Store } from '../store/store.js';
import { findGitDir } from '../library/source.js';
import { defaultLogDir } from '../schedule/install.js';
import { CLI_PATH, logFiles } from '../schedule/job.js';
import { loadContext, printJson, run } from './context.js';

/** The git repository holding the library folder (or --repo). */
function libraryRepo(config: Config, repoOpt: string | undefined): { workTree: string; gitdir: string } {
  const from = repoOpt ? path.resolve(repoOpt) : config.libraryDir;
  if (!from) throw new UsageError(`the library of ${config.file} is ${config.libraryUrl ? `the git URL ${config.libraryUrl.url}` : 'a store ref'}, not a folder in a git repository: pass --repo DIR${config.libraryUrl ? ' (a clone of it)' : ''}`);
  const repo = findGitDir(from);
  if (!repo) throw new UsageError(`${from} is not inside a git repository: run \`git init\` there (hooks need a repository), or pass --repo DIR`);
  return repo;
}

/** --receive: the receiving store's own hooks folder; install creates the store if need be, so the first push finds one. */
async function receivingStore(config: Config, repoOpt: string | undefined, create: boolean): Promise<{ gitdir: string; dir: string }> {
  if (repoOpt) throw new UsageError('--repo names the library\'s repository; --receive installs into the store of the config: drop one of them');
  if (!config.libraryRef) {
    throw new UsageError(`hooks --receive is for a machine that is pushed to: the library of ${config.file} is a folder; such a machine has "library": { "ref": "refs/heads/library" }`);
  }
  const gitdir = create ? (await Store.openOrCreate(config.storeDir)).gitdir : config.storeDir;
  return { gitdir, dir: hooksDirOf(gitdir, gitdir) };
}

export function registerHooks(program: Command): void {
  const hooks = program.command('hooks').description("git hooks: in the library's repository (validate before commit, sync after), or with --receive in a store that is pushed to");

  hooks
    .command('install')
    .description('install pre-commit (refuses broken skills) and post-commit (starts `library sync --fix` in the background); existing hooks are chained')
    .option('--repo <dir>', "the library's git work tree (default: the one holding the configured library folder)")
    .option('--receive', "instead, the store's pre-receive (ref rules) and post-receive (sync --fix after a push over ssh)")
    .option('--log-dir <dir>', 'where the background sync logs (default: "logs" beside the store)')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        // Run inside the library's repository, the config whose library is in it is the one meant.
        const ctx = loadContext(cmd, opts.receive ? {} : { libraryRepoOf: opts.repo ?? process.cwd() });
        const logs = logFiles(path.resolve(opts.logDir ?? defaultLogDir(ctx.config)));
        const values = { NODE: process.execPath, CLI: CLI_PATH, CONFIG: ctx.config.file, LOG: logs.log, ERR: logs.err, CHECK: RECEIVE_CHECK_PATH };
        if (opts.receive) {
          const { gitdir, dir } = await receivingStore(ctx.config, opts.repo, true);
          const changes = installHooks(dir, Object.fromEntries(RECEIVE_HOOK_NAMES.map((h) => [h, renderHook(h, values)])));
          ctx.log.info({ action: 'hooks-install', receive: true, changes }, `receive hooks installed in ${dir}`);
          if (opts.json) {
            printJson({ hooksDir: dir, changes, log: logs.log });
            return [];
          }
          for (const c of changes) console.log(`${c.action.padEnd(9)} ${c.file}${c.action === 'chained' ? ' (the hook that was there runs first)' : ''}`);
          console.log(`a push to ${gitdir} is now checked (refs/heads/library and refs/hosts/<host>/… only, fast-forward, no deletions) and distributed by a background sync that logs to ${logs.log}`);
          console.log(`on the pushing machine: "remotes": { "${os.hostname().split('.')[0] || 'forge'}": { "url": "${os.userInfo().username}@${os.hostname()}:${gitdir}" } }`);
          return [];
        }
        const repo = libraryRepo(ctx.config, opts.repo);
        const dir = hooksDirOf(repo.workTree, repo.gitdir);
        const changes = installHooks(dir, Object.fromEntries(HOOK_NAMES.map((h) => [h, renderHook(h, values)])));
        ctx.log.info({ action: 'hooks-install', changes }, `hooks installed in ${dir}`);
        if (opts.json) printJson({ hooksDir: dir, changes, log: logs.log });
        else {
          for (const c of changes) console.log(`${c.action.padEnd(9)} ${c.file}${c.action === 'chained' ? ' (the hook that was there runs first)' : ''}`);
          console.log(`a commit to ${repo.workTree} is now validated first and synced after, with ${ctx.config.file}; the background sync logs to ${logs.log}`);
        }
        return [];
      }),
    );

  hooks
    .command('uninstall')
    .description('remove our hooks and restore the ones that were there before')
    .option('--repo <dir>', "the library's git work tree")
    .option('--receive', "the store's receive hooks instead")
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd, opts.receive ? {} : { libraryRepoOf: opts.repo ?? process.cwd() });
        const repo = opts.receive ? null : libraryRepo(ctx.config, opts.repo);
        const dir = repo ? hooksDirOf(repo.workTree, repo.gitdir) : (await receivingStore(ctx.config, opts.repo, false)).dir;
        const changes = uninstallHooks(dir, repo ? HOOK_NAMES : RECEIVE_HOOK_NAMES);
        ctx.log.info({ action: 'hooks-uninstall', changes }, `hooks uninstalled from ${dir}`);
        for (const c of changes) {
          const what = { restored: 'restored the hook that was there before', removed: 'removed', 'not-ours': 'left alone: not installed by library-sync', absent: 'nothing there' }[c.action];
          console.log(`${c.file}: ${what}`);
        }
        return [];
      }),
    );
}
