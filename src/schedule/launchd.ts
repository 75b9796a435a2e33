/**
 * The launchd agent's plist, built and read with the `plist` package. Pure.
 * plist (with the XML parser and builder it brings) is a quarter of the CLI's
 * code and only launchd's commands and doctor's schedule check need it: it is
 * loaded when they run, not at every start-up (the bundle leaves it outside).
 */
import type { PlistValue } from 'plist';
import { jobArguments, logFiles, type JobSpec } from './job.js';

const plist = () => import('plist');

export const DEFAULT_LABEL = 'com.alai.library-sync';

export async function buildPlist(spec: JobSpec, label: string): Promise<string> {
  const logs = logFiles(spec.logDir);
  return (await plist()).build({
    Label: label,
    ProgramArguments: jobArguments(spec),
    StartInterval: spec.intervalSeconds,
    // launchd starts a job at most this often; with StartInterval it also keeps a slow run from being restarted at once.
    ThrottleInterval: spec.throttleSeconds,
    RunAtLoad: true,
    StandardOutPath: logs.out,
    StandardErrorPath: logs.err,
    EnvironmentVariables: spec.env,
    ProcessType: 'Background',
  });
}

export async function parsePlist(text: string): Promise<Record<string, PlistValue>> {
  const value = (await plist()).parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    throw new Error('not a plist dictionary');
  }
  return value as Record<string, PlistValue>;
}
