/**
 * Two stores on one machine, loopback only: a primary with a library and
 * companies, and FORGE with two companies of its own, served by `library serve`
 * and, separately, by plain `git http-backend`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { hostRefName } from '../../src/remote/resolve.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, stateOf, tempDir, write } from '../helpers.js';
import {
  FORGE_TOKEN,
  backendPids,
  closedPort,
  cliAsync,
  eventually,
  forgeWorkspace,
  interruptedReceive,
  rawPost,
  setRemote,
  startPlainBackend,
  startServe,
  startSilentServer,
  type Forge,
} from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const HOST = hostRefName(os.hostname());
const TOKEN_ENV = { LIBRARY_FORGE_TOKEN: FORGE_TOKEN };
const read = (file: string) => fs.readFileSync(file, 'utf8');

/** Wait until FORGE's own sync has distributed `libraryCommit` to every company and let go of the lock. */
async function forgeSettled(forge: Forge, libraryCommit: string): Promise<any> {
  const distributed = (status: any) => expect(status.companies.map((c: any) => c.distributedCommit)).toEqual(status.companies.map(() => libraryCommit));
  await eventually(() => {
    distributed(cli(forge, ['status', '--json']).json);
    expect(fs.existsSync(path.join(forge.storeDir, 'library-sync', 'sync.lock'))).toBe(false);
  });
  // A status that ran while the hook's sync wrote may have read a folder before the write and its history after
  // it: once the sync is done, one more, to read both as they stay.
  const status = cli(forge, ['status', '--json']).json;
  distributed(status);
  return status;
}

