/**
 * A real OpenSSH server on 127.0.0.1 for one test file: its own host key, a
 * free port, an authorized key, and an ssh client config with one Host alias
 * per case. ssh reads `~/.ssh/config` from the passwd entry's home folder, not
 * from $HOME, so the client config is given with `-F` through $LIBRARY_SSH (the
 * override forge-sync offers); what it exercises is the same: host aliases,
 * keys, ports and known-hosts from ssh's own config.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { closedPort, eventually } from './remote-helpers.js';

export const SSHD = process.env.LIBRARY_SYNC_SSHD ?? '/usr/sbin/sshd';

export interface Sshd {
  port: number;
  /** The value for $LIBRARY_SSH (and GIT_SSH_COMMAND): ssh with this server's client config. */
  sshCommand: string;
  stop(): Promise<void>;
}

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);

/**
 * Aliases in the client config:
 * - `forge-test`: the authorized key;
 * - `forge-nogit`: a key whose forced command runs the request with an empty PATH (no git-receive-pack there);
 * - `forge-stranger`: a key the server does not know;
 * - `forge-changed`: the authorized key, but known_hosts holds another key for the server.
 */
/** `extraConfig`: more sshd_config lines (a fleet test: `MaxStartups`, `AcceptEnv GIT_PROTOCOL`). */
export async function startSshd(dir: string, extraConfig: string[] = []): Promise<Sshd> {
  for (const k of ['host', 'user', 'nogit', 'stranger', 'other']) keygen(path.join(dir, k));
  const pub = (k: string) => fs.readFileSync(path.join(dir, `${k}.pub`), 'utf8').trim();
  fs.writeFileSync(
    path.join(dir, 'authorized_keys'),
    `${pub('user')}\ncommand="PATH=/nonexistent; eval \\"$SSH_ORIGINAL_COMMAND\\"" ${pub('nogit')}\n`,
  );
  const port = await closedPort();
  fs.writeFileSync(
    path.join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      'StrictModes no', // temp folders, as root or not
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      ...extraConfig,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'known_hosts_changed'), `[127.0.0.1]:${port} ${pub('other').split(' ').slice(0, 2).join(' ')}\n`);
  const host = (alias: string, key: string, extra: string[] = []) => [`Host ${alias}`, '  HostName 127.0.0.1', `  Port ${port}`, `  IdentityFile ${path.join(dir, key)}`, ...extra.map((l) => `  ${l}`)];
  fs.writeFileSync(
    path.join(dir, 'ssh_config'),
    [
      ...host('forge-test', 'user'),
      ...host('forge-nogit', 'nogit'),
      ...host('forge-stranger', 'stranger'),
      ...host('forge-changed', 'user', ['StrictHostKeyChecking yes', `UserKnownHostsFile ${path.join(dir, 'known_hosts_changed')}`]),
      'Host *',
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  LogLevel ERROR',
      '',
    ].join('\n'),
  );
  try {
    fs.mkdirSync('/run/sshd', { recursive: true }); // privilege separation, when run as root
  } catch {
    /* not root: not needed */
  }
  const child: ChildProcess = spawn(SSHD, ['-D', '-f', path.join(dir, 'sshd_config'), '-E', path.join(dir, 'sshd.log')], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  await eventually(async () => {
    if (exited) throw new Error(`sshd exited: ${fs.readFileSync(path.join(dir, 'sshd.log'), 'utf8')}`);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.on('error', reject);
    });
  }, 10_000);
  return {
    port,
    sshCommand: `ssh -F ${path.join(dir, 'ssh_config')}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
