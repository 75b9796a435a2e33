import type { Command } from 'commander';
import type { ForgeSyncResult } from '../remote/forge-sync.js';
import { engineOf, loadContext, parsePositiveSeconds, parseSeconds, printJson, run } from './context.js';
import { sayError } from './terminal.js';

function parseTries(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number of tries, 1 or more, got "${value}"`);
  return n;
}

function summary(r: ForgeSyncResult): string {
  const head = `forge-sync: ${r.name === r.url ? r.url : `${r.name} (${r.url})`}`;
  if (!r.ok && r.updated.length === 0) return `${head}: FAILED (exit ${r.exitCode}; the reason is on stderr)`; // said once, there
  const sent = r.updated.length
    ? `pushed ${r.updated.length} ref${r.updated.length === 1 ? '' : 's'}, ${r.objectsSent} objects (${r.packBytes} bytes)`
    : 'up to date, nothing sent';
  return `${head}: ${sent}; ${r.upToDate.length} refs already there${r.refused.length ? `; ${r.refused.length} REFUSED` : ''}`;
}

export function registerForgeSync(program: Command): void {
  program
    .command('forge-sync [remote]')
    .description('push the library and this machine\'s history to a remote store over git smart HTTP or ssh (all configured remotes if none is named)')
    .option('--connect-timeout <seconds>', 'give up connecting after this long', parsePositiveSeconds, 10)
    .option('--timeout <seconds>', 'give up a try after this long', parsePositiveSeconds, 120)
    .option('--tries <n>', 'tries per remote, with backoff between them', parseTries, 3)
    .option('--retry-delay <seconds>', 'wait before the second try; doubles each time', parseSeconds, 1)
    .option('--json', 'print JSON')
    .action(
      run(async (arg: string | undefined, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const results = await engineOf(ctx).forgeSync(arg, {
          connectTimeoutSeconds: opts.connectTimeout,
          timeoutSeconds: opts.timeout,
          tries: opts.tries,
          retryDelaySeconds: opts.retryDelay,
          // ssh's own words (a host key warning, the far side's hook output) go to our stderr as they come.
          onStderr: (text) => process.stderr.write(text),
          verbose: ctx.globals.verbose && !opts.json ? (line: string) => console.log(line) : undefined,
          onResult: (result) => {
            if (result.error) sayError('library', result.error, ctx.globals.logFile); // on a terminal, not again after the log's error line
            if (!opts.json) console.log(summary(result));
          },
        });
        if (opts.json) printJson({ remotes: results });
        // Diverged (4) outranks unreachable (3): it needs a person, a retry will not fix it.
        return results.map((r) => r.failure);
      }),
    );
}
