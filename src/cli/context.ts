/** What every command needs: global flags, the config, the store, the logger. */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { Failure } from '../exit-codes.js';
import { loadConfig, type Config, type ConfigLookup } from '../config.js';
import type { SyncContext } from '../sync.js';
import { companyProgress, isTerminal, say } from './terminal.js';
import { createLogger, type Logger } from '../log.js';
import { Engine } from '../engine.js';

export const CONFIG_HELP = 'config file (default: $LIBRARY_CONFIG, else library.config.json here or in a folder above, else ~/.config/library-sync/config.json)';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
  logFile?: string;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  globals: GlobalOptions;
  /** On a terminal (and not --json): runSync's progress, as a status line. */
  onCompanyDone?: SyncContext['onCompanyDone'];
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Loggers are made before the config, so a config error is logged too. A person's terminal gets short lines. */
export function loggerFor(cmd: Command): Logger {
  const g = globalsOf(cmd);
  return createLogger({ verbose: g.verbose, logFile: g.logFile, stderr: isTerminal ? (kind, message) => say(kind, message, g.logFile) : 'json' });
}

export function loadContext(cmd: Command, lookup: ConfigLookup = {}): CommandContext {
  const globals = globalsOf(cmd);
  const json = Boolean(cmd.opts().json);
  return { config: loadConfig(globals.config, lookup), log: loggerFor(cmd), globals, onCompanyDone: isTerminal && !json ? companyProgress() : undefined };
}

/**
 * The context for a run whose outcome the command prints in full (sync, status): on a terminal every warning of
 * the run is in that summary, so it is not said on stderr too. A log file, or stderr that is not a terminal, still
 * gets the JSON lines.
 */
export function summarised(ctx: CommandContext): CommandContext {
  if (!isTerminal) return ctx;
  return { ...ctx, log: createLogger({ verbose: ctx.globals.verbose, logFile: ctx.globals.logFile, stderr: 'none' }) };
}

/** The store for reading: null when it does not exist yet (nothing was ever synced). */
/**
 * The engine for this command: the same one the API runs (src/engine.ts). `waitSeconds` is how long a
 * writing command waits for another run's lock.
 */
export function engineOf(ctx: CommandContext, waitSeconds = 0): Engine {
  return new Engine({ config: ctx.config, log: ctx.log, waitSeconds, onCompanyDone: ctx.onCompanyDone });
}

/** This package's version, from its package.json (two folders up from dist/cli/, bundled or not). */
export function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Option parsers may throw any error: runProgram (main.ts) makes it a usage error naming the flag. */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`expected a number of seconds (0 or more), got "${value}"`);
  return n;
}

/** A count of bytes or entries: a positive whole number. */
export function parseByteCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`expected a positive whole number, got "${value}"`);
  return n;
}

export function parsePositiveSeconds(value: string): number {
  const n = parseSeconds(value);
  if (n === 0) throw new Error(`expected a number of seconds greater than 0, got "${value}"`);
  return n;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** What the last command body reported (commander discards return values). */
let commandFailures: readonly (Failure | null | false | undefined)[] = [];
export const lastCommandFailures = (): readonly (Failure | null | false | undefined)[] => commandFailures;

/**
 * Wrap a command body. It resolves to what went wrong, as facts (empty: all
 * went through); src/cli/main.ts turns them into the exit status, from the one
 * table in src/exit-codes.ts.
 */
export function run<A extends unknown[]>(body: (...args: A) => Promise<readonly (Failure | null | false | undefined)[]>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    commandFailures = await body(...args);
  };
}
