/** What every command needs: global flags, the config, the store, the logger. */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { Store, StoreAccessError } from '../store/store.js';
import { withLock } from '../lock.js';

export interface GlobalOptions {
  config?: string;
  verbose?: boolean;
  logFile?: string;
}

export interface CommandContext {
  config: Config;
  log: Logger;
  globals: GlobalOptions;
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** Loggers are made before the config, so a config error is logged too. */
export function loggerFor(cmd: Command): Logger {
  const g = globalsOf(cmd);
  return createLogger({ verbose: g.verbose, logFile: g.logFile });
}

export function loadContext(cmd: Command): CommandContext {
  const globals = globalsOf(cmd);
  return { config: loadConfig(globals.config), log: loggerFor(cmd), globals };
}

/** The store for reading: null when it does not exist yet (nothing was ever synced). */
export function openStoreIfExists(config: Config): Store | null {
  try {
    return Store.open(config.storeDir);
  } catch (err) {
    if (err instanceof StoreAccessError) throw err; // it exists, but this user cannot read it: say so
    return null;
  }
}

/** Open (creating if needed) the store and run `fn` under its lock. */
export async function withWritableStore<T>(ctx: CommandContext, command: string, waitSeconds: number, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.openOrCreate(ctx.config.storeDir);
  return withLock(store, { waitSeconds, command, log: ctx.log, staleMs: ctx.config.lockStaleMs }, () => fn(store));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`expected a number of seconds, got "${value}"`);
  return n;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

let commandExitCode = 0;
export const lastCommandExitCode = (): number => commandExitCode;

/** Wrap a command body that resolves to its exit code (commander discards return values). */
export function run<A extends unknown[]>(body: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    commandExitCode = await body(...args);
  };
}
