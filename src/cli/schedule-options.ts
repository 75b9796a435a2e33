/** Flags shared by `library launchd …` and `library systemd …`. */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
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
