/** The `library` command's verbs and global flags (library.ts runs it; tests walk it to reach every verb). */
import { Command } from 'commander';
import { registerForgeSync } from './forge-sync.js';
import { registerFleet } from './fleet.js';
import { registerForget } from './forget.js';
import { registerInit } from './init.js';
import { registerDiff } from './diff.js';
import { registerOverride } from './override.js';
import { registerPromote } from './promote.js';
import { registerPush } from './push.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status.js';
import { registerSync } from './sync.js';
import { registerSnapshot } from './snapshot.js';
import { registerRollback } from './rollback.js';
import { registerExport } from './export.js';
import { registerImport } from './import.js';
import { registerDoctor } from './doctor.js';
import { registerHooks } from './hooks.js';
import { registerLaunchd, registerSystemd } from './schedule.js';
import { registerValidate } from './validate.js';
import { registerUpstream } from './upstream.js';
import { CONFIG_HELP, packageVersion } from './context.js';

export function buildProgram(): Command {
  const program = new Command('library')
    .description('keep a global library of agent skills distributed into many companies, as git trees in one store')
    .version(packageVersion(), '--version', 'print the version')
    .option('--config <file>', CONFIG_HELP)
    .option('--verbose', 'debug detail in logs and errors')
    .option('--log-file <file>', 'write the JSON logs here (a terminal still gets warnings and errors, as short lines)');
  const registers = [registerInit, registerSync, registerStatus, registerPush];
  registers.push(registerSnapshot, registerRollback, registerExport, registerImport); // issue 4
  registers.push(registerValidate, registerHooks, registerLaunchd, registerSystemd, registerDoctor); // issue 5
  registers.push(registerOverride, registerPromote, registerDiff, registerReport); // issue 10
  registers.push(registerForgeSync, registerServe); // issue 7
  registers.push(registerUpstream); // issue 28
  registers.push(registerFleet, registerForget); // issue 26
  for (const register of registers) register(program);
  return program;
}
