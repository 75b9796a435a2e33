/**
 * `library launchd install|uninstall|print` (macOS) and `library systemd
 * install|uninstall|print` (Linux): the scheduled job, one file for both
 * schedulers; what differs per platform (the plist, the units) lives in
 * src/schedule/.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { buildPlist, DEFAULT_LABEL } from '../schedule/launchd.js';
import { jobArguments, logFiles } from '../schedule/job.js';
import { defaultLaunchdDir, defaultSystemdDir, hasCommand, jobSpecFor, removeFiles, runTool, updateScheduleRecord, writeUnitFiles } from '../schedule/install.js';
import { loadContext, printJson, run } from './context.js';
import { UsageError } from '../errors.js';
import { DEFAULT_UNIT, systemdUnits } from '../schedule/systemd.js';
import { checkName } from '../names.js';

export function parseWholeSeconds(min: number): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`expected a whole number of seconds, at least ${min}, got "${value}"`);
    return n;
  };
}

export function scheduleFlags(cmd: Command, withThrottle: boolean): Command {
  cmd.option('--interval <seconds>', 'run every this many seconds', parseWholeSeconds(1), 300);
  if (withThrottle) cmd.option('--throttle <seconds>', "launchd's ThrottleInterval: the least time between two starts", parseWholeSeconds(0), 60);
  return cmd.option('--log-dir <dir>', 'log folder (default: "logs" beside the store)');
}

/** A label or unit name becomes a file name: same rules as skill names. */
export function checkJobName(flag: string, value: string): string {
  try {
    return checkName('skill', value);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a safe file name: use letters, digits, '.', '_' and '-'`);
  }
}

const isMac = process.platform === 'darwin';

export function registerLaunchd(program: Command): void {
  const launchd = program.command('launchd').description('the macOS launchd agent that runs `library sync --fix` on a schedule');

  const plistFor = async (opts: { interval: number; throttle: number; logDir?: string; label: string }, cmd: Command) => {
    const ctx = loadContext(cmd);
    const label = checkJobName('--label', opts.label);
    const spec = jobSpecFor(ctx.config, { intervalSeconds: opts.interval, throttleSeconds: opts.throttle, logDir: opts.logDir });
    return { ctx, label, spec, xml: await buildPlist(spec, label) };
  };

  scheduleFlags(launchd.command('install'), true)
    .description('write the agent to ~/Library/LaunchAgents (or --dest) and load it (macOS)')
    .option('--label <label>', 'launchd label, also the file name', DEFAULT_LABEL)
    .option('--dest <dir>', 'folder to write the plist to (default ~/Library/LaunchAgents)')
    .option('--no-load', 'do not run launchctl')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const { ctx, label, spec, xml } = await plistFor(opts, cmd);
        const [file] = writeUnitFiles(path.resolve(opts.dest ?? defaultLaunchdDir()), { [`${label}.plist`]: xml }, spec.logDir);
        const load = opts.load !== false && isMac;
        if (load) {
          try {
            runTool('launchctl', ['unload', file]); // an older copy may be loaded
          } catch {
            /* it was not loaded */
          }
          runTool('launchctl', ['load', '-w', file]);
        }
        await updateScheduleRecord(ctx.config, 'launchd', { files: [file], label, loaded: load, programArguments: jobArguments(spec), installedAt: new Date().toISOString() });
        ctx.log.info({ action: 'launchd-install', file, label, loaded: load }, `installed launchd agent ${file}`);
        const logs = logFiles(spec.logDir);
        if (opts.json) {
          printJson({ file, label, loaded: load, programArguments: jobArguments(spec), logs });
          return [];
        }
        console.log(`wrote ${file}: \`library sync --fix\` every ${spec.intervalSeconds} s`);
        if (load) console.log(`loaded: launchctl list ${label} shows it (LastExitStatus 0 when the last run was fine)`);
        else console.log(`not loaded${isMac ? ' (--no-load)' : ': launchctl is macOS-only'}; to load it: launchctl load -w ${file}`);
        console.log(`logs: ${logs.log} (JSON lines), ${logs.out}, ${logs.err}\nhealth: library status --check`);
        return [];
      }),
    );

  launchd
    .command('uninstall')
    .description('unload (macOS) and remove the agent')
    .option('--label <label>', 'launchd label', DEFAULT_LABEL)
    .option('--dest <dir>', 'folder holding the plist (default ~/Library/LaunchAgents)')
    .option('--no-load', 'do not run launchctl')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const label = checkJobName('--label', opts.label);
        const file = path.join(path.resolve(opts.dest ?? defaultLaunchdDir()), `${label}.plist`);
        if (opts.load !== false && isMac) {
          try {
            runTool('launchctl', ['unload', '-w', file]);
          } catch (err) {
            ctx.log.warn({ action: 'launchd-uninstall', err }, `launchctl unload ${file} failed; removing the file anyway`);
          }
        }
        const removed = removeFiles([file]);
        await updateScheduleRecord(ctx.config, 'launchd', undefined);
        console.log(removed.length ? `removed ${file}` : `nothing to remove: ${file} does not exist`);
        return [];
      }),
    );

  scheduleFlags(launchd.command('print'), true)
    .description('print the plist that install would write; writes nothing')
    .option('--label <label>', 'launchd label', DEFAULT_LABEL)
    .action(
      run(async (opts, cmd: Command) => {
        process.stdout.write(`${(await plistFor(opts, cmd)).xml}\n`);
        return [];
      }),
    );
}

