/** The pure parts of forge-sync over ssh and of the receiving side: URLs, host matching, ssh failures, ref rules, push requests. */
import { describe, expect, it } from 'vitest';
import type { RemoteConfig } from '../../../src/remote/config.js';
import { parseReceiveRequest, pktLine, FLUSH } from '../../../src/remote/pktline.js';
import { ZERO_OID, refusal, parseCommands, type ObjectFacts } from '../../../src/remote/ref-rules.js';
import { resolveRemotes } from '../../../src/remote/resolve.js';
import { SessionError } from '../../../src/remote/session.js';
import { classifySsh, sshCommandLine } from '../../../src/remote/ssh.js';
import { parseRemoteUrl, type RemoteUrl } from '../../../src/remote/url.js';

type SshUrl = Extract<RemoteUrl, { kind: 'ssh' }>;
const ssh = (url: string) => parseRemoteUrl(url) as SshUrl;

describe('parseRemoteUrl', () => {
  it('reads ssh:// with user, port and an absolute path', () =>
    expect(parseRemoteUrl('ssh://me@forge.local:2222/Users/me/store.git/')).toEqual({
      kind: 'ssh', url: 'ssh://me@forge.local:2222/Users/me/store.git', user: 'me', host: 'forge.local', port: '2222', path: '/Users/me/store.git',
    }));
  it('reads ssh://host/~/path as a path from the home folder, as git does', () => expect(ssh('ssh://forge/~/store.git').path).toBe('~/store.git'));
  it('reads the scp form, with and without a user', () => {
    expect(parseRemoteUrl('forge:system/store.git')).toMatchObject({ kind: 'ssh', user: null, host: 'forge', port: null, path: 'system/store.git' });
    expect(parseRemoteUrl('me@10.0.0.2:/srv/store.git')).toMatchObject({ kind: 'ssh', user: 'me', host: '10.0.0.2', path: '/srv/store.git' });
    expect(parseRemoteUrl('[::1]:store.git')).toMatchObject({ kind: 'ssh', host: '[::1]', path: 'store.git' });
  });
  it('keeps http(s) as smart HTTP', () => expect(parseRemoteUrl('http://10.0.0.2:8174/store.git')).toMatchObject({ kind: 'http', host: '10.0.0.2', port: '8174' }));
  it.each([
    ['ftp://x/s.git', /must be an http/],
    ['-oProxyCommand=evil:x', /ssh would read as an option/],
    ['forge:-x', /git-receive-pack would read as an option/],
    ['ssh://forge', /names no path/],
    ['ssh://me:secret@forge/s.git', /must not hold a password/],
    ['not a url', /is not a URL/],
  ])('refuses %s', (url, message) => expect(parseRemoteUrl(url)).toMatch(message));
});

describe('a bare host matches the configured remote on that host, whatever its scheme', () => {
  const remotes: RemoteConfig[] = [
    { name: 'forge', url: 'ssh://me@forge.local:2222/srv/store.git', tokenEnv: null },
    { name: 'mini', url: 'mini:store.git', tokenEnv: null },
    { name: 'web', url: 'http://10.0.0.2:8174/store.git', tokenEnv: 'T' },
  ];
  it('ssh:// by host, and by host:port', () => {
    expect(resolveRemotes('forge.local', remotes, 'c.json')).toEqual([remotes[0]]);
    expect(resolveRemotes('forge.local:2222', remotes, 'c.json')).toEqual([remotes[0]]);
    expect(() => resolveRemotes('forge.local:22', remotes, 'c.json')).toThrow(/no configured remote is on host forge\.local:22/);
  });
  it('the scp form (an alias of ~/.ssh/config)', () => expect(resolveRemotes('mini', remotes, 'c.json')).toEqual([remotes[1]]));
  it('http next to ssh', () => expect(resolveRemotes('10.0.0.2', remotes, 'c.json')).toEqual([remotes[2]]));
  it('an ssh URL or scp form on the command line; a configured one lends its name', () => {
    expect(resolveRemotes('mini:store.git', remotes, 'c.json')).toEqual([remotes[1]]);
    expect(resolveRemotes('other:x.git', remotes, 'c.json')).toEqual([{ name: 'other:x.git', url: 'other:x.git', tokenEnv: null }]);
  });
  it('two schemes on one host are ambiguous', () =>
    expect(() => resolveRemotes('forge.local', [...remotes, { name: 'f2', url: 'https://forge.local/s.git', tokenEnv: null }], 'c.json')).toThrow(/matches several remotes \(forge, f2\)/));
});

