/**
 * Running a commander program as a bin (`library`, `discover`): the only
 * place that prints a fatal error and maps it to the exit status.
 */
import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { LibrarySyncError, errorMessage } from '../errors.js';
import { exitStatus } from '../exit-codes.js';
import { lastCommandFailures, loggerFor } from './context.js';
import { clearStatus, label, sayError } from './terminal.js';

/**
 * Every option and argument parser of every command: whatever it throws becomes commander's invalid-argument error,
 * so a bad value is one line naming the flag (`error: option '--wait <seconds>' argument 'abc' is invalid. …`) and
 * exit 2, like an unknown flag. (commander passes other errors through, and they would exit 1.)
 */
function usageErrorsFromParsers(cmd: Command): void {
  for (const target of [...cmd.options, ...cmd.registeredArguments]) {
    const parse = target.parseArg;
    if (!parse) continue;
    target.parseArg = <T>(value: string, previous: T): T => {
      try {
        return parse(value, previous);
      } catch (err) {
        throw err instanceof InvalidArgumentError ? err : new InvalidArgumentError(errorMessage(err));
      }
    };
  }
  for (const sub of cmd.commands) usageErrorsFromParsers(sub);
}

function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({ outputError: (str, write) => write(str.replace(/^error:/, label('error'))) }); // coloured on a terminal
  for (const sub of cmd.commands) exitOverrideAll(sub);
}

export async function runProgram(program: Command, argv: string[]): Promise<number> {
  exitOverrideAll(program);
  usageErrorsFromParsers(program);
  try {
    await program.parseAsync(argv);
    return exitStatus(lastCommandFailures());
  } catch (err) {
    clearStatus();
    // commander has printed its one line (unknown option, bad value, missing argument); --help and --version exit 0.
    if (err instanceof CommanderError) return exitStatus([err.exitCode !== 0 && 'usage']);
    const name = program.name();
    const verbose = argv.includes('--verbose');
    const logFile = program.opts().logFile as string | undefined;
    sayError(name, errorMessage(err), logFile);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // stderr already has the line; a log file gets it too, with the stack.
    if (logFile) {
      try {
        loggerFor(program).error({ err }, errorMessage(err));
      } catch (logErr) {
        process.stderr.write(`${name}: cannot write log file: ${errorMessage(logErr)}\n`);
      }
    }
    return exitStatus([err instanceof LibrarySyncError ? err.failure : 'internal']);
  } finally {
    clearStatus();
  }
}
