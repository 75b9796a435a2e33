/**
 * One health verdict (issue 17): `status --check`, `status`, `doctor` and the
 * drift page fail, one line per reason, for everything the scheduled job's exit
 * status knows: a skipped skill, an index not rebuilt, a remote down or
 * diverged, a missing company folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, cli, exampleWorkspace, git, tempDir } from '../helpers.js';
import { cliAsync, closedPort, setRemote, startPlainBackend } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

/** Ages ("3s ago") move between two runs: compare what they say apart from that. */
const timeless = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/\d+(s|m) ago/g, 'N ago'));

describe('one health verdict: status --check, status, doctor and the drift page', () => {
  it('sees a skipped skill, an index that was not rebuilt, a remote down, a remote diverged and a missing company; green again once mended', async () => {
    const ws = exampleWorkspace();
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const check = () => cli(ws, ['status', '--check', '--json']);
    expect(check().json.ok).toBe(true);

    // A remote that is down, and one whose library someone else wrote.
    const down = `http://127.0.0.1:${await closedPort()}/store.git`;
    const mirrorDir = path.join(tempDir('lsync-mirror-'), 'mirror.git');
    execFileSync('git', ['init', '-q', '--bare', mirrorDir]);
    const foreign = execFileSync('git', ['--git-dir', mirrorDir, '-c', 'user.name=x', '-c', 'user.email=x@x', 'commit-tree', '4b825dc642cb6eb9a060e54bf8d69288fbee4904', '-m', 'elsewhere'], { encoding: 'utf8' }).trim();
    git(mirrorDir, ['update-ref', 'refs/heads/library', foreign]);
    const backend = await startPlainBackend(mirrorDir);
    try {
      setRemote(ws.configFile, 'forge', down);
      setRemote(ws.configFile, 'mirror', backend.url);
      expect((await cliAsync(ws.configFile, ['forge-sync', 'forge', '--tries', '1', '--connect-timeout', '1'])).code).toBe(3);
      expect((await cliAsync(ws.configFile, ['forge-sync', 'mirror'])).code).toBe(4);
    } finally {
      await backend.close();
    }
    // A Finder duplicate, and an index folder that cannot be written: sync --fix exits 1.
    fs.cpSync(path.join(ws.companyDir('Northwind'), 'pdf'), path.join(ws.companyDir('Northwind'), 'pdf copy'), { recursive: true });
    const blocker = path.join(ws.root, 'blocker');
    fs.writeFileSync(blocker, 'a file where a folder is expected');
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, index: path.join(blocker, 'index.json') }));
    expect(cli(ws, ['sync', '--fix']).code).toBe(1);
    // A company folder that went away (renamed, an unmounted volume).
    fs.renameSync(path.join(ws.root, 'ALAI', 'Lexicon'), path.join(ws.root, 'Lexicon-moved'));

    const res = check();
    expect(res.code).toBe(1);
    const expected = [
      ['skipped', /^company Northwind's last run \(.*\) skipped .*pdf copy: invalid skill name "pdf copy"/],
      ['skipped', /^the last run \(.*\) skipped search index: cannot write search index .*blocker\/index\.json/],
      ['company-missing', /^company Lexicon synced before \(last \d+s ago\), but the companies glob no longer finds its folder$/],
      ['remote', /^remote forge: the last forge-sync \(\d+s ago\) failed: forge-sync: forge \(.*\) unreachable after 1 try: ECONNREFUSED$/],
      ['remote', /^remote mirror: the last forge-sync \(\d+s ago\) found its library diverged: .*the remote's library diverged/],
    ] as const;
    expect(res.json.problems.map((p: any) => p.check)).toEqual(expected.map(([c]) => c));
    res.json.problems.forEach((p: any, i: number) => expect(p.message).toMatch(expected[i][1]));
    expect(res.json.lastRun).toMatchObject({ ok: false, exitCode: 1, failed: [] });
    const lines = cli(ws, ['status', '--check']).stdout.trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(expected.map(([c]) => c));

    // status shows the same reasons at the top; doctor fails with one check per reason; so does the drift page.
    const status = cli(ws, ['status']).stdout.split('\n');
    expect(status[0]).toMatch(/^last successful sync: .*; last run \d+s ago: exit 1 \(skipped 2\)$/);
    expect(timeless(status.slice(1, 6).map((l) => l.trim()))).toEqual(timeless(lines));
    expect(timeless(cli(ws, ['status', '--json']).json.health)).toMatchObject({ ok: false, problems: timeless(res.json.problems) });
    const doctor = cli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(timeless(doctor.json.checks.filter((c: any) => !c.ok && c.check !== 'schedule').map((c: any) => [c.check, c.message]))).toEqual(timeless(res.json.problems.map((p: any) => [p.check, p.message])));
    const page = path.join(ws.root, 'drift.html');
    cli(ws, ['report', '--html', page]);
    const html = fs.readFileSync(page, 'utf8');
    expect(html).toContain('<div id="health" class="bad" data-ok="false">');
    expect(html.match(/<li data-check="[a-z-]+">/g)).toEqual(expected.map(([c]) => `<li data-check="${c}">`));

    // Mended: the duplicate removed, the folder back, the index writable, the remotes dropped from the config.
    fs.rmSync(path.join(ws.companyDir('Northwind'), 'pdf copy'), { recursive: true });
    fs.renameSync(path.join(ws.root, 'Lexicon-moved'), path.join(ws.root, 'ALAI', 'Lexicon'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: config.library, companies: config.companies, store: config.store }));
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const ok = cli(ws, ['status', '--check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: last successful sync: \d+s ago \(the oldest of every company's\); last run \d+s ago: ok; limit 15m\n$/);
    cli(ws, ['report', '--html', page]);
    expect(fs.readFileSync(page, 'utf8')).toContain('<div id="health" class="meta" data-ok="true">');
  });
});
