import path from 'node:path';
import type { Command } from 'commander';
import { buildPlist, DEFAULT_LABEL } from '../schedule/launchd.js';
import { jobArguments, logFiles } from '../schedule/job.js';
import { defaultLaunchdDir, jobSpecFor, removeFiles, runTool, updateScheduleRecord, writeUnitFiles } from '../schedule/install.js';
import { loadContext, printJson, run } from './context.js';
import { checkJobName, scheduleFlags } from './schedule-options.js';

const isMac = process.platform === 'darwin';

export function registerLaunchd(program: Command): void {
  const launchd = program.command('launchd').description('the macOS launchd agent that runs `library sync --fix` on a schedule');

  const plistFor = (opts: { interval: number; throttle: number; logDir?: string; label: string }, cmd: Command) => {
    const ctx = loadContext(cmd);
    const label = checkJobName('--label', opts.label);
    const spec = jobSpecFor(ctx.config, { intervalSeconds: opts.interval, throttleSeconds: opts.throttle, logDir: opts.logDir });
    return { ctx, label, spec, xml: buildPlist(spec, label) };
  };

  scheduleFlags(launchd.command('install'), true)
    .description('write the agent to ~/Library/LaunchAgents (or --dest) and load it (macOS)')
    .option('--label <label>', 'launchd label, also the file name', DEFAULT_LABEL)
    .option('--dest <dir>', 'folder to write the plist to (default ~/Library/LaunchAgents)')
    .option('--no-load', 'do not run launchctl')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const { ctx, label, spec, xml } = plistFor(opts, cmd);
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
          return 0;
        }
        console.log(`wrote ${file}: \`library sync --fix\` every ${spec.intervalSeconds} s`);
        if (load) console.log(`loaded: launchctl list ${label} shows it (LastExitStatus 0 when the last run was fine)`);
        else console.log(`not loaded${isMac ? ' (--no-load)' : ': launchctl is macOS-only'}; to load it: launchctl load -w ${file}`);
        console.log(`logs: ${logs.log} (JSON lines), ${logs.out}, ${logs.err}\nhealth: library status --check`);
        return 0;
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
        return 0;
      }),
    );

  scheduleFlags(launchd.command('print'), true)
    .description('print the plist that install would write; writes nothing')
    .option('--label <label>', 'launchd label', DEFAULT_LABEL)
    .action(
      run(async (opts, cmd: Command) => {
        process.stdout.write(`${plistFor(opts, cmd).xml}\n`);
        return 0;
      }),
    );
}
