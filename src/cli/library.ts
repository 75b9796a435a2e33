#!/usr/bin/env node
/**
 * The `library` command. The only place that prints errors and sets the exit
 * status: commands return an exit code or throw a typed error.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, LibrarySyncError, errorMessage } from '../errors.js';
import { lastCommandExitCode, loggerFor } from './context.js';
import { registerForgeSync } from './forge-sync.js';
import { registerInit } from './init.js';
import { registerPush } from './push.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status.js';
import { registerSync } from './sync.js';

export function buildProgram(): Command {
  const program = new Command('library')
    .description('keep a global library of agent skills distributed into many companies, as git trees in one store')
    .option('--config <file>', 'config file (default: $LIBRARY_CONFIG, ./library.config.json, ~/.config/library-sync/config.json)')
    .option('--verbose', 'debug detail in logs and errors')
    .option('--log-file <file>', 'write JSON logs here instead of stderr')
    .exitOverride()
    .showHelpAfterError();
  for (const register of [registerInit, registerSync, registerStatus, registerPush, registerForgeSync, registerServe]) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
    return lastCommandExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    const verbose = argv.includes('--verbose');
    process.stderr.write(`library: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // stderr already has the line; a log file gets it too, with the stack.
    if (program.opts().logFile) {
      try {
        loggerFor(program).error({ err }, errorMessage(err));
      } catch (logErr) {
        process.stderr.write(`library: cannot write log file: ${errorMessage(logErr)}\n`);
      }
    }
    return err instanceof LibrarySyncError ? err.exitCode : EXIT.companyFailed;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
