/**
 * Cases that race no clock (a kill at a checkpoint, a damaged store, hostile
 * input), each on a workspace of its own, can run side by side: a case awaits
 * its CLI runs instead of blocking on them, so while one starts node another
 * computes. The timing tests (fencing, concurrent edits, the lock) never do.
 */
import { spawn } from 'node:child_process';
import pLimit from 'p-limit';
import { CLI, type CliResult } from '../helpers.js';

/** At most `n` cases at a time (vitest would start five); a case's timeout then counts its wait for a turn. */
export const sideBySide = (n: number) => pLimit(n);
export const SIDE_BY_SIDE_TIMEOUT = 300_000;

/** `cli()` of helpers.ts, awaited: the real CLI (or `bin`) as a child process, with the signal that ended it. */
export function runCli(ws: { configFile: string }, args: string[], env: NodeJS.ProcessEnv = {}, bin = CLI): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, '--config', ws.configFile, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      let json: unknown;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
      }
      resolve({ code: code ?? -1, signal, stdout, stderr, json });
    });
  });
}
