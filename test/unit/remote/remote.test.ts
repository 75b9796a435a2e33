/** The pure parts of forge-sync and serve: remote resolution, ref mapping, backoff, pkt-lines, tokens, config. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { tokenMatches, tokenOf } from '../../../src/remote/auth.js';
import type { RemoteConfig } from '../../../src/remote/config.js';
import { parseReportStatus, pktLine, readPktLines, receivePackCommands } from '../../../src/remote/pktline.js';
import { ZERO_OID, backoffDelays, hostRefName, mapRefs, planUpdates, resolveRemotes } from '../../../src/remote/resolve.js';

const remotes: RemoteConfig[] = [
  { name: 'forge', url: 'http://10.0.0.2:8174/store.git', tokenEnv: 'LIBRARY_FORGE_TOKEN' },
  { name: 'backup', url: 'https://backup.example:9000/store.git', tokenEnv: null },
];

describe('resolveRemotes', () => {
  it('a configured name', () => expect(resolveRemotes('backup', remotes, 'c.json')).toEqual([remotes[1]]));
  it('a bare host matches the configured remote on that host', () => expect(resolveRemotes('10.0.0.2', remotes, 'c.json')).toEqual([remotes[0]]));
  it('a host with its port', () => expect(resolveRemotes('backup.example:9000', remotes, 'c.json')).toEqual([remotes[1]]));
  it('a configured URL lends its name and token', () => expect(resolveRemotes('http://10.0.0.2:8174/store.git/', remotes, 'c.json')).toEqual([remotes[0]]));
  it('an unknown URL is used as it is, without a token', () =>
    expect(resolveRemotes('http://127.0.0.1:9/store.git', remotes, 'c.json')).toEqual([{ name: 'http://127.0.0.1:9/store.git', url: 'http://127.0.0.1:9/store.git', tokenEnv: null }]));
  it('no argument means every configured remote', () => expect(resolveRemotes(undefined, remotes, 'c.json')).toEqual(remotes));
  it('refuses an unknown host, naming the configured remotes', () => expect(() => resolveRemotes('10.0.0.9', remotes, 'c.json')).toThrow(/no configured remote is on host 10\.0\.0\.9: configured remotes are forge/));
  it('refuses a host shared by two remotes', () =>
    expect(() => resolveRemotes('10.0.0.2', [...remotes, { name: 'f2', url: 'http://10.0.0.2:1/x.git', tokenEnv: null }], 'c.json')).toThrow(/matches several remotes \(forge, f2\)/));
  it('refuses a URL holding credentials and a URL of another kind', () => {
    expect(() => resolveRemotes('http://u:p@10.0.0.2/store.git', remotes, 'c.json')).toThrow(/must not hold credentials/);
    expect(() => resolveRemotes('ftp://10.0.0.2/store.git', remotes, 'c.json')).toThrow(/must be an http:\/\/, https:\/\/ or ssh:\/\/ URL, or the scp form host:path/);
  });
  it('refuses no argument when nothing is configured', () => expect(() => resolveRemotes(undefined, [], 'c.json')).toThrow(/none configured/));
});

describe('hostRefName', () => {
  it('keeps a valid hostname', () => expect(hostRefName('forge.local')).toBe('forge.local'));
  it('replaces what a name may not hold', () => {
    expect(hostRefName("John's MacBook..Pro")).toBe('John-s-MacBook.Pro');
    expect(hostRefName('.hidden')).toBe('hidden');
    expect(hostRefName('x.lock')).toBe('x-lock');
    expect(hostRefName('???')).toBe('unnamed-host');
  });
});

describe('mapRefs and planUpdates', () => {
  const local = new Map([
    ['refs/heads/library', 'a'.repeat(40)],
    ['refs/heads/companies/CodeCraft', 'b'.repeat(40)],
    ['refs/tags/snapshot/pre-first-run', 'c'.repeat(40)],
    ['refs/bases/CodeCraft', 'd'.repeat(40)],
  ]);
  const mappings = mapRefs([...local.keys()], 'primary');

  it('sends the library to the library and this host\'s history under refs/hosts/<host>/', () => {
    expect(mappings.map((m) => [m.local, m.remote])).toEqual([
      ['refs/heads/companies/CodeCraft', 'refs/hosts/primary/companies/CodeCraft'],
      ['refs/heads/library', 'refs/heads/library'],
      ['refs/tags/snapshot/pre-first-run', 'refs/hosts/primary/tags/snapshot/pre-first-run'],
    ]);
  });

  it('skips refs the remote already has and keeps the remote\'s old value for the rest', () => {
    const remote = new Map([
      ['refs/heads/library', 'a'.repeat(40)],
      ['refs/hosts/primary/companies/CodeCraft', 'e'.repeat(40)],
    ]);
    const { upToDate, updates } = planUpdates(mappings, local, remote);
    expect(upToDate.map((u) => u.remote)).toEqual(['refs/heads/library']);
    expect(updates.map((u) => [u.remote, u.old])).toEqual([
      ['refs/hosts/primary/companies/CodeCraft', 'e'.repeat(40)],
      ['refs/hosts/primary/tags/snapshot/pre-first-run', ZERO_OID],
    ]);
  });
});

describe('backoffDelays', () => {
  it('doubles between tries', () => expect(backoffDelays(3, 1000)).toEqual([1000, 2000]));
  it('one try has no delay', () => expect(backoffDelays(1, 1000)).toEqual([]));
});

describe('pkt-lines', () => {
  it('encodes the length in 4 hex digits, including itself', () => expect(pktLine('unpack ok\n').toString()).toBe('000eunpack ok\n'));

  it('puts capabilities on the first command only, then a flush', () => {
    const buf = receivePackCommands(
      [
        { old: ZERO_OID, new: 'a'.repeat(40), ref: 'refs/heads/library' },
        { old: 'b'.repeat(40), new: 'c'.repeat(40), ref: 'refs/hosts/h/companies/X' },
      ],
      ['report-status'],
    );
    expect(readPktLines(buf)).toEqual([`${ZERO_OID} ${'a'.repeat(40)} refs/heads/library\0report-status`, `${'b'.repeat(40)} ${'c'.repeat(40)} refs/hosts/h/companies/X`]);
    expect(buf.subarray(-4).toString()).toBe('0000');
  });

  it('parses report-status', () => {
    const buf = Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/library\n'), pktLine('ng refs/hosts/h/companies/X non-fast-forward\n'), Buffer.from('0000')]);
    const r = parseReportStatus(buf);
    expect(r.unpack).toBe('ok');
    expect(r.refs.get('refs/heads/library')).toEqual({ ok: true, reason: null });
    expect(r.refs.get('refs/hosts/h/companies/X')).toEqual({ ok: false, reason: 'non-fast-forward' });
  });

  it('refuses an answer that is not report-status', () => {
    expect(() => parseReportStatus(Buffer.from('<html>'))).toThrow(/malformed pkt-line/);
    expect(() => parseReportStatus(pktLine('hello\n'))).toThrow(/did not report the push status/);
  });
});

describe('tokens', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it('reads Bearer and Basic (token as password, or as user with no password)', () => {
    expect(tokenOf('Bearer s3cret')).toBe('s3cret');
    expect(tokenOf(basic('library-sync:s3cret'))).toBe('s3cret');
    expect(tokenOf(basic('s3cret:'))).toBe('s3cret');
    expect(tokenOf(undefined)).toBeNull();
    expect(tokenOf('Digest x')).toBeNull();
  });
  it('compares exactly', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cre', 's3cret')).toBe(false);
    expect(tokenMatches(null, 's3cret')).toBe(false);
  });
});

describe('config: remotes and serve', () => {
  const base = { library: { ref: 'refs/heads/library' }, companies: { A: '/tmp/a' }, store: '/tmp/s.git' };
  const parse = (extra: object) => parseConfig({ ...base, ...extra }, '/tmp/c.json');

  it('reads remotes in order, and serve with its defaults', () => {
    const c = parse({ remotes: { forge: { url: 'http://forge.local:8174/store.git/', tokenEnv: 'LIBRARY_FORGE_TOKEN' } }, serve: { tokenEnv: 'T' } });
    expect(c.remotes).toEqual([{ name: 'forge', url: 'http://forge.local:8174/store.git', tokenEnv: 'LIBRARY_FORGE_TOKEN' }]);
    expect(c.serve).toEqual({ tokenEnv: 'T', port: 8174 });
    expect(parse({}).remotes).toEqual([]);
  });

  it.each([
    [{ remotes: [] }, /"remotes" must be an object/],
    [{ remotes: { 'bad name': { url: 'http://x/s.git' } } }, /invalid remote name "bad name"/],
    [{ remotes: { forge: { url: 'ftp://x/s.git' } } }, /remotes\.forge\.url.*must be an http:\/\/, https:\/\/ or ssh:\/\/ URL/],
    [{ remotes: { forge: { url: 'forge:store.git', tokenEnv: 'T' } } }, /"remotes\.forge\.tokenEnv" is for http\(s\) remotes: over ssh, your ssh keys/],
    [{ remotes: { forge: { url: 'ssh://u:pw@forge/store.git' } } }, /must not hold a password/],
    [{ remotes: { forge: { url: 'ssh://-oProxyCommand=x/store.git' } } }, /ssh would read as an option/],
    [{ remotes: { forge: { url: 'forge:' } } }, /names no path/],
    [{ remotes: { forge: { url: 'http://u:tok@x/s.git' } } }, /must not hold credentials/],
    [{ remotes: { forge: { url: 'http://x/s.git', token: 'abc' } } }, /unknown key "remotes\.forge\.token"/],
    [{ remotes: { forge: { url: 'http://x/s.git', tokenEnv: 'not a var' } } }, /remotes\.forge\.tokenEnv" must name an environment variable/],
    [{ serve: { port: 70000 } }, /serve\.port/],
    [{ serve: { bind: '0.0.0.0' } }, /unknown key "serve\.bind"/],
  ])('refuses %j', (extra, message) => expect(() => parse(extra)).toThrow(message));
});
