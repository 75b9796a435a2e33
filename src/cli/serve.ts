import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES, MOUNT, SyncAfterPush, startServer } from '../remote/server.js';
import { engineOf, loadContext, parseByteCount, parseSeconds, run } from './context.js';

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`expected a port number from 0 to 65535 (0: any free port), got "${value}"`);
  return n;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || (net.isIPv4(host) && host.startsWith('127.'));

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the store over git smart HTTP (native git http-backend); every push is distributed with sync --fix')
    .option('--port <port>', 'port to listen on (default: serve.port, else 8174; 0 picks a free one)', parsePort)
    .option('--bind <address>', 'address to listen on; anything but loopback must be given here', '127.0.0.1')
    .option('--wait <seconds>', 'how long a push waits for a running sync to release the lock', parseSeconds, 30)
    .option('--max-body-bytes <n>', `refuse a request body larger than this, decoded (default ${DEFAULT_MAX_BODY_BYTES}, 2 GiB)`, parseByteCount)
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const { tokenEnv } = ctx.config.serve;
        if (!tokenEnv) throw new UsageError(`serve needs a token: set "serve": { "tokenEnv": "LIBRARY_SERVE_TOKEN" } in ${ctx.config.file} and export that variable`);
        const token = process.env[tokenEnv];
        if (!token) throw new UsageError(`serve: $${tokenEnv} (serve.tokenEnv) is not set: export the token pushers will send`);
        const execPath = spawnSync('git', ['--exec-path'], { encoding: 'utf8' });
        if (execPath.error || !fs.existsSync(path.join(execPath.stdout.trim(), 'git-http-backend'))) {
          throw new UsageError('serve needs native git with git-http-backend on this machine (the receiving side only): install git');
        }

        const store = await engineOf(ctx).writable();
        const globals = ctx.globals;
        const syncArgs = [process.argv[1], '--config', ctx.config.file, ...(globals.logFile ? ['--log-file', globals.logFile] : []), 'sync', '--fix', '--wait', '60'];
        const after = new SyncAfterPush(syncArgs, ctx.log);
        const bind: string = opts.bind;
        if (!isLoopback(bind)) ctx.log.warn({ bind }, `serve: listening on ${bind}, beyond this machine: the token travels in clear over plain HTTP unless a TLS proxy or VPN carries it`);
        const { port, close, cleaned } = await startServer({
          store,
          port: opts.port ?? ctx.config.serve.port,
          bind,
          token,
          log: ctx.log,
          lockWaitSeconds: opts.wait,
          onPush: () => after.trigger(),
          maxBodyBytes: opts.maxBodyBytes,
        });
        if (cleaned.length) ctx.log.warn({ removed: cleaned }, `serve: removed ${cleaned.length} leftovers of receives that were cut off (a killed server or push)`);
        ctx.log.info({ port, bind }, 'serve: listening');
        const host = net.isIPv6(bind) ? `[${bind}]` : bind;
        console.log(`library serve: ${store.gitdir} at http://${host}:${port}${MOUNT} (token in $${tokenEnv}); Ctrl-C to stop`);
        await new Promise<void>((resolve) => {
          const stop = () => void close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        return [];
      }),
    );
}