function rawGet(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

describe('forge-sync to `library serve`', () => {
  let primary: ExampleWorkspace;
  let forge: Forge;
  let serve: Awaited<ReturnType<typeof startServe>>;
  const libraryOf = (ws: { storeDir: string }) => git(ws.storeDir, ['rev-parse', 'refs/heads/library']).trim();
  /** The primary's refs that forge-sync pushes: the library, company histories, snapshot tags. */
  const pushedTips = () => git(primary.storeDir, ['for-each-ref', '--format=%(objectname)', 'refs/heads/', 'refs/tags/snapshot/']).trim().split('\n');

  beforeAll(async () => {
    primary = exampleWorkspace();
    // Over git's unpackLimit (100 objects), so FORGE keeps the push as a pack and its sync reads packed objects.
    const bulk = path.join(primary.libraryDir, 'bulk');
    for (let i = 0; i < 120; i++) write(path.join(bulk, 'refs', `r${i}.md`), `reference ${i}\n`);
    write(path.join(bulk, 'SKILL.md'), '---\nname: bulk\ndescription: Many files.\n---\n');
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    forge = forgeWorkspace(tempDir('lsync-forge-'));
    serve = await startServe(forge);
    setRemote(primary.configFile, 'forge', serve.url, 'LIBRARY_FORGE_TOKEN');
  });
  afterAll(() => serve?.stop());

  it("delivers the library; FORGE's companies receive it and keep their own overrides", async () => {
    const acmePdf = read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'));
    const res = cli(primary, ['forge-sync', 'forge', '--json'], TOKEN_ENV);
    expect(res.code).toBe(0);
    const r = res.json.remotes[0];
    expect(r.ok).toBe(true);
    expect(r.updated.map((u: any) => u.ref)).toContain('refs/heads/library');
    expect(r.objectsSent).toBeGreaterThan(120);
    expect(git(forge.storeDir, ['rev-parse', 'refs/heads/library']).trim()).toBe(libraryOf(primary));
    expect(fs.readdirSync(path.join(forge.storeDir, 'objects', 'pack')).some((f) => f.endsWith('.pack'))).toBe(true);

    const status = await forgeSettled(forge, libraryOf(primary));
    expect(status.library.kind).toBe('ref');
    for (const skill of ['pdf', 'docx', 'xlsx', 'brand-voice', 'bulk']) {
      expect(read(path.join(forge.companyDir('Globex'), skill, 'SKILL.md'))).toBe(read(path.join(primary.libraryDir, skill, 'SKILL.md')));
    }
    expect(read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(acmePdf);
    expect(stateOf(status, 'Acme', 'pdf')).toBe('override');
    expect(stateOf(status, 'Acme', 'acme-only')).toBe('company-only');
    expect(stateOf(status, 'Acme', 'docx')).toBe('in-sync');
    fsck(forge.storeDir);
  });

  it("puts the primary's company histories under refs/hosts/<host>/, where native git log reads them", () => {
    for (const company of ['CodeCraft', 'Lexicon', 'Northwind']) {
      const there = git(forge.storeDir, ['log', '--format=%H %s', `refs/hosts/${HOST}/companies/${company}`]);
      expect(there).toBe(git(primary.storeDir, ['log', '--format=%H %s', `companies/${company}`]));
      expect(there).toMatch(new RegExp(`distribute library [0-9a-f]{7} to ${company}`));
    }
    // The primary's snapshots (issue 4's automatic tags) go there too, apart from FORGE's own snapshots.
    const primaryFirst = git(primary.storeDir, ['rev-parse', 'refs/tags/snapshot/pre-first-run']).trim();
    expect(git(forge.storeDir, ['rev-parse', `refs/hosts/${HOST}/tags/snapshot/pre-first-run`]).trim()).toBe(primaryFirst);
    expect(git(forge.storeDir, ['ls-tree', '--name-only', 'refs/tags/snapshot/pre-first-run:companies']).trim().split('\n')).toEqual(['Acme', 'Globex']);
    // FORGE's own companies stay apart from the primary's.
    expect(git(forge.storeDir, ['for-each-ref', '--format=%(refname)', 'refs/heads/companies/']).trim().split('\n')).toEqual([
      'refs/heads/companies/Acme',
      'refs/heads/companies/Globex',
    ]);
  });

  it('a second forge-sync with nothing new sends no objects, and --verbose says so', () => {
    const refs = refsOf(forge.storeDir);
    const res = cli(primary, ['--verbose', 'forge-sync', 'forge'], TOKEN_ENV);
    expect(res.code).toBe(0);
    const count = pushedTips().length;
    expect(res.stdout).toMatch(new RegExp(`GET /store\\.git/info/refs\\?service=git-receive-pack → HTTP 200, .*: ${count} refs advertised`));
    expect(res.stdout).toMatch(/nothing to send, 0 objects/);
    expect(res.stdout).not.toMatch(/POST/);
    const json = cli(primary, ['forge-sync', 'forge', '--json'], TOKEN_ENV).json.remotes[0];
    expect(json).toMatchObject({ ok: true, objectsSent: 0, updated: [], advertised: count });
    expect(json.exchanges.map((e: any) => e.method)).toEqual(['GET']);
    expect(refsOf(forge.storeDir)).toBe(refs);
    const remote = cli(primary, ['status', '--json']).json.remotes[0];
    expect(remote).toMatchObject({ name: 'forge', url: serve.url, lastPushedLibrary: libraryOf(primary), lastError: null, lastObjectsSent: 0 });
  });

  it('a library change sends only what FORGE lacks, once for all companies, and reaches its companies', async () => {
    fs.appendFileSync(path.join(primary.libraryDir, 'pdf', 'SKILL.md'), '\nNew section.\n');
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    // What native git would send for the same update.
    const old = git(forge.storeDir, ['for-each-ref', '--format=%(objectname)', 'refs/heads/library', 'refs/hosts/']).trim().split('\n');
    const gitCount = git(primary.storeDir, ['rev-list', '--objects', ...pushedTips(), '--not', ...old]).trim().split('\n').length;
    const res = cli(primary, ['forge-sync', 'forge', '--json'], TOKEN_ENV);
    expect(res.code).toBe(0);
    expect(res.json.remotes[0].objectsSent).toBeGreaterThan(0);
    expect(res.json.remotes[0].objectsSent).toBeLessThanOrEqual(gitCount);
    fsck(forge.storeDir); // nothing the remote needed was left out

    await forgeSettled(forge, libraryOf(primary));
    expect(read(path.join(forge.companyDir('Globex'), 'pdf', 'SKILL.md'))).toContain('New section.');
    expect(read(path.join(forge.companyDir('Acme'), 'pdf', 'SKILL.md'))).not.toContain('New section.');
    expect(stateOf(cli(forge, ['status', '--json']).json, 'Acme', 'pdf')).toBe('override-behind');
  });

  it('a wrong token gets 401, changes nothing on FORGE, and status shows the error', async () => {
    const refs = refsOf(forge.storeDir);
    fs.appendFileSync(path.join(primary.libraryDir, 'docx', 'SKILL.md'), '\nv3\n');
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    const res = cli(primary, ['forge-sync', 'forge'], { LIBRARY_FORGE_TOKEN: 'wrong' });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^library: forge-sync: forge \(http:\/\/127\.0\.0\.1:\d+\/store\.git\) refused the push: HTTP 401 Unauthorized: check that \$LIBRARY_FORGE_TOKEN/m);
    expect(await rawGet(`${serve.url}/info/refs?service=git-receive-pack`)).toBe(401);
    expect(await rawGet(`${serve.url}/info/refs?service=git-upload-pack`, { authorization: 'Bearer wrong' })).toBe(401);
    expect(await rawGet(`${serve.url}/info/refs?service=git-receive-pack`, { authorization: `Bearer ${FORGE_TOKEN}` })).toBe(200);
    expect(refsOf(forge.storeDir)).toBe(refs);

    const status = cli(primary, ['status', '--json']).json.remotes[0];
    expect(status.lastError).toMatch(/HTTP 401/);
    expect(status.lastPush).not.toBeNull();
    expect(cli(primary, ['status']).stdout).toMatch(/^remote forge \(http:.*\): last push .* ago \(library [0-9a-f]{7}\); LAST ERROR .* ago: .*HTTP 401/m);
  });

  it('refuses a push to any ref but the library and refs/hosts/, even from native git with the token', () => {
    const refs = refsOf(forge.storeDir);
    const push = (ref: string) => {
      try {
        execFileSync('git', ['--git-dir', primary.storeDir, '-c', `http.extraHeader=Authorization: Bearer ${FORGE_TOKEN}`, 'push', serve.url, `refs/heads/library:${ref}`], { stdio: 'pipe' });
        return '';
      } catch (err) {
        return String((err as { stderr: Buffer }).stderr);
      }
    };
    // New refs, which receive-pack would otherwise create: FORGE's companies, bases and tags are its own.
    for (const ref of ['refs/heads/companies/Newco', 'refs/bases/Newco', 'refs/tags/snapshot/evil', 'refs/heads/other']) {
      expect(push(ref)).toMatch(/deny updating a hidden ref/);
    }
    expect(refsOf(forge.storeDir)).toBe(refs);
  });

  it('refuses deletions, rewinds and moved tags under refs/hosts/ from native git with the token; nothing changes', () => {
    const refs = refsOf(forge.storeDir);
    const push = (...refspecs: string[]) => {
      const r = spawnSync('git', ['--git-dir', primary.storeDir, '-c', `http.extraHeader=Authorization: Bearer ${FORGE_TOKEN}`, 'push', '--porcelain', serve.url, ...refspecs], { encoding: 'utf8' });
      return { code: r.status, out: r.stdout + r.stderr };
    };
    const company = `refs/hosts/${HOST}/companies/CodeCraft`;
    // Ancestors of what FORGE has (the primary holds them too): pushing them would move FORGE's refs back.
    const older = git(forge.storeDir, ['rev-parse', `${company}~1`]).trim();
    const olderLibrary = git(forge.storeDir, ['rev-parse', 'refs/heads/library~1']).trim();
    const cases: [string[], RegExp][] = [
      [[`:${company}`], /library-sync: refused refs\/hosts\/.*\/companies\/CodeCraft: deleting a ref is refused/],
      [[`+${older}:${company}`], /library-sync: refused refs\/hosts\/.*\/companies\/CodeCraft: not a fast-forward/],
      [[`+refs/heads/companies/Lexicon:refs/hosts/${HOST}/tags/snapshot/pre-first-run`], /library-sync: refused refs\/hosts\/.*\/tags\/snapshot\/pre-first-run: a tag is never moved/],
      [[`+${olderLibrary}:refs/heads/library`], /refs\/heads\/library.*(non-fast-forward|not a fast-forward)/],
    ];
    for (const [refspecs, message] of cases) {
      const r = push(...refspecs);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(message);
    }
    expect(refsOf(forge.storeDir)).toBe(refs);
    fsck(forge.storeDir);
  });

  it('refuses a POST that is not a push with an intact pack (400), before any lock, backend or sync', async () => {
    const refs = refsOf(forge.storeDir);
    const logFile = path.join(forge.root, 'serve.log');
    const before = read(logFile).length;
    const url = `${serve.url}/git-receive-pack`;
    const library = libraryOf(primary);
    const update = `${library} ${library} refs/heads/library\0report-status\n`;
    const pkt = Buffer.from(`${(update.length + 4).toString(16).padStart(4, '0')}${update}0000`);
    const cutPack = Buffer.concat([pkt, Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 3]), Buffer.alloc(40, 7)]);
    for (const [body, message] of [
      [Buffer.from('garbage, not a push at all'), /^not a git push: it does not start with git's pkt-lines/],
      [cutPack, /^not a git push: its pack is cut off or damaged/],
    ] as const) {
      const res = await rawPost(url, body, FORGE_TOKEN);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(message);
    }
    // Each request's line is logged just after its answer went out.
    let log = '';
    await eventually(() => {
      log = read(logFile).slice(before);
      expect(log.match(/serve: POST \/store\.git\/git-receive-pack 400/g)).toHaveLength(2);
    });
    // A sync is started before the request's own line is logged; none was.
    expect(log).not.toMatch(/sync --fix started|sync --fix queued|git http-backend/);
    expect(fs.readdirSync(path.join(forge.storeDir, 'library-sync', 'serve-spool'))).toEqual([]);
    expect(refsOf(forge.storeDir)).toBe(refs);
  });

  it('a client that goes away mid-push holds no lock, runs no backend, leaves nothing, changes nothing', async () => {
    const refs = refsOf(forge.storeDir);
    const spool = path.join(forge.storeDir, 'library-sync', 'serve-spool');
    const u = new URL(`${serve.url}/git-receive-pack`);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: {
      authorization: `Bearer ${FORGE_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request', 'content-length': '100000' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100, 0x30)); // the start of a body that never finishes
    await eventually(() => expect(fs.readdirSync(spool)).toHaveLength(1));
    // While the body is still coming, git is not running and the lock is free: a slow client holds up no sync.
    expect(fs.existsSync(path.join(forge.storeDir, 'library-sync', 'sync.lock'))).toBe(false);
    expect(backendPids(forge.storeDir)).toEqual([]);
    req.destroy();
    await eventually(() => expect(fs.readdirSync(spool)).toEqual([]));
    expect(refsOf(forge.storeDir)).toBe(refs);
  });

  it('a diverged remote library gives exit 4 and is not overwritten', () => {
    const other = exampleWorkspace();
    fs.appendFileSync(path.join(other.libraryDir, 'xlsx', 'SKILL.md'), '\nanother primary\n');
    expect(cli(other, ['sync', '--fix']).code).toBe(0);
    setRemote(other.configFile, 'forge', serve.url, 'LIBRARY_FORGE_TOKEN');
    const before = git(forge.storeDir, ['rev-parse', 'refs/heads/library']).trim();
    const res = cli(other, ['forge-sync', 'forge'], TOKEN_ENV);
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/^library: forge-sync: forge \(.*\): the remote's library diverged: its refs\/heads\/library is [0-9a-f]{7}/m);
    expect(git(forge.storeDir, ['rev-parse', 'refs/heads/library']).trim()).toBe(before);
  });
});

describe('serve killed mid-push', () => {
  it('leaves no git running, and its next start removes what cut-off receives left', async () => {
    const forge = forgeWorkspace(tempDir('lsync-forge-'));
    const first = await startServe(forge);
    // A native receive killed mid-pack leaves git's quarantine folder behind.
    const quarantine = await interruptedReceive(forge.storeDir, 'a'.repeat(40));
    const spool = path.join(forge.storeDir, 'library-sync', 'serve-spool');
    const u = new URL(`${first.url}/git-receive-pack`);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: {
      authorization: `Bearer ${FORGE_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request', 'content-length': '100000' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100, 0x30));
    await eventually(() => expect(fs.readdirSync(spool)).toHaveLength(1));
    await new Promise<void>((r) => {
      first.child.once('close', () => r());
      first.child.kill('SIGKILL');
    });
    req.destroy();
    // Before, a git http-backend reading the cut-off body was left spinning at full CPU.
    await eventually(() => expect(backendPids(forge.storeDir)).toEqual([]), 5_000);
    expect(fs.existsSync(quarantine)).toBe(true);

    const second = await startServe(forge);
    try {
      expect(fs.existsSync(quarantine)).toBe(false);
      expect(fs.readdirSync(spool)).toEqual([]);
      const log = read(path.join(forge.root, "serve.log"));
      expect(log, log).toMatch(/serve: removed 2 leftovers of receives that were cut off/);
      fsck(forge.storeDir);
      // And it takes pushes again, a large one too: git probes with a lone flush, then sends the pack chunked.
      const work = tempDir('lsync-big-');
      execFileSync('git', ['init', '-q', work]);
      fs.writeFileSync(path.join(work, 'big.bin'), crypto.randomBytes(300_000));
      execFileSync('git', ['-C', work, 'add', '.']);
      execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'big']);
      const auth = ['-c', `http.extraHeader=Authorization: Bearer ${FORGE_TOKEN}`, '-c', 'http.postBuffer=65536'];
      execFileSync('git', ['-C', work, ...auth, 'push', '-q', second.url, 'HEAD:refs/hosts/big/companies/X'], { stdio: 'pipe' });
      expect(git(forge.storeDir, ['rev-parse', 'refs/hosts/big/companies/X']).trim()).toBe(git(path.join(work, '.git'), ['rev-parse', 'HEAD']).trim());
      fsck(forge.storeDir);
    } finally {
      await second.stop();
    }
  });
});

