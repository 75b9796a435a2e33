import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { jobArguments, logFiles } from '../schedule/job.js';
import { defaultSystemdDir, hasCommand, jobSpecFor, removeFiles, runTool, updateScheduleRecord, writeUnitFiles } from '../schedule/install.js';
import { DEFAULT_UNIT, systemdUnits } from '../schedule/systemd.js';
import { loadContext, printJson, run } from './context.js';
import { checkJobName, scheduleFlags } from './schedule-options.js';

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
          return 0;
        }
        console.log(`wrote ${files.join(' and ')}: \`library sync --fix\` every ${spec.intervalSeconds} s`);
        if (canEnable) console.log(`enabled: systemctl --user list-timers ${unit}.timer shows the next run`);
        else console.log(`not enabled${opts.enable === false ? ' (--no-enable)' : ': no systemctl here'}; to enable: systemctl --user daemon-reload && systemctl --user enable --now ${unit}.timer`);
        console.log(`logs: ${logs.log} (JSON lines), ${logs.out}, ${logs.err}\nhealth: library status --check`);
        return 0;
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
        return 0;
      }),
    );

  scheduleFlags(systemd.command('print'), false)
    .description('print the service and timer that install would write; writes nothing')
    .option('--unit <name>', 'unit name', DEFAULT_UNIT)
    .action(
      run(async (opts, cmd: Command) => {
        const { unit, units } = unitsFor(opts, cmd);
        process.stdout.write(`# ${unit}.service\n${units.service}\n# ${unit}.timer\n${units.timer}`);
        return 0;
      }),
    );
}