describe('sshCommandLine', () => {
  it('runs git-receive-pack on the quoted path, in batch mode, options ended before the host', () =>
    expect(sshCommandLine(ssh("me@forge:it's store.git"), 10_000, undefined)).toEqual({
      file: 'ssh',
      args: ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '--', 'me@forge', `git-receive-pack 'it'\\''s store.git'`],
    }));
  it('$LIBRARY_SSH is a command line for sh, given the same arguments', () => {
    const line = sshCommandLine(ssh('ssh://[::1]:2222/s.git'), 1500, 'ssh -F /tmp/cfg');
    expect(line.file).toBe('/bin/sh');
    expect(line.args.slice(0, 3)).toEqual(['-c', 'ssh -F /tmp/cfg "$@"', 'library-sync-ssh']);
    expect(line.args.slice(3)).toEqual(['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=2', '-p', '2222', '--', '::1', "git-receive-pack '/s.git'"]);
  });
});

describe('classifySsh: the cause, the fix, and whether to try again', () => {
  const u = ssh('ssh://me@forge.local:2222/srv/store.git');
  const run = (stderr: string, code: number | null = 255, spawnError: NodeJS.ErrnoException | null = null) => classifySsh(u, { code, stderr, spawnError }, undefined);
  it.each([
    ['ssh: connect to host forge.local port 2222: Connection refused\n', true, /Connection refused: is forge\.local up, with its ssh server \(macOS: Remote Login\) listening on port 2222\?/],
    ['ssh: Could not resolve hostname forge.local: Name or service not known\n', true, /check the host name/],
    ['ssh: connect to host forge.local port 2222: Connection timed out\n', true, /check that forge\.local is up/],
    ['me@forge.local: Permission denied (publickey).\n', false, /ssh refused the login to me@forge\.local \(Permission denied \(publickey\)\): add this machine's public key .*authorized_keys of me on forge\.local/],
    ['Host key verification failed.\n', false, /the host key of forge\.local is not known here .*`ssh -p 2222 me@forge\.local`/],
    ['@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @\nHost key verification failed.\n', false, /has changed .*ssh-keygen -R '\[forge\.local\]:2222'/],
  ])('%j', (stderr, retryable, message) => {
    const e = run(stderr);
    expect(e.retryable).toBe(retryable);
    expect(e instanceof SessionError).toBe(!retryable);
    expect(e.cause_).toMatch(message);
  });
  it('git-receive-pack missing on the far side', () =>
    expect(run('bash: line 1: git-receive-pack: command not found\n', 127).cause_).toMatch(/git-receive-pack was not found on forge\.local \(bash: line 1: git-receive-pack: command not found\): install git there/));
  it('a path that is not a repository', () =>
    expect(run("fatal: '/srv/store.git' does not appear to be a git repository\n", 128).cause_).toMatch(/^\/srv\/store\.git on forge\.local is not a store \(fatal: .*\): check the path/));
  it('no ssh here', () => expect(run('', null, Object.assign(new Error('spawn ssh ENOENT'), { code: 'ENOENT' })).cause_).toMatch(/cannot run ssh \(ENOENT\): install OpenSSH's client, or set \$LIBRARY_SSH/));
  it('anything else is final and quotes ssh', () => {
    const e = run('something odd\n', 1);
    expect(e.retryable).toBe(false);
    expect(e.cause_).toMatch(/failed \(exit 1\): something odd$/);
  });
});

describe('ref rules for a receiving store', () => {
  const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(40));
  const facts = (types: Record<string, string>, ancestors: [string, string][]): ObjectFacts => ({
    typeOf: (oid) => types[oid] ?? 'commit',
    isAncestor: (x, y) => ancestors.some(([p, q]) => p === x && q === y),
  });
  const f = facts({ [c]: 'tag' }, [[a, b]]);
  it.each([
    [{ old: a, new: b, ref: 'refs/heads/library' }, null],
    [{ old: ZERO_OID, new: b, ref: 'refs/hosts/primary/companies/Acme' }, null],
    [{ old: ZERO_OID, new: c, ref: 'refs/hosts/primary/tags/snapshot/x' }, null],
    [{ old: b, new: a, ref: 'refs/heads/library' }, /not a fast-forward: bbbbbbb here is not an ancestor of aaaaaaa/],
    [{ old: b, new: a, ref: 'refs/hosts/primary/companies/Acme' }, /not a fast-forward/],
    [{ old: a, new: ZERO_OID, ref: 'refs/hosts/primary/companies/Acme' }, /deleting a ref is refused/],
    [{ old: a, new: b, ref: 'refs/hosts/primary/tags/snapshot/x' }, /a tag is never moved: it is aaaaaaa here/],
    [{ old: c, new: b, ref: 'refs/hosts/primary/odd/place' }, /a tag is never moved/],
    [{ old: ZERO_OID, new: b, ref: 'refs/heads/companies/Acme' }, /only refs\/heads\/library and refs\/hosts\/<host>\/… may be pushed here/],
    [{ old: ZERO_OID, new: b, ref: 'refs/tags/snapshot/x' }, /only refs\/heads\/library/],
    [{ old: ZERO_OID, new: b, ref: 'refs/hosts/..x/companies/A' }, /only refs\/heads\/library/],
  ])('%j', (cmd, expected) => {
    const why = refusal(cmd, f);
    if (expected === null) expect(why).toBeNull();
    else expect(why).toMatch(expected);
  });
  it('reads the hook input, and refuses what is not', () => {
    expect(parseCommands(`${a} ${b} refs/heads/library\n\n`)).toEqual([{ old: a, new: b, ref: 'refs/heads/library' }]);
    expect(parseCommands('garbage\n')).toMatch(/not a ref update/);
  });
});

describe('parseReceiveRequest', () => {
  const [a, b] = ['a', 'b'].map((x) => x.repeat(40));
  const pack = Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), Buffer.alloc(20)]);
  const req = (...parts: Buffer[]) => {
    const buf = Buffer.concat(parts);
    return parseReceiveRequest(buf, buf.length);
  };
  it('the commands, and where the pack starts', () => {
    const head = Buffer.concat([pktLine(`${a} ${b} refs/heads/library\0report-status\n`), pktLine(`${ZERO_OID} ${b} refs/hosts/h/companies/A\n`), FLUSH]);
    expect(req(head, pack)).toEqual({
      commands: [
        { old: a, new: b, ref: 'refs/heads/library' },
        { old: ZERO_OID, new: b, ref: 'refs/hosts/h/companies/A' },
      ],
      packAt: head.length,
    });
  });
  it("a lone flush is git's probe before a large push", () => expect(req(FLUSH)).toEqual({ commands: [], packAt: 4 }));
  it('deletions need no pack', () => {
    const head = Buffer.concat([pktLine(`${a} ${ZERO_OID} refs/heads/library\n`), FLUSH]);
    expect(req(head)).toMatchObject({ packAt: head.length });
  });
  it.each([
    [Buffer.from('garbage that is not a push at all'), /does not start with git's pkt-lines/],
    [Buffer.concat([pktLine(`shallow ${a}\n`), FLUSH]), /"shallow a+" is not a ref update/],
    [Buffer.concat([pktLine(`${a} ${b} refs/heads/library\n`)]), /ends before the list of refs does/],
    [Buffer.concat([pktLine(`${a} ${b} refs/heads/library\n`), FLUSH]), /carries no pack/],
    [Buffer.concat([pktLine(`${a} ${b} refs/heads/library\n`), FLUSH, Buffer.alloc(40, 0x41)]), /not a git pack/],
    [Buffer.concat([FLUSH, Buffer.from('PACK')]), /updates no ref/],
  ])('refuses %#', (buf, message) => expect(parseReceiveRequest(buf, buf.length)).toMatch(message));
});
