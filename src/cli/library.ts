#!/usr/bin/env node
/**
 * The `library` command. Commands return an exit code or throw a typed error;
 * runProgram (main.ts) prints errors and sets the exit status.
 */
import { runProgram } from './main.js';
import { buildProgram } from './program.js';

runProgram(buildProgram(), process.argv).then((code) => {
  process.exitCode = code;
});
