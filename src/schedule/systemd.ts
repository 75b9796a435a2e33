/** The systemd user service and timer: the same job on the same schedule as the launchd agent. Pure. */
import { jobArguments, logFiles, type JobSpec } from './job.js';

export const DEFAULT_UNIT = 'library-sync';

/** One systemd word: double-quoted, with its escapes, and '%' (a specifier) and '$' (a variable) doubled. */
function quote(word: string): string {
  return `"${word.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

export function systemdUnits(spec: JobSpec, unit: string): { service: string; timer: string } {
  const logs = logFiles(spec.logDir);
  const env = Object.entries(spec.env).map(([k, v]) => `Environment=${quote(`${k}=${v}`)}`);
  const service = [
    '[Unit]',
    'Description=library-sync: distribute the skills library to every company',
    '',
    '[Service]',
    // oneshot: a run still going when the timer fires is not started twice.
    'Type=oneshot',
    `ExecStart=${jobArguments(spec).map(quote).join(' ')}`,
    ...env,
    `StandardOutput=append:${logs.out}`,
    `StandardError=append:${logs.err}`,
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=Run ${unit}.service every ${spec.intervalSeconds} s`,
    '',
    '[Timer]',
    // OnActiveSec: once when the timer starts (launchd's RunAtLoad); then every interval after each start.
    'OnActiveSec=1s',
    `OnUnitActiveSec=${spec.intervalSeconds}s`,
    'AccuracySec=5s',
    `Unit=${unit}.service`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}