describe('serve --max-body-bytes', () => {
  it('answers 413 to a body over the limit, sent whole, chunked or as a gzip bomb; writes nothing; a push under it lands', async () => {
    const forge = forgeWorkspace(tempDir('lsync-forge-'));
    const serve = await startServe(forge, ['--max-body-bytes', '100000']);
    try {
      const spool = path.join(forge.storeDir, 'library-sync', 'serve-spool');
      const refs = refsOf(forge.storeDir);
      const work = tempDir('lsync-big-');
      execFileSync('git', ['init', '-q', work]);
      const commit = (name: string, bytes: number) => {
        fs.writeFileSync(path.join(work, name), crypto.randomBytes(bytes));
        execFileSync('git', ['-C', work, 'add', '.']);
        execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', name]);
      };
      const push = (...config: string[]) =>
        spawnSync('git', ['-C', work, '-c', `http.extraHeader=Authorization: Bearer ${FORGE_TOKEN}`, ...config, 'push', serve.url, 'HEAD:refs/hosts/big/companies/X'], { encoding: 'utf8' });
      commit('big.bin', 300_000);
      // git sends a body under http.postBuffer with its length, a larger one chunked: both are cut off at the limit.
      for (const config of [[], ['-c', 'http.postBuffer=65536']]) {
        const r = push(...config);
        expect(r.status, config.join(' ')).not.toBe(0);
        expect(r.stderr).toMatch(/413/);
        expect(refsOf(forge.storeDir)).toBe(refs);
        expect(fs.readdirSync(spool)).toEqual([]);
      }
      const bomb = await rawPost(`${serve.url}/git-receive-pack`, zlib.gzipSync(Buffer.alloc(20_000_000)), FORGE_TOKEN, { 'content-encoding': 'gzip' });
      expect(bomb.status).toBe(413);
      expect(bomb.text).toMatch(/^the request body is 20000000 bytes decoded, over the server's limit of 100000 \(serve --max-body-bytes\)/);
      expect(fs.readdirSync(spool)).toEqual([]);
      expect(refsOf(forge.storeDir)).toBe(refs);

      execFileSync('git', ['-C', work, 'rm', '-q', 'big.bin']);
      execFileSync('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'small']);
      execFileSync('git', ['-C', work, 'checkout', '-q', '--orphan', 'small']);
      commit('small.bin', 1000);
      expect(push().status).toBe(0);
      expect(git(forge.storeDir, ['rev-parse', 'refs/hosts/big/companies/X']).trim()).toBe(git(path.join(work, '.git'), ['rev-parse', 'HEAD']).trim());
      fsck(forge.storeDir);
    } finally {
      await serve.stop();
    }
  });
});

describe('forge-sync failures are loud and bounded', () => {
  let primary: ExampleWorkspace;
  beforeAll(() => {
    primary = exampleWorkspace();
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
  });
  const fast = ['--connect-timeout', '1', '--timeout', '2', '--retry-delay', '0.1'];

  it('a closed port, named by its bare host: exit 3 after 3 tries, one line naming the remote and the cause', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/store.git`;
    setRemote(primary.configFile, 'forge', url);
    const res = cli(primary, ['forge-sync', '127.0.0.1', ...fast]);
    expect(res.code).toBe(3);
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('library:'));
    expect(lines).toEqual([`library: forge-sync: forge (${url}) unreachable after 3 tries: ECONNREFUSED`]);
    expect(res.stderr.match(/try \d of 3 failed \(ECONNREFUSED\)/g)).toHaveLength(2); // the retries are logged
    expect(cli(primary, ['status', '--json']).json.remotes[0]).toMatchObject({ lastPush: null, lastError: `forge-sync: forge (${url}) unreachable after 3 tries: ECONNREFUSED` });
  });

  it('a server that accepts and never answers: exit 3 after the overall timeout, never blocking the local sync', async () => {
    const silent = await startSilentServer();
    try {
      const pending = cliAsync(primary.configFile, ['forge-sync', silent.url, '--tries', '2', ...fast]);
      await silent.connected;
      // forge-sync is waiting on the network now; it holds no lock, so a local sync runs (--wait 0 would exit 75).
      fs.appendFileSync(path.join(primary.libraryDir, 'docx', 'SKILL.md'), '\nlocal change\n');
      expect((await cliAsync(primary.configFile, ['sync', '--fix'])).code).toBe(0);
      expect(read(path.join(primary.companyDir('Northwind'), 'docx', 'SKILL.md'))).toContain('local change');
      const res = await pending;
      expect(res.code).toBe(3);
      expect(res.stderr).toContain(`library: forge-sync: ${silent.url} unreachable after 2 tries: ETIMEDOUT: no complete answer within 2s`);
    } finally {
      await silent.close();
    }
  });

  it('a token variable that is not set is exit 2 before anything is sent', () => {
    setRemote(primary.configFile, 'forge', 'http://127.0.0.1:9/store.git', 'LIBRARY_UNSET_TOKEN');
    const res = cli(primary, ['forge-sync', 'forge'], { LIBRARY_UNSET_TOKEN: '' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toBe('library: forge-sync: remote forge needs a token in $LIBRARY_UNSET_TOKEN, which is not set: export it (the server\'s serve token)');
  });

  it('serve refuses to start without its token', () => {
    const forge = forgeWorkspace(tempDir('lsync-forge-'));
    const res = cli(forge, ['serve', '--port', '0'], { FORGE_TOKEN: '' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/\$FORGE_TOKEN \(serve\.tokenEnv\) is not set/);
    expect(fs.existsSync(forge.storeDir)).toBe(false);
  });
});

describe('compatibility with plain git http-backend', () => {
  it('delivers to a store served by a server we did not write; the second run sends nothing', async () => {
    const primary = exampleWorkspace();
    expect(cli(primary, ['sync', '--fix']).code).toBe(0);
    // An annotated snapshot tag, as `library snapshot` makes them.
    git(primary.storeDir, ['-c', 'user.name=t', '-c', 'user.email=t@t', 'tag', '-a', '-m', 'before', 'snapshot/before', 'companies/CodeCraft']);
    const forge = forgeWorkspace(tempDir('lsync-forge-'));
    execFileSync('git', ['init', '-q', '--bare', forge.storeDir]);
    const backend = await startPlainBackend(forge.storeDir);
    try {
      const first = await cliAsync(primary.configFile, ['forge-sync', backend.url, '--json']);
      expect(first.code).toBe(0);
      expect(first.json.remotes[0].objectsSent).toBeGreaterThan(0);
      fsck(forge.storeDir);
      expect(git(forge.storeDir, ['log', '--format=%H', `refs/hosts/${HOST}/companies/CodeCraft`])).toBe(git(primary.storeDir, ['log', '--format=%H', 'companies/CodeCraft']));
      const tag = git(forge.storeDir, ['rev-parse', `refs/hosts/${HOST}/tags/snapshot/before`]).trim();
      expect(tag).toBe(git(primary.storeDir, ['rev-parse', 'refs/tags/snapshot/before']).trim());
      expect(git(forge.storeDir, ['cat-file', '-t', tag]).trim()).toBe('tag');
      const second = await cliAsync(primary.configFile, ['forge-sync', backend.url, '--json']);
      expect(second.json.remotes[0]).toMatchObject({ ok: true, objectsSent: 0, updated: [] });
    } finally {
      await backend.close();
    }
    // FORGE distributes what it received, from the ref.
    const res = cli(forge, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.library.kind).toBe('ref');
    expect(read(path.join(forge.companyDir('Globex'), 'docx', 'SKILL.md'))).toBe(read(path.join(primary.libraryDir, 'docx', 'SKILL.md')));
    expect(stateOf(res.json, 'Acme', 'pdf')).toBe('override');
  });
});
