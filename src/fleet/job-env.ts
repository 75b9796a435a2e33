/**
 * What the scheduled job (launchd, systemd) needs to reach a git host as the
 * person who installed it does: git on its PATH (launchd's default PATH is
 * minimal), the ssh agent's socket, `$LIBRARY_GIT` and `$GIT_SSH_COMMAND`,
 * copied from the installer's environment. Only for a config with a library
 * URL or a report URL; other jobs are unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';

export const FLEET_JOB_ENV = ['LIBRARY_GIT', 'SSH_AUTH_SOCK', 'GIT_SSH_COMMAND'] as const;

/** The git binary this environment runs: `$LIBRARY_GIT` when it is a path, else the first `git` on PATH. */
export function gitOnPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LIBRARY_GIT) return path.isAbsolute(env.LIBRARY_GIT) ? env.LIBRARY_GIT : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, 'git');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

/** Variables to add to the job's environment; PATH (the job's, given) gains git's folder when it lacks it. */
export function fleetJobEnv(config: Pick<Config, 'libraryUrl' | 'report'>, jobPath: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!config.libraryUrl && !config.report) return {};
  const out: Record<string, string> = {};
  for (const name of FLEET_JOB_ENV) if (env[name]) out[name] = env[name]!;
  const git = gitOnPath(env);
  const dir = git ? path.dirname(git) : null;
  if (dir && !jobPath.split(':').includes(dir)) out.PATH = `${jobPath}:${dir}`;
  return out;
}
