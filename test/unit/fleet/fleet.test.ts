/** The pure parts of a fleet: its config keys, why git failed, what a host's report says, the push's porcelain, health. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { driftOf, severity } from '../../../src/fleet/analyze.js';
import { classifyGitFailure, hostOfUrl } from '../../../src/fleet/classify.js';
import { fleetProblems } from '../../../src/fleet/health.js';
import { remoteEnv } from '../../../src/fleet/git.js';
import { parsePorcelain } from '../../../src/fleet/report.js';
import { DEFAULT_NETWORK } from '../../../src/fleet/config.js';

const base = { companies: { A: '/c/A' }, store: '/s/store.git' };
const parse = (extra: Record<string, unknown>) => parseConfig({ ...base, ...extra }, '/cfg/library.config.json');

describe('config: a library URL, a report URL, host, network', () => {
  it('takes any URL git takes; a relative path is from the config folder; branch defaults to main, path to the root', () => {
    for (const url of ['git@github.com:acme/skills.git', 'ssh://git@gitlab.example:2222/acme/skills.git', 'https://github.com/acme/skills.git', 'http://127.0.0.1:9/hub.git', 'file:///srv/hub.git', '/srv/hub.git']) {
      expect(parse({ library: { url } }).libraryUrl).toEqual({ url, branch: 'main', path: '' });
    }
    expect(parse({ library: { url: '../hub.git', branch: 'release/2', path: './skills/' } }).libraryUrl).toEqual({ url: '/hub.git', branch: 'release/2', path: 'skills' });
    const c = parse({ library: { url: 'git@h:x.git' }, report: { url: 'git@h:reports.git' }, host: 'build-07', network: { timeout: 30, tries: 1 } });
    expect([c.libraryDir, c.libraryRef, c.report, c.host]).toEqual([null, null, { url: 'git@h:reports.git' }, 'build-07']);
    expect(c.network).toEqual({ ...DEFAULT_NETWORK, timeoutMs: 30_000, tries: 1 });
  });
  it('refuses, naming the key: a password, a remote helper, an option, a bad branch or path, an unknown key, a host that does not fit', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ library: { url: 'https://me:tok@github.com/a/b.git' } }, /"library.url" holds a password.*credential helper/],
      [{ library: { url: 'ext::sh -c x' } }, /remote helpers/],
      [{ library: { url: '-uevil' } }, /starts with "-"/],
      [{ library: { url: 'ftp://h/x.git' } }, /scheme "ftp:\/\/"/],
      [{ library: { url: 'git@h:x.git', branch: '-x' } }, /"library.branch"/],
      [{ library: { url: 'git@h:x.git', branch: 'a..b' } }, /"library.branch"/],
      [{ library: { url: 'git@h:x.git', path: '../up' } }, /"library.path"/],
      [{ library: { url: 'git@h:x.git', path: '/abs' } }, /"library.path"/],
      [{ library: { url: 'git@h:x.git', ref: 'refs/x' } }, /unknown key "library.ref"/],
      [{ library: 'x', report: { url: 'h:x.git', push: true } }, /unknown key "report.push"/],
      [{ library: 'x', host: 'my laptop' }, /"host" must be a name.*e\.g\. "my-laptop"/],
      [{ library: 'x', network: { tries: 0 } }, /"network.tries"/],
      [{ library: 'x', network: { timeout: 0 } }, /"network.timeout"/],
    ];
    for (const [extra, message] of cases) expect(() => parse(extra)).toThrow(message);
  });
});

describe('classifyGitFailure: only network causes are retried', () => {
  const f = (stderr: string, timedOut = false) => classifyGitFailure({ code: 128, stderr, timedOut, timeoutMs: 120_000 }, 'github.com');
  it('network: refused, resolution, 5xx, reset, cut off', () => {
    for (const s of [
      "fatal: unable to access 'http://127.0.0.1:9/hub.git/': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server",
      'ssh: connect to host github.com port 22: Connection refused\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.',
      "fatal: unable to access 'https://github.com/a/b.git/': Could not resolve host: github.com",
      "fatal: unable to access 'https://github.com/a/b.git/': The requested URL returned error: 503",
      'error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502',
      'kex_exchange_identification: read: Connection reset by peer',
      'fatal: early EOF',
    ]) expect(f(s).retryable, s).toBe(true);
    expect(f('', true)).toMatchObject({ retryable: true, cause: 'ETIMEDOUT: no complete answer within 120s' });
    expect(f('ssh: connect to host github.com port 22: Connection refused').fix).toMatch(/is github.com up/);
  });
  it('never retried, each with its own fix: login, host key, credentials, missing repository or branch, certificates', () => {
    const cases: [string, RegExp][] = [
      ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights', /ssh refused the login/],
      ['Host key verification failed.\nfatal: Could not read from remote repository.', /host key of github.com is not known/],
      ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", /could not read Username/],
      ["remote: Repository not found.\nfatal: repository 'https://github.com/a/b.git/' not found", /Repository not found/],
      ['fatal: couldn\'t find remote ref refs/heads/mian', /couldn't find remote ref/],
      ["fatal: '/srv/hub.git' does not appear to be a git repository", /does not appear to be a git repository/],
      ["fatal: unable to access 'https://h/x.git/': SSL certificate problem: unable to get local issuer certificate", /SSL certificate problem/],
      ['fatal: something else entirely', /something else entirely/],
    ];
    for (const [stderr, cause] of cases) {
      const got = f(stderr);
      expect(got.retryable, stderr).toBe(false);
      expect(got.cause).toMatch(cause);
      expect(got.fix.length).toBeGreaterThan(10);
    }
    expect(f("fatal: couldn't find remote ref refs/heads/mian").fix).toMatch(/library.branch/);
  });
  it('names the host of every URL form', () => {
    expect(['git@github.com:a/b.git', 'ssh://git@gitlab.example:2222/a.git', 'https://github.com/a/b.git', 'file:///srv/hub.git', '/srv/hub.git'].map(hostOfUrl)).toEqual([
      'github.com',
      'gitlab.example',
      'github.com',
      'this machine (a local repository)',
      'this machine (a local repository)',
    ]);
  });
});

describe('remoteEnv: never a prompt; ssh in batch mode with the connect timeout, on the ssh command the user chose', () => {
  it('$LIBRARY_SSH is the ssh command; http needs no ssh', async () => {
    const saved = process.env.LIBRARY_SSH;
    process.env.LIBRARY_SSH = 'ssh -F /etc/fleet_ssh_config';
    try {
      const env = await remoteEnv('git@github.com:a/b.git', { ...DEFAULT_NETWORK, connectTimeoutMs: 5000 });
      expect(env.GIT_SSH_COMMAND).toBe('ssh -F /etc/fleet_ssh_config -o BatchMode=yes -o ConnectTimeout=5');
      expect(env.GIT_TERMINAL_PROMPT).toBe('0');
      expect((await remoteEnv('https://github.com/a/b.git', DEFAULT_NETWORK)).GIT_SSH_COMMAND).toBe(process.env.GIT_SSH_COMMAND);
      // Run from a git hook, git's variables would point the fetch at that hook's repository.
      process.env.GIT_DIR = '/elsewhere/.git';
      expect((await remoteEnv('https://github.com/a/b.git', DEFAULT_NETWORK)).GIT_DIR).toBeUndefined();
      delete process.env.GIT_DIR;
    } finally {
      if (saved === undefined) delete process.env.LIBRARY_SSH;
      else process.env.LIBRARY_SSH = saved;
    }
  });
});

describe("driftOf: a host's company against the hub's library now", () => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o));
  it('overrides, behind, new and overrides the hub changed since', () => {
    const drift = driftOf({
      company: m({ pdf: 'mine', docx: 'd1', xlsx: 'x1', own: 'o' }),
      distributed: m({ pdf: 'p1', docx: 'd1', xlsx: 'x1', deleted: 'e1', gone: 'g1' }),
      distributedAtHub: null,
      now: m({ pdf: 'p2', docx: 'd1', xlsx: 'x2', deleted: 'e1', csv: 'c1' }),
    });
    // deleted: the company deleted it (an override); gone: deleted by both, nothing to say.
    expect(drift).toEqual({ overrides: ['deleted'], overridesBehind: ['pdf'], behind: ['xlsx'], new: ['csv'] });
  });
  it("compares the hub's own trees when it has the distributed commit (ignored files make the host's differ)", () => {
    const t = { company: m({ pdf: 'filtered' }), distributed: m({ pdf: 'filtered' }), distributedAtHub: m({ pdf: 'raw' }), now: m({ pdf: 'raw' }) };
    expect(driftOf(t)).toEqual({ overrides: [], overridesBehind: [], behind: [], new: [] });
    expect(severity({ atTip: true, drift: driftOf(t) })).toBe(0);
    expect(severity({ atTip: false, drift: driftOf(t) })).toBe(2);
    expect(severity({ atTip: true, drift: { ...driftOf(t), overrides: ['pdf'] } })).toBe(1);
  });
});

describe('parsePorcelain', () => {
  it('reads each destination with its flag and summary', () => {
    const out = parsePorcelain(
      'To http://h/hub.git\n*\trefs/heads/companies/A:refs/hosts/h/companies/A\t[new reference]\n=\trefs/heads/companies/B:refs/hosts/h/companies/B\t[up to date]\n!\trefs/heads/companies/C:refs/hosts/h/companies/C\t[rejected] (non-fast-forward)\n-\t:refs/hosts/h/companies/D\t[deleted]\nDone\n',
    );
    expect(Object.fromEntries([...out].map(([ref, r]) => [ref.split('/').pop(), r.flag]))).toEqual({ A: '*', B: '=', C: '!', D: '-' });
    expect(out.get('refs/hosts/h/companies/C')!.summary).toBe('[rejected] (non-fast-forward)');
  });
});

describe('fleetProblems', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const libraryUrl = { url: 'git@h:skills.git', branch: 'main', path: 'skills' };
  const upstream = { url: libraryUrl.url, branch: 'main', commit: 'a'.repeat(40), lastFetch: '2026-12-01T10:00:00.000Z', lastAttempt: '2026-12-01T11:58:00.000Z', lastError: 'e', lastCause: 'unreachable after 3 tries: Connection refused: is h up?', lastErrorAt: '2026-12-01T11:58:00.000Z', rewrites: [] };
  it('red while the last fetch failed, naming the URL and when a fetch last succeeded; green once one succeeds', () => {
    const [p] = fleetProblems({ libraryUrl, report: null, upstream, reported: null, now });
    expect(p.check).toBe('library-fetch');
    expect(p.message).toBe(
      "the library's last fetch from git@h:skills.git (branch main), 2m ago, unreachable after 3 tries: Connection refused: is h up?; the last successful fetch was 2h ago (2026-12-01T10:00:00.000Z, commit aaaaaaa): companies have the library as it was then",
    );
    expect(fleetProblems({ libraryUrl, report: null, upstream: { ...upstream, lastFetch: '2026-12-01T11:59:00.000Z' }, reported: null, now })).toEqual([]);
    expect(fleetProblems({ libraryUrl: { ...libraryUrl, url: 'git@other:x.git' }, report: null, upstream, reported: null, now })).toEqual([]);
  });
  it('a failed report is its own problem', () => {
    const reported = { url: 'r', host: 'h', lastReport: null, lastChecked: null, lastAttempt: null, lastError: 'report to r: refused', lastErrorAt: '2026-12-01T11:00:00.000Z', lastFailure: 'diverged' as const, reported: {} };
    const [p] = fleetProblems({ libraryUrl: null, report: { url: 'r' }, upstream: null, reported, now });
    expect(p).toMatchObject({ check: 'report', fix: expect.stringMatching(/own "host"/) });
  });
});
