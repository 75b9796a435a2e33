/**
 * Writing and removing the launchd agent or the systemd units, and the record
 * of where they went (`<store>/library-sync/schedule.json`, read by `doctor`).
 * launchctl runs on macOS only; systemctl only when present and wanted.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { LibrarySyncError, UsageError } from '../errors.js';
import { Store } from '../store/store.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';
import { lexists } from '../util/lexists.js';
import { CLI_PATH, WRAPPER_PATH, jobPath, type JobSpec } from './job.js';
import { fleetJobEnv } from '../fleet/job-env.js';

export interface ScheduleOptions {
  intervalSeconds: number;
  throttleSeconds: number;
  logDir?: string;
}

export interface ScheduleRecord {
  launchd?: { files: string[]; label: string; loaded: boolean; programArguments: string[]; installedAt: string };
  systemd?: { files: string[]; unit: string; enabled: boolean; programArguments: string[]; installedAt: string };
}

/** Logs go beside the store by default: ~/system/library-store.git → ~/system/logs. */
export function defaultLogDir(config: Config): string {
  return path.join(path.dirname(config.storeDir), 'logs');
}

/** What forge-sync reads from the environment: the remotes and the ssh command to reach them. */
const JOB_ENV = ['LIBRARY_FORGE_REMOTES', 'LIBRARY_SSH'] as const;

export function jobSpecFor(config: Config, opts: ScheduleOptions): JobSpec {
  const env: Record<string, string> = { PATH: jobPath(process.execPath) };
  // The wrapper's forge-sync step reads these; copied so the job sees what the installer saw.
  for (const name of JOB_ENV) if (process.env[name]) env[name] = process.env[name]!;
  Object.assign(env, fleetJobEnv(config, env.PATH)); // a library or report URL: git, the ssh agent (src/fleet/job-env.ts)
  return {
    node: process.execPath,
    cli: CLI_PATH,
    wrapper: WRAPPER_PATH,
    config: config.file,
    logDir: path.resolve(opts.logDir ?? defaultLogDir(config)),
    intervalSeconds: opts.intervalSeconds,
    throttleSeconds: opts.throttleSeconds,
    env,
  };
}

export const defaultLaunchdDir = () => path.join(os.homedir(), 'Library', 'LaunchAgents');
export const defaultSystemdDir = () => path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'systemd', 'user');

/** Write each file atomically into `dest`; a symlink in the way is replaced, never followed. */
export function writeUnitFiles(dest: string, files: Record<string, string>, logDir: string): string[] {
  fs.mkdirSync(dest, { recursive: true });
  if (!fs.statSync(dest).isDirectory()) throw new UsageError(`${dest} is not a folder: pass --dest DIR`);
  fs.mkdirSync(logDir, { recursive: true }); // launchd and systemd do not create it
  return Object.entries(files).map(([name, content]) => {
    const file = path.join(dest, name);
    writeFileAtomic(file, content);
    return file;
  });
}

/** Remove the files that exist (a symlink itself, never its target); returns those removed. */
export function removeFiles(files: string[]): string[] {
  return files.filter((f) => {
    if (!lexists(f)) return false;
    fs.rmSync(f, { force: true });
    return true;
  });
}

/** Run a service manager command; a failure is one line naming it and its output. */
export function runTool(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const detail = (e.stderr || e.stdout || e.message).trim().split('\n')[0];
    throw new LibrarySyncError(`\`${cmd} ${args.join(' ')}\` failed: ${detail}`);
  }
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function recordFile(config: Config): string {
  return path.join(config.storeDir, 'library-sync', 'schedule.json');
}

export function readScheduleRecord(config: Config): ScheduleRecord {
  return readJsonIfExists<ScheduleRecord>(recordFile(config)) ?? {};
}

/** Update one kind's entry (undefined removes it). The store is created if needed: the job will sync into it. */
export async function updateScheduleRecord<K extends keyof ScheduleRecord>(config: Config, kind: K, entry: ScheduleRecord[K] | undefined): Promise<void> {
  const store = await Store.openOrCreate(config.storeDir);
  const record = readScheduleRecord(config);
  if (entry) record[kind] = entry;
  else delete record[kind];
  fs.mkdirSync(store.dataDir, { recursive: true });
  writeFileAtomic(recordFile(config), `${JSON.stringify(record, null, 2)}\n`);
}
