/**
 * Running a commander program as a bin (`library`, `discover`): the only
 * place that prints a fatal error and maps it to the exit status.
 */
import { type Command, CommanderError } from 'commander';
import { EXIT, LibrarySyncError, errorMessage } from '../errors.js';
import { lastCommandExitCode, loggerFor } from './context.js';

export async function runProgram(program: Command, argv: string[]): Promise<number> {
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
    return lastCommandExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    const name = program.name();
    const verbose = argv.includes('--verbose');
    process.stderr.write(`${name}: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // stderr already has the line; a log file gets it too, with the stack.
    if (program.opts().logFile) {
      try {
        loggerFor(program).error({ err }, errorMessage(err));
      } catch (logErr) {
        process.stderr.write(`${name}: cannot write log file: ${errorMessage(logErr)}\n`);
      }
    }
    return err instanceof LibrarySyncError ? err.exitCode : EXIT.companyFailed;
  }
}
