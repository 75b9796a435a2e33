/**
 * pino JSON logs, for machines: to the --log-file, else stderr (launchd,
 * systemd, hooks and pipes: one info line per company per run). A person's
 * terminal gets warnings and errors as short lines instead, through `human`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino, { type StreamEntry } from 'pino';

/** What the engine logs through: pino here, or any object with these four methods (the API's `logger`). */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export type HumanKind = 'error' | 'warning' | 'info' | 'debug';

export interface LogOptions {
  verbose?: boolean;
  logFile?: string;
  /**
   * What stderr gets: JSON lines (the default), nothing (the command prints a summary that says it all), or one
   * short line per warning and error (debug and info too with --verbose) for a person.
   */
  stderr?: 'json' | 'none' | ((kind: HumanKind, message: string) => void);
}

/** One id per invocation, whichever logger of it writes the line. */
const RUN = randomBytes(4).toString('hex');

export function createLogger(opts: LogOptions): Logger {
  const json = opts.verbose ? 'debug' : 'info';
  const streams: StreamEntry[] = [];
  if (opts.logFile) {
    fs.mkdirSync(path.dirname(path.resolve(opts.logFile)), { recursive: true });
    streams.push({ level: json, stream: pino.destination({ dest: path.resolve(opts.logFile), sync: true, mkdir: true, mode: 0o640 }) });
  } else if ((opts.stderr ?? 'json') === 'json') {
    streams.push({ level: json, stream: pino.destination({ dest: 2, sync: true }) });
  }
  const human = opts.stderr;
  if (typeof human === 'function') streams.push({ level: opts.verbose ? 'debug' : 'warn', stream: { write: (line: string) => human(...humanLine(line)) } });
  const level = streams.length === 0 ? 'silent' : streams.some((s) => s.level === 'debug') ? 'debug' : streams.some((s) => s.level === 'info') ? 'info' : 'warn';
  return pino({ level, base: { run: RUN, pid: process.pid } }, pino.multistream(streams));
}

/** A JSON line as a person reads it: the message, and the error's when the message does not already say it. */
function humanLine(line: string): [HumanKind, string] {
  const { level, msg, err } = JSON.parse(line) as { level: number; msg?: string; err?: string | { message?: string } };
  const cause = typeof err === 'string' ? err : err?.message;
  const text = cause && !(msg ?? '').includes(cause) ? `${msg ?? 'failed'}: ${cause}` : (msg ?? '');
  return [level >= 50 ? 'error' : level >= 40 ? 'warning' : level >= 30 ? 'info' : 'debug', text];
}
