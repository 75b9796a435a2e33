/**
 * forge-sync over ssh, against a real OpenSSH server on 127.0.0.1 (Debian's
 * openssh-server; .ci/run installs it): a primary pushes with the system's
 * `ssh`, FORGE receives with plain git-receive-pack and the hooks of
 * `library hooks install --receive`, which distribute what arrived.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { hostRefName } from '../../src/remote/resolve.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, stateOf, tempDir } from '../helpers.js';
import { eventually, forgeWorkspace, setRemote, type Forge } from '../remote-helpers.js';
import { SSHD, startSshd, type Sshd } from '../remote-sshd.js';

const HAVE_SSHD = fs.existsSync(SSHD);
if (!HAVE_SSHD) {
  process.stderr.write(`\n!!!!!! SKIPPING forge-sync over ssh: ${SSHD} is missing (apt-get install -y openssh-server; .ci/run does it) !!!!!!\n\n`);
}

const HOST = hostRefName(os.hostname());
const read = (file: string) => fs.readFileSync(file, 'utf8');
const libraryOf = (gitdir: string) => git(gitdir, ['rev-parse', 'refs/heads/library']).trim();

describe.skipIf(!HAVE_SSHD)('forge-sync over ssh to a store with receive hooks', () => {
  let sshd: Sshd;
  let primary: ExampleWorkspace;
  let forge: Forge;
  let env: NodeJS.ProcessEnv;

  /** FORGE's hook-started sync has distributed the primary's library everywhere and let go of the lock. */
  async function forgeSettled(): Promise<any> {
    // Cheap signs first (Globex has the library's pdf, no lock), then one status to be sure of every company.
    await eventually(() => {
      expect(read(path.join(forge.companyDir('Globex'), 'pdf', 'SKILL.md'))).toBe(read(path.join(primary.libraryDir, 'pdf', 'SKILL.md')));
      expect(fs.existsSync(path.join(forge.storeDir, 'library-sync', 'sync.lock'))).toBe(false);
    }, 20_000);
    const status = cli(forge, ['status', '--json']).json;
    expect(status.companies.map((c: any) => c.distributedCommit)).toEqual(status.companies.map(() => libraryOf(primary.storeDir)));
    return status;
  }

  beforeAll(async () => {
    sshd = await startSshd(tempDir('lsync-sshd-'));
    env = { LIBRARY_SSH: sshd.sshCommand };
    primary = exampleWorkspace();
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    forge = forgeWorkspace(tempDir('lsync-forge-'));
    setRemote(primary.configFile, 'forge', `forge-test:${forge.storeDir}`);
  });
  afterAll(async () => {
    await sshd?.stop();
    cleanupTempDirs();
  });

  it('hooks install --receive writes pre-receive and post-receive into the store, with absolute paths, chaining one that was there', () => {
    // A store made by native git, with a pre-receive hook of its own that records what it is given.
    execFileSync('git', ['init', '-q', '--bare', forge.storeDir]);
    fs.writeFileSync(path.join(forge.storeDir, 'hooks', 'pre-receive'), '#!/bin/sh\ncat > chained-saw\n', { mode: 0o755 });
    const res = cli(forge, ['hooks', 'install', '--receive', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.changes.map((c: any) => [c.hook, c.action])).toEqual([['pre-receive', 'chained'], ['post-receive', 'installed']]);
    const pre = read(path.join(forge.storeDir, 'hooks', 'pre-receive'));
    const post = read(path.join(forge.storeDir, 'hooks', 'post-receive'));
    // sshd gives a minimal PATH: nothing may be looked up on it.
    expect(post).toContain(`LIBRARY_SYNC_NODE='${process.execPath}'`);
    expect(post).toContain(`LIBRARY_SYNC_CONFIG='${forge.configFile}'`);
    expect(post).toContain(`LIBRARY_SYNC_LOG='${path.join(forge.root, 'logs', 'library-sync.log')}'`);
    const check = /LIBRARY_SYNC_CHECK='([^']+)'/.exec(pre)![1];
    expect(path.isAbsolute(check) && fs.existsSync(check)).toBe(true);

    const onPrimary = cli(primary, ['hooks', 'install', '--receive']);
    expect(onPrimary.code).toBe(2);
    expect(onPrimary.stderr).toMatch(/^library: hooks --receive is for a machine that is pushed to: the library of .* is a folder/m);
  });

  it("pushes over ssh; FORGE's hook distributes it within seconds, keeping FORGE's overrides", async () => {
    const acmePdf = read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'));
    const res = cli(primary, ['forge-sync', 'forge', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const r = res.json.remotes[0];
    expect(r).toMatchObject({ ok: true, name: 'forge', url: `forge-test:${forge.storeDir}` });
    expect(r.updated.map((u: any) => u.ref)).toContain('refs/heads/library');
    expect(r.exchanges).toMatchObject([{ method: 'SSH', status: 0 }]);
    // What FORGE's hook says reaches the pusher's stderr: ssh's stderr is passed on, never swallowed.
    expect(res.stderr).toContain(`library-sync: distributing what arrived in the background (log: ${path.join(forge.root, 'logs', 'library-sync.log')})`);
    expect(libraryOf(forge.storeDir)).toBe(libraryOf(primary.storeDir));
    // The chained hook ran first, on the same commands.
    expect(read(path.join(forge.storeDir, 'chained-saw'))).toContain(`${'0'.repeat(40)} ${libraryOf(primary.storeDir)} refs/heads/library`);

    const status = await forgeSettled();
    for (const skill of ['pdf', 'docx', 'xlsx', 'brand-voice']) {
      expect(read(path.join(forge.companyDir('Globex'), skill, 'SKILL.md'))).toBe(read(path.join(primary.libraryDir, skill, 'SKILL.md')));
    }
    expect(read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(acmePdf);
    expect(stateOf(status, 'Acme', 'pdf')).toBe('override');
    expect(read(path.join(forge.root, 'logs', 'library-sync.log'))).toMatch(/"msg":"Globex: fix ok"/);
    fsck(forge.storeDir);
  });

  it('a second push sends nothing: one flush packet, no objects', () => {
    const refs = refsOf(forge.storeDir);
    const res = cli(primary, ['forge-sync', 'forge', '--json'], env);
    expect(res.code).toBe(0);
    expect(res.json.remotes[0]).toMatchObject({ ok: true, objectsSent: 0, updated: [], exchanges: [{ method: 'SSH', status: 0, bytesSent: 4 }] });
    expect(res.stderr).not.toContain('distributing');
    expect(refsOf(forge.storeDir)).toBe(refs);
    expect(cli(primary, ['status', '--json']).json.remotes[0]).toMatchObject({ name: 'forge', lastPushedLibrary: libraryOf(primary.storeDir), lastError: null, lastObjectsSent: 0 });
  });

  it("by bare host name (a Host of ssh's config): a library change reaches FORGE's companies, its override stays", async () => {
    fs.appendFileSync(path.join(primary.libraryDir, 'pdf', 'SKILL.md'), '\nOver ssh.\n');
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    const res = cli(primary, ['forge-sync', 'forge-test', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.remotes[0]).toMatchObject({ ok: true, name: 'forge' });
    expect(res.json.remotes[0].objectsSent).toBeGreaterThan(0);
    const status = await forgeSettled();
    expect(read(path.join(forge.companyDir('Globex'), 'pdf', 'SKILL.md'))).toContain('Over ssh.');
    expect(read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'))).not.toContain('Over ssh.');
    expect(stateOf(status, 'Acme', 'pdf')).toBe('override-behind');
    fsck(forge.storeDir);
  });

  it("native git over ssh meets the same ref rules as serve: no deletions, tags never moved", () => {
    const refs = refsOf(forge.storeDir);
    const push = (...refspecs: string[]) =>
      spawnSync('git', ['--git-dir', primary.storeDir, 'push', `forge-test:${forge.storeDir}`, ...refspecs], { encoding: 'utf8', env: { ...process.env, GIT_SSH_COMMAND: sshd.sshCommand } });
    const del = push(`:refs/hosts/${HOST}/companies/CodeCraft`);
    expect(del.status).not.toBe(0);
    expect(del.stderr).toMatch(/remote: library-sync: refused refs\/hosts\/.*\/companies\/CodeCraft: deleting a ref is refused/);
    const moved = push(`+refs/heads/companies/Lexicon:refs/hosts/${HOST}/tags/snapshot/pre-first-run`);
    expect(moved.stderr).toMatch(/refused refs\/hosts\/.*\/tags\/snapshot\/pre-first-run: a tag is never moved/);
    const own = push('+refs/heads/library:refs/heads/companies/Acme');
    expect(own.stderr).toMatch(/refs\/heads\/companies\/Acme: only refs\/heads\/library and refs\/hosts\/<host>\/… may be pushed here/);
    expect(refsOf(forge.storeDir)).toBe(refs);
  });

  it('a diverged remote library gives exit 4 and is not overwritten', () => {
    const other = exampleWorkspace();
    fs.appendFileSync(path.join(other.libraryDir, 'xlsx', 'SKILL.md'), '\nanother primary\n');
    expect(cli(other, ['sync', '--fix']).code).toBe(0);
    const before = libraryOf(forge.storeDir);
    const res = cli(other, ['forge-sync', `forge-test:${forge.storeDir}`], env);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^library: forge-sync: forge-test:.*: the remote's library diverged/m);
    expect(libraryOf(forge.storeDir)).toBe(before);
  });

  // Each: exit 3 at once (never retried), one line naming the remote, the cause and the fix, and ssh's own words kept.
  it.each([
    ['a refused key', 'forge-stranger', () => forge.storeDir, /ssh refused the login to forge-stranger \(Permission denied \(publickey\)\): add this machine's public key/, /Permission denied \(publickey\)/],
    ['git-receive-pack missing there', 'forge-nogit', () => forge.storeDir, /git-receive-pack was not found on forge-nogit \(.*git-receive-pack.*not found\): install git there/, /git-receive-pack.*not found/],
    ['a path that is not a store', 'forge-test', () => path.join(forge.root, 'no-such-store.git'), /no-such-store\.git on forge-test is not a store \(fatal: .*does not appear to be a git repository\): check the path/, /does not appear to be a git repository/],
    ['a changed host key', 'forge-changed', () => forge.storeDir, /the host key of forge-changed has changed since known_hosts recorded it .*ssh-keygen -R/, /REMOTE HOST IDENTIFICATION HAS CHANGED/],
  ])('%s: exit 3, not retried, with the fix', (_, alias, where, message, sshSaid) => {
    const url = `${alias}:${where()}`;
    const res = cli(primary, ['forge-sync', url, '--retry-delay', '0.1', '--json'], env);
    expect(res.code).toBe(3);
    expect(res.json.remotes[0].tries).toBe(1);
    const ours = res.stderr.split('\n').filter((l) => l.startsWith('library:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(new RegExp(`^library: forge-sync: ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    expect(ours[0]).toMatch(message);
    expect(res.stderr.split('\n').filter((l) => !l.startsWith('library:') && !l.startsWith('{')).join('\n')).toMatch(sshSaid);
  });

  it('sshd stopped: exit 3 after every try, naming the host, the cause and the fix; status shows it', async () => {
    await sshd.stop();
    const res = cli(primary, ['forge-sync', 'forge', '--tries', '2', '--retry-delay', '0.1', '--connect-timeout', '2'], env);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^ssh: connect to host 127\.0\.0\.1 port \d+: Connection refused$/m);
    const line = `library: forge-sync: forge (forge-test:${forge.storeDir}) unreachable after 2 tries: ssh: connect to host 127.0.0.1 port ${sshd.port}: Connection refused: is forge-test up, with its ssh server (macOS: Remote Login) listening?`;
    expect(res.stderr.split('\n').filter((l) => l.startsWith('library:'))).toEqual([line]);
    expect(cli(primary, ['status', '--json']).json.remotes[0].lastError).toBe(line.slice('library: '.length));
  });

  it('hooks uninstall --receive removes ours and puts back the hook that was there', () => {
    const res = cli(forge, ['hooks', 'uninstall', '--receive']);
    expect(res.code).toBe(0);
    expect(read(path.join(forge.storeDir, 'hooks', 'pre-receive'))).toBe('#!/bin/sh\ncat > chained-saw\n');
    expect(fs.existsSync(path.join(forge.storeDir, 'hooks', 'post-receive'))).toBe(false);
  });
});
