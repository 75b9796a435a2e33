/** The launchd agent's plist, built and read with the `plist` package. Pure. */
import { build, parse, type PlistValue } from 'plist';
import { jobArguments, logFiles, type JobSpec } from './job.js';

export const DEFAULT_LABEL = 'com.alai.library-sync';

export function buildPlist(spec: JobSpec, label: string): string {
  const logs = logFiles(spec.logDir);
  return build({
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

export function parsePlist(text: string): Record<string, PlistValue> {
  const value = parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || Buffer.isBuffer(value)) {
    throw new Error('not a plist dictionary');
  }
  return value as Record<string, PlistValue>;
}
