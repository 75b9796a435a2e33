/**
 * A fleet: machines whose library is a git URL (file://, http:// served by
 * `git http-backend`, ssh:// to a real sshd on 127.0.0.1) pull it before each
 * sync and report their company histories to the hub; `library fleet` reads
 * them back. The hub is a plain bare repository: no server of ours.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBRARY_SKILLS } from '../../example/workspace.js';
import { cleanupTempDirs, fsck, git, tempDir } from '../helpers.js';
import { cliAsync } from '../remote-helpers.js';
import { SSHD, startSshd, type Sshd } from '../remote-sshd.js';
import { createHub, createMachine, CUSTOM_PDF, hubFile, serveHub, skillsIn, type Hub, type HubServer, type Machine } from '../fleet-helpers.js';

const HAVE_SSHD = fs.existsSync(SSHD);
if (!HAVE_SSHD) process.stderr.write(`\n!!!!!! SKIPPING the ssh machine of the fleet tests: ${SSHD} is missing (apt-get install -y openssh-server) !!!!!!\n\n`);

const read = (file: string) => fs.readFileSync(file, 'utf8');
const execPathOfGit = () => execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
const SKILLS = Object.keys(LIBRARY_SKILLS).sort();

describe('a fleet pulling its library from a git host and reporting back', () => {
  let hub: Hub;
  let server: HubServer;
  let sshd: Sshd | null = null;
  let env: NodeJS.ProcessEnv = {};
  const machines: Machine[] = [];
  let viaFile: Machine;
  let viaHttp: Machine;
  const run = (m: Machine, args: string[], extra: NodeJS.ProcessEnv = {}) => cliAsync(m.configFile, args, { ...env, ...extra });

  beforeAll(async () => {
    const root = tempDir('lsync-fleet-');
    hub = createHub(path.join(root, 'hub'));
    server = await serveHub(hub.gitdir);
    const file = `file://${hub.gitdir}`;
    viaFile = createMachine(path.join(root, 'm-file'), 'm-file', file, file);
    viaHttp = createMachine(path.join(root, 'm-http'), 'm-http', server.url, server.url);
    machines.push(viaFile, viaHttp);
    if (HAVE_SSHD) {
      sshd = await startSshd(tempDir('lsync-sshd-'), ['AcceptEnv GIT_PROTOCOL']);
      env = { LIBRARY_SSH: sshd.sshCommand }; // ssh -F <its client config>: the alias forge-test is that sshd
      const ssh = `ssh://forge-test${hub.gitdir}`;
      machines.push(createMachine(path.join(root, 'm-ssh'), 'm-ssh', ssh, ssh));
    }
  });
  afterAll(async () => {
    await server?.close();
    await sshd?.stop();
    cleanupTempDirs();
  });

  it("machines on file://, http:// and ssh:// distribute the hub's path only; a new hub commit reaches each on its next run; a company's override is kept", async () => {
    const first = await Promise.all(machines.map((m) => run(m, ['sync', '--fix', '--json'])));
    for (const [i, res] of first.entries()) {
      const m = machines[i];
      expect(res.code, `${m.name}: ${res.stderr}`).toBe(0);
      expect(res.json.library.kind).toBe('url');
      expect(res.json.fetch).toMatchObject({ ok: true, previous: null, commit: hub.main() });
      expect(res.json.report).toMatchObject({ ok: true, host: m.name });
      // Only what is under skills/: no README.md, no tools/lint.
      expect(skillsIn(m.companyDir('Beta'))).toEqual(SKILLS);
      expect(read(path.join(m.companyDir('Beta'), 'docx', 'SKILL.md'))).toBe(hubFile(hub, 'skills/docx/SKILL.md'));
      expect(read(path.join(m.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(CUSTOM_PDF);
      // The hub's commits are kept in the store; the distributed library names the one it came from.
      expect(git(m.storeDir, ['rev-parse', 'refs/fetched/library']).trim()).toBe(hub.main());
      expect(git(m.storeDir, ['log', '-1', '--format=%B', 'refs/heads/library'])).toContain(`Source-Commit: ${hub.main()}`);
    }

    const docx = '---\nname: docx\ndescription: "Word documents, v2."\n---\n\nNow with comments.\n';
    const tip = hub.commit({ 'skills/docx/SKILL.md': docx, 'skills/pdf/reference.md': '# PDF reference, v2\n', 'skills/csv/SKILL.md': '---\nname: csv\ndescription: CSV files.\n---\n', 'README.md': '# changed\n' }, 'docx v2, pdf reference v2, csv');
    const second = await Promise.all(machines.map((m) => run(m, ['sync', '--fix', '--json'])));
    for (const [i, res] of second.entries()) {
      const m = machines[i];
      expect(res.code, `${m.name}: ${res.stderr}`).toBe(0);
      expect(res.json.fetch.commit).toBe(tip);
      expect(read(path.join(m.companyDir('Beta'), 'docx', 'SKILL.md'))).toBe(docx);
      expect(skillsIn(m.companyDir('Beta'))).toEqual([...SKILLS, 'csv'].sort());
      expect(read(path.join(m.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(CUSTOM_PDF);
      expect(res.json.companies.find((c: any) => c.name === 'Acme').skills.find((s: any) => s.name === 'pdf').state).toBe('override-behind');
      fsck(m.storeDir);
    }
    const hubRefs = git(hub.gitdir, ['for-each-ref', '--format=%(refname)']).trim().split('\n');
    expect(hubRefs).toEqual(['refs/heads/main', ...machines.flatMap((m) => [`refs/hosts/${m.name}/companies/Acme`, `refs/hosts/${m.name}/companies/Beta`])].sort());
    for (const m of machines) expect(git(hub.gitdir, ['rev-parse', `refs/hosts/${m.name}/companies/Beta`]).trim()).toBe(git(m.storeDir, ['rev-parse', 'refs/heads/companies/Beta']).trim());
    fsck(hub.gitdir);
  });

  it('library fleet --json lists every host, with its library at the tip and a machine\'s override', async () => {
    const res = await run(viaHttp, ['fleet', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.library.tip).toBe(hub.main());
    expect(res.json.hosts.map((h: any) => h.host).sort()).toEqual(machines.map((m) => m.name).sort());
    for (const h of res.json.hosts) {
      expect(h.companies.map((c: any) => c.name).sort()).toEqual(['Acme', 'Beta']);
      const acme = h.companies.find((c: any) => c.name === 'Acme');
      expect(acme).toMatchObject({ atTip: true, libraryCommit: hub.main(), error: null });
      // Its pdf differs from the version distributed there, which is the hub's tip: an override, nothing pending.
      expect(acme.drift).toEqual({ overrides: ['pdf'], overridesBehind: [], behind: [], new: [] });
      expect(h.companies.find((c: any) => c.name === 'Beta').drift).toEqual({ overrides: [], overridesBehind: [], behind: [], new: [] });
      expect(Date.parse(acme.lastSync)).toBeGreaterThan(Date.now() - 120_000);
    }
    // Drift first: every host has Acme's override, listed before Beta.
    expect(res.json.hosts[0].companies[0].name).toBe('Acme');
    const text = await run(viaFile, ['fleet']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/m-http: 2 companies, drift\n {2}Acme {2}last sync \d+s ago {2}library [0-9a-f]{7} \(the tip\) {2}overrides: pdf/);
  });

  it('a machine that has not synced since the hub moved shows as not at the tip, with what it is behind on', async () => {
    const tip = hub.commit({ 'skills/xlsx/SKILL.md': '---\nname: xlsx\ndescription: Spreadsheets, v2.\n---\n' }, 'xlsx v2');
    expect((await run(viaFile, ['sync', '--fix'])).code).toBe(0);
    const res = await run(viaFile, ['fleet', '--json']);
    expect(res.json.library.tip).toBe(tip);
    const behind = res.json.hosts.find((h: any) => h.host === 'm-http');
    expect(behind.companies.find((c: any) => c.name === 'Beta')).toMatchObject({ atTip: false, drift: { behind: ['xlsx'], overrides: [], overridesBehind: [], new: [] } });
    expect(res.json.hosts.find((h: any) => h.host === 'm-file').companies.every((c: any) => c.atTip)).toBe(true);
    expect(res.json.hosts.at(-1).host).toBe('m-file'); // behind the hub first; m-file has overrides only
  });

  it('a second run with nothing new sends and receives no pack (http-backend access log; GIT_TRACE_PACKET over ssh)', async () => {
    expect((await run(viaHttp, ['sync', '--fix'])).code).toBe(0); // catch up with xlsx v2
    server.log.length = 0;
    const res = await run(viaHttp, ['sync', '--fix', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.fetch.commit).toBe(res.json.fetch.previous);
    expect(res.json.report.skipped).toBe(true);
    // Protocol v2: the capability advertisement and one ls-refs; no fetch command, no receive-pack, no pack either way.
    expect(server.log.map((e) => `${e.method} ${e.service} ${e.command ?? ''}`.trim())).toEqual(['GET git-upload-pack', 'POST git-upload-pack ls-refs']);
    expect(server.log.some((e) => e.packIn || e.packOut)).toBe(false);
    expect(server.log.reduce((n, e) => n + e.bytesIn + e.bytesOut, 0)).toBeLessThan(2000);

    const ssh = machines.find((m) => m.name === 'm-ssh');
    if (!ssh) return;
    expect((await run(ssh, ['sync', '--fix'])).code).toBe(0);
    const trace = path.join(ssh.root, 'trace');
    const again = await run(ssh, ['sync', '--fix', '--json'], { GIT_TRACE_PACKET: trace });
    expect(again.code, again.stderr).toBe(0);
    const packets = read(trace);
    expect(packets).toContain('command=ls-refs');
    expect(packets).not.toContain('command=fetch');
    expect(packets).not.toMatch(/PACK|packfile|receive-pack/);
  });

  it('the hub away: sync --fix exits 3 naming the URL, companies intact and synced from the last fetch, status --check red; back: green', async () => {
    const before = git(viaHttp.storeDir, ['rev-parse', 'refs/fetched/library']).trim();
    const acme = read(path.join(viaHttp.companyDir('Acme'), 'pdf', 'SKILL.md'));
    await server.away();
    try {
      fs.mkdirSync(viaHttp.companyDir('Late'), { recursive: true }); // a company added while the hub is away
      const res = await run(viaHttp, ['sync', '--fix']);
      expect(res.code).toBe(3);
      const lines = res.stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]).toContain(`fetch of library ${server.url} (branch main) unreachable after 2 tries`);
      expect(lines[0]).toMatch(/Empty reply from server|Connection reset|Recv failure/);
      expect(lines[0]).toContain(`distributing the library as last fetched (commit ${before.slice(0, 7)}`);
      expect(res.stdout).toContain('FAILED');
      expect(skillsIn(viaHttp.companyDir('Late'))).toEqual([...SKILLS, 'csv'].sort());
      expect(read(path.join(viaHttp.companyDir('Late'), 'xlsx', 'SKILL.md'))).toBe(hubFile(hub, 'skills/xlsx/SKILL.md'));
      expect(read(path.join(viaHttp.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(acme);

      const check = await run(viaHttp, ['status', '--check']);
      expect(check.code).toBe(1);
      const fetchLine = check.stdout.split('\n').find((l) => l.startsWith('library-fetch:'));
      expect(fetchLine).toContain(`the library's last fetch from ${server.url} (branch main)`);
      expect(fetchLine).toMatch(/the last successful fetch was \d+[smh] ago \(\d{4}-\d\d-\d\dT[^,]+, commit [0-9a-f]{7}\)/);
      expect(check.stdout).toMatch(/^report: the last report to .* failed/m); // Late's new history could not be reported
    } finally {
      await server.back();
    }
    const back = await run(viaHttp, ['sync', '--fix', '--json']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.json.report.updated).toContain('refs/hosts/m-http/companies/Late');
    const check = await run(viaHttp, ['status', '--check']);
    expect(check.code, check.stdout).toBe(0);
  });

  it('a force-pushed hub branch is followed, recorded and reported; the old commits stay in the store', async () => {
    const old = hub.main();
    const pdf = '---\nname: pdf\ndescription: PDFs, rewritten history.\n---\n';
    const tip = hub.rewrite({ 'skills/pdf/SKILL.md': pdf }, 'xlsx v2, and a pdf rewrite (amended)');
    const res = await run(viaFile, ['sync', '--fix', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.fetch.rewritten).toMatchObject({ from: old, to: tip });
    const kept = res.json.fetch.rewritten.keptAs;
    expect(kept).toMatch(/^refs\/fetched\/rewritten\//);
    expect(git(viaFile.storeDir, ['rev-parse', kept]).trim()).toBe(old);
    expect(git(viaFile.storeDir, ['rev-parse', 'refs/fetched/library']).trim()).toBe(tip);
    expect(read(path.join(viaFile.companyDir('Beta'), 'pdf', 'SKILL.md'))).toBe(pdf);
    expect(res.stderr).toContain('was force-pushed');
    fsck(viaFile.storeDir);
    // Said on the human summary too, and not again once followed.
    const text = await run(viaHttp, ['sync', '--fix']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/REWRITTEN: the branch was force-pushed: [0-9a-f]{7} is no longer in its history; followed to [0-9a-f]{7}/);
    expect((await run(viaHttp, ['sync', '--fix'])).stdout).not.toContain('REWRITTEN');
    expect((await run(viaFile, ['status', '--check'])).code).toBe(0);
    expect(JSON.parse(read(path.join(viaFile.storeDir, 'library-sync', 'fetch.json'))).rewrites).toEqual([expect.objectContaining({ from: old, to: tip, keptAs: kept })]);
  });

  it('library forget <company> drops a company whose folder is gone (its hub ref with it); fleet forget <host> removes a host from the hub', async () => {
    fs.rmSync(path.join(viaFile.root, 'companies', 'Beta'), { recursive: true });
    expect((await run(viaFile, ['status', '--check'])).stdout).toMatch(/^company-missing: company Beta/m);
    const refused = await run(viaFile, ['forget', 'Acme']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const beta = git(viaFile.storeDir, ['rev-parse', 'refs/heads/companies/Beta']).trim();
    const res = await run(viaFile, ['forget', 'Beta', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(git(viaFile.storeDir, ['rev-parse', res.json.keptAs]).trim()).toBe(beta);
    expect(git(viaFile.storeDir, ['for-each-ref', 'refs/heads/companies/Beta', 'refs/bases/Beta'])).toBe('');
    expect((await run(viaFile, ['status', '--check'])).code).toBe(0);
    const sync = await run(viaFile, ['sync', '--fix', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json.report.deleted).toEqual(['refs/hosts/m-file/companies/Beta']);
    expect(git(hub.gitdir, ['for-each-ref', 'refs/hosts/m-file/'])).not.toContain('Beta');
    expect((await run(viaFile, ['forget', 'Nobody'])).code).toBe(2);

    const gone = machines[machines.length - 1].name;
    const forgot = await run(viaHttp, ['fleet', 'forget', gone, '--json']);
    expect(forgot.code, forgot.stderr).toBe(0);
    expect(forgot.json.deleted.length).toBeGreaterThan(0);
    expect(git(hub.gitdir, ['for-each-ref', `refs/hosts/${gone}/`])).toBe('');
    const fleet = await run(viaHttp, ['fleet', '--json']);
    expect(fleet.json.hosts.map((h: any) => h.host)).not.toContain(gone);
    const unknown = await run(viaHttp, ['fleet', 'forget', 'no-such-host']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('has no host "no-such-host"');
    expect(git(hub.gitdir, ['for-each-ref', '--format=%(refname)', 'refs/heads/'])).toBe('refs/heads/main\n');
    fsck(hub.gitdir);
  });

  it("the scheduled job gets what the fetch needs: git's folder on its PATH, the ssh agent's socket, $LIBRARY_GIT", async () => {
    const fakeGit = path.join(viaHttp.root, 'bin', 'git');
    fs.mkdirSync(path.dirname(fakeGit));
    fs.symlinkSync(execPathOfGit(), fakeGit);
    const res = await run(viaHttp, ['launchd', 'print'], { SSH_AUTH_SOCK: '/tmp/agent.sock', LIBRARY_GIT: fakeGit, LIBRARY_UNRELATED: 'x' });
    expect(res.code, res.stderr).toBe(0);
    const vars = (parse(res.stdout) as any).EnvironmentVariables;
    expect(vars).toMatchObject({ SSH_AUTH_SOCK: '/tmp/agent.sock', LIBRARY_GIT: fakeGit });
    expect(vars.PATH.split(':')).toContain(path.dirname(fakeGit));
    expect(vars.LIBRARY_UNRELATED).toBeUndefined();
    const unit = (await run(viaHttp, ['systemd', 'print'], { SSH_AUTH_SOCK: '/tmp/agent.sock' })).stdout;
    expect(unit).toContain('Environment="SSH_AUTH_SOCK=/tmp/agent.sock"');
  });

  it("what git fetch writes is read: a pack of deltas, then a thin pack git completed", async () => {
    const packs = () => fs.readdirSync(path.join(viaFile.storeDir, 'objects', 'pack')).filter((n) => n.endsWith('.pack'));
    const before = packs().length;
    const many = (round: number) => Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`skills/big/notes/n${i}.md`, `# note ${i}\n${'line of text\n'.repeat(40)}round ${round}\n`]));
    hub.commit({ ...many(1), 'skills/big/SKILL.md': '---\nname: big\ndescription: Many files.\n---\n' }, 'big, 120 notes'); // over git's unpackLimit (100): kept as a pack
    expect((await run(viaFile, ['sync', '--fix'])).code).toBe(0);
    hub.commit(many(2), 'every note again'); // deltas against objects only this store has: a thin pack, completed by git
    const res = await run(viaFile, ['sync', '--fix']);
    expect(res.code, res.stderr).toBe(0);
    expect(packs().length).toBeGreaterThanOrEqual(before + 2);
    expect(read(path.join(viaFile.companyDir('Acme'), 'big', 'notes', 'n77.md'))).toBe(hubFile(hub, 'skills/big/notes/n77.md'));
    fsck(viaFile.storeDir);
  });

  it('git missing, or a bad URL: one line naming the fix, exit 2, nothing written', async () => {
    const before = git(viaHttp.storeDir, ['for-each-ref']);
    const res = await run(viaHttp, ['sync', '--fix'], { LIBRARY_GIT: '/nonexistent/git' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('$LIBRARY_GIT (/nonexistent/git) could not be run');
    expect(git(viaHttp.storeDir, ['for-each-ref'])).toBe(before);

    const config = JSON.parse(read(viaHttp.configFile));
    for (const [library, words] of [
      [{ url: 'https://me:secret@example.com/x.git' }, 'holds a password'],
      [{ url: server.url, branch: 'a..b' }, '"library.branch"'],
      [{ url: server.url, path: '../x' }, '"library.path"'],
      [{ url: 'ext::sh -c evil' }, 'remote helpers'],
    ] as const) {
      const file = path.join(viaHttp.root, 'bad.config.json');
      fs.writeFileSync(file, JSON.stringify({ ...config, library }));
      const bad = await cliAsync(file, ['sync', '--fix']);
      expect(bad.code).toBe(2);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toContain(words);
    }
  });
});
