/**
 * The scheduled job, as data: what launchd and systemd both run. Pure; the
 * install commands fill it from the config and this package's location.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's root (dist/schedule/ → ../../). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(PACKAGE_ROOT, 'dist', 'cli', 'library.js');
export const WRAPPER_PATH = path.join(PACKAGE_ROOT, 'launchd', 'library-sync-wrapper.sh');
export const HOOK_TEMPLATES_DIR = path.join(PACKAGE_ROOT, 'hooks');

export interface JobSpec {
  node: string;
  cli: string;
  wrapper: string;
  config: string;
  logDir: string;
  intervalSeconds: number;
  throttleSeconds: number;
  /** PATH and anything else the job's environment needs (LIBRARY_FORGE_REMOTES). */
  env: Record<string, string>;
}

/** The files in the log folder: JSON lines (the CLI's and the wrapper's), and the job's raw stdout and stderr. */
export function logFiles(logDir: string): { log: string; out: string; err: string } {
  return { log: path.join(logDir, 'library-sync.log'), out: path.join(logDir, 'library-sync.out'), err: path.join(logDir, 'library-sync.err') };
}

/** The command line: /bin/sh rather than the wrapper itself, so a lost executable bit cannot stop the job. */
export function jobArguments(spec: JobSpec): string[] {
  return ['/bin/sh', spec.wrapper, spec.node, spec.cli, spec.config, logFiles(spec.logDir).log];
}

/** PATH for the job: node's own folder first, then the usual system folders (launchd's default PATH is minimal). */
export function jobPath(node: string): string {
  const dirs = [path.dirname(node), '/usr/local/bin', '/opt/homebrew/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  return [...new Set(dirs)].join(':');
}