export function registerSystemd(program: Command): void {
  const systemd = program.command('systemd').description('the Linux systemd user service and timer that run `library sync --fix` on a schedule');

  const unitsFor = (opts: { interval: number; logDir?: string; unit: string }, cmd: Command) => {
    const ctx = loadContext(cmd);
    const unit = checkJobName('--unit', opts.unit);
    const spec = jobSpecFor(ctx.config, { intervalSeconds: opts.interval, throttleSeconds: 0, logDir: opts.logDir });
    // StandardOutput=append: takes the rest of the line as the path, unquoted.
    if (/[\s%$\\]/.test(spec.logDir)) throw new UsageError(`--log-dir ${spec.logDir}: systemd cannot append to a path with spaces, '%', '$' or '\\': choose another folder`);
    return { ctx, unit, spec, units: systemdUnits(spec, unit) };
  };

  scheduleFlags(systemd.command('install'), false)
    .description('write the service and timer to ~/.config/systemd/user (or --dest), then enable the timer')
    .option('--unit <name>', 'unit name, without .service/.timer', DEFAULT_UNIT)
    .option('--dest <dir>', 'folder to write the units to (default ~/.config/systemd/user)')
    .option('--no-enable', 'do not run systemctl')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const { ctx, unit, spec, units } = unitsFor(opts, cmd);
        const files = writeUnitFiles(path.resolve(opts.dest ?? defaultSystemdDir()), { [`${unit}.service`]: units.service, [`${unit}.timer`]: units.timer }, spec.logDir);
        const canEnable = opts.enable !== false && process.platform === 'linux' && hasCommand('systemctl');
        if (canEnable) {
          runTool('systemctl', ['--user', 'daemon-reload']);
          runTool('systemctl', ['--user', 'enable', '--now', `${unit}.timer`]);
        }
        await updateScheduleRecord(ctx.config, 'systemd', { files, unit, enabled: canEnable, programArguments: jobArguments(spec), installedAt: new Date().toISOString() });
        ctx.log.info({ action: 'systemd-install', files, unit, enabled: canEnable }, `installed systemd units ${files.join(', ')}`);
        const logs = logFiles(spec.logDir);
        if (opts.json) {
          printJson({ files, unit, enabled: canEnable, programArguments: jobArguments(spec), logs });
          return [];
        }
        console.log(`wrote ${files.join(' and ')}: \`library sync --fix\` every ${spec.intervalSeconds} s`);
        if (canEnable) console.log(`enabled: systemctl --user list-timers ${unit}.timer shows the next run`);
        else console.log(`not enabled${opts.enable === false ? ' (--no-enable)' : ': no systemctl here'}; to enable: systemctl --user daemon-reload && systemctl --user enable --now ${unit}.timer`);
        console.log(`logs: ${logs.log} (JSON lines), ${logs.out}, ${logs.err}\nhealth: library status --check`);
        return [];
      }),
    );

  systemd
    .command('uninstall')
    .description('disable the timer and remove both units')
    .option('--unit <name>', 'unit name', DEFAULT_UNIT)
    .option('--dest <dir>', 'folder holding the units (default ~/.config/systemd/user)')
    .option('--no-enable', 'do not run systemctl')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const unit = checkJobName('--unit', opts.unit);
        const dest = path.resolve(opts.dest ?? defaultSystemdDir());
        if (opts.enable !== false && process.platform === 'linux' && hasCommand('systemctl')) {
          try {
            runTool('systemctl', ['--user', 'disable', '--now', `${unit}.timer`]);
          } catch (err) {
            ctx.log.warn({ action: 'systemd-uninstall', err }, `systemctl disable ${unit}.timer failed; removing the units anyway`);
          }
        }
        const removed = removeFiles([path.join(dest, `${unit}.service`), path.join(dest, `${unit}.timer`)]);
        await updateScheduleRecord(ctx.config, 'systemd', undefined);
        console.log(removed.length ? `removed ${removed.join(' and ')}` : `nothing to remove: no ${unit} units in ${dest}`);
        return [];
      }),
    );

  scheduleFlags(systemd.command('print'), false)
    .description('print the service and timer that install would write; writes nothing')
    .option('--unit <name>', 'unit name', DEFAULT_UNIT)
    .action(
      run(async (opts, cmd: Command) => {
        const { unit, units } = unitsFor(opts, cmd);
        process.stdout.write(`# ${unit}.service\n${units.service}\n# ${unit}.timer\n${units.timer}`);
        return [];
      }),
    );
}
