/**
 * pino JSON logs: to the --log-file, else stderr. Interactive terminals get
 * warnings only (humans read the stdout summary); launchd, systemd and hooks,
 * whose stderr is a file, get one info line per company per run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogOptions {
  verbose?: boolean;
  logFile?: string;
}

export function createLogger(opts: LogOptions): Logger {
  let dest: number | string = 2;
  if (opts.logFile) {
    fs.mkdirSync(path.dirname(path.resolve(opts.logFile)), { recursive: true });
    dest = path.resolve(opts.logFile);
  }
  const level = opts.verbose ? 'debug' : opts.logFile || !process.stderr.isTTY ? 'info' : 'warn';
  const stream = pino.destination({ dest, sync: true, mkdir: true, mode: 0o640 });
  return pino({ level, base: { run: randomBytes(4).toString('hex'), pid: process.pid } }, stream);
}
