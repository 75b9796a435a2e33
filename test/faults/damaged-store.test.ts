/**
 * A store damaged as real stores get damaged: an object lost with the page
 * cache (a company's head, or a blob only history holds), a deleted
 * `refs/bases/<company>`, a damaged `state.json` or cache, a store this user
 * cannot read or write. Each case starts from the damage and ends with every
 * command working (or refusing with one clear line) and `git fsck --strict`
 * clean. Each works on its own copy of a workspace prepared once, and none
 * races the clock, so two cases run side by side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { hostRefName } from '../../src/remote/resolve.js';
import { startPlainBackend } from '../remote-helpers.js';
import { CLI, DISCOVER, ROOT, cleanupTempDirs, cli, exampleWorkspace, fsck, git, stateOf, tempDir, type CliResult } from '../helpers.js';
import { prepared } from './prepared.js';
import { SIDE_BY_SIDE_TIMEOUT, runCli, sideBySide } from './side-by-side.js';

afterAll(cleanupTempDirs);

// Every case starts from a synced example workspace, some from one synced again after a library release of docx
// (v2): each prepared once, each case given its own copy.
const synced = prepared(() => {
  const ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  return ws;
});
const released = prepared(() => {
  const ws = synced();
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'v2\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  return ws;
});

const twoAtATime = sideBySide(2);

/** A case's workspace, with the paths and refs of it the case looks at. */
function on(ws: ExampleWorkspace) {
  return {
    ws,
    lib: (skill: string, file = 'SKILL.md') => path.join(ws.libraryDir, skill, file),
    at: (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file),
    objectFile: (oid: string) => path.join(ws.storeDir, 'objects', oid.slice(0, 2), oid.slice(2)),
    rev: (what: string) => git(ws.storeDir, ['rev-parse', what]).trim(),
    commits: (ref: string, ...opts: string[]) => git(ws.storeDir, ['rev-list', ...opts, ref]).trim().split('\n'),
  };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');
const company = (res: CliResult, name: string) => res.json.companies.find((c: any) => c.name === name);

describe.concurrent('one lost object', () => {
  it.concurrent("a company's head lost in a power cut stops no other company; repair continues its history from the folder", ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at, objectFile, rev, commits } = on(released());
    const olderLexicon = commits('companies/Lexicon', '--first-parent').slice(1); // what is still readable once the head is gone
    const head = rev('companies/Lexicon');
    fs.rmSync(objectFile(head));
    fs.appendFileSync(lib('docx'), 'v3\n');
    const tagsBefore = git(ws.storeDir, ['tag', '-l']).trim().split('\n').length;

    const sync = await runCli(ws, ['sync', '--fix', '--json']);
    expect(sync.code).toBe(1);
    expect(company(sync, 'Lexicon').error).toMatch(new RegExp(`object ${head} is missing .*library doctor --repair`));
    for (const c of ['CodeCraft', 'Northwind']) {
      expect(company(sync, c).ok, c).toBe(true);
      expect(read(at(c, 'docx')), c).toContain('v3');
    }
    // The automatic snapshot was taken without the damaged company, and says so.
    const tags = git(ws.storeDir, ['tag', '-l']).trim().split('\n');
    expect(tags.length).toBe(tagsBefore + 1);
    const snapshots = await runCli(ws, ['snapshots', '--json']);
    expect(snapshots.code).toBe(0);
    const latest = snapshots.json.snapshots.at(-1);
    expect(latest.companies).toEqual(['CodeCraft', 'Northwind']);
    expect(latest.message).toMatch(/Left out.*refs\/heads\/companies\/Lexicon/s);

    // Every command that reads every head still answers for the others.
    const status = await runCli(ws, ['status', '--json']);
    expect(status.code).toBe(1);
    expect(stateOf(status.json, 'Northwind', 'docx')).toBe('in-sync');
    const report = path.join(tempDir(), 'r.html');
    expect((await runCli(ws, ['report', '--html', report])).code).toBe(1);
    expect(read(report)).toContain('Northwind');
    const rebuild = await runCli(ws, ['--rebuild-index', '--json'], {}, DISCOVER);
    expect(rebuild.code).toBe(1);
    expect(rebuild.json.skipped.join()).toMatch(/company Lexicon/);
    expect((await runCli(ws, ['docx', '--json'], {}, DISCOVER)).json.hits[0].companies.map((c: any) => c.company)).toContain('Northwind');

    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const store = doctor.json.checks.find((c: any) => c.check === 'store' && !c.ok);
    expect(store.message).toContain(`ref refs/heads/companies/Lexicon reaches 1 damaged object: ${head} is missing`);
    expect(store.objects).toEqual([head]);

    const repair = await runCli(ws, ['doctor', '--repair']);
    expect(repair.stdout).toContain(`could not keep: commit ${head.slice(0, 7)} cannot be read: continued from`);
    expect(repair.stdout).toContain('every ref now reaches only intact objects');
    fsck(ws.storeDir);
    // What could still be read is still the history; the repair commit says what was lost.
    expect(commits('companies/Lexicon')).toEqual(expect.arrayContaining(olderLexicon));
    expect(git(ws.storeDir, ['log', '-1', '--format=%B', 'companies/Lexicon'])).toMatch(/^repair Lexicon: .*What could not be kept:\n- commit [0-9a-f]{7} cannot be read/s);

    const after = await runCli(ws, ['sync', '--fix', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(read(at('Lexicon', 'docx'))).toContain('v3');
    expect((await runCli(ws, ['doctor', '--json'])).json.checks.filter((c: any) => !c.ok).map((c: any) => c.check)).toEqual(['schedule']);
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent("forge-sync sends every company it can read, names the damaged one with its fix, and sends it once repaired", ({ expect }) => twoAtATime(async () => {
    const { ws, objectFile, rev } = on(released());
    const head = rev('companies/Lexicon');
    fs.rmSync(objectFile(head));
    const forgeStore = path.join(tempDir('lsync-forge-'), 'forge.git');
    execFileSync('git', ['init', '-q', '--bare', forgeStore]);
    const backend = await startPlainBackend(forgeStore);
    try {
      const there = () => git(forgeStore, ['for-each-ref', '--format=%(refname:lstrip=4)', `refs/hosts/${hostRefName(os.hostname())}/companies/`]).trim().split('\n');
      const res = await runCli(ws, ['forge-sync', backend.url, '--json']);
      expect(res.code, res.stderr).toBe(1);
      const remote = res.json.remotes[0];
      expect(remote.refused).toEqual([{ ref: expect.stringMatching(/^refs\/hosts\/.+\/companies\/Lexicon$/), kind: 'damaged', reason: expect.stringContaining(`object ${head} is missing`) }]);
      expect(remote.error).toMatch(/refs\/heads\/companies\/Lexicon cannot be sent, its history here is damaged .*library doctor --repair/);
      expect(res.stderr.split('\n').filter((l) => l.startsWith('library:'))).toHaveLength(1);
      // Everything else arrived whole, the library included.
      expect(there()).toEqual(['CodeCraft', 'Northwind']);
      expect(git(forgeStore, ['rev-parse', 'refs/heads/library']).trim()).toBe(rev('refs/heads/library'));
      for (const c of ['CodeCraft', 'Northwind']) expect(git(forgeStore, ['rev-parse', `refs/hosts/${hostRefName(os.hostname())}/companies/${c}`]).trim()).toBe(rev(`companies/${c}`));
      fsck(forgeStore);

      expect((await runCli(ws, ['doctor', '--repair'])).stdout).toContain('every ref now reaches only intact objects');
      const again = await runCli(ws, ['forge-sync', backend.url, '--json']);
      expect(again.code, again.stderr).toBe(0);
      expect(there()).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
      fsck(forgeStore);
    } finally {
      await backend.close();
    }
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a blob only history holds: the history keeps every commit, without that one skill version, and says so', ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at, objectFile, rev, commits } = on(synced());
    fs.writeFileSync(lib('pdf', 'notes.md'), 'a note only the old pdf had\n');
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    const blob = rev('companies/Northwind:pdf/notes.md');
    fs.rmSync(lib('pdf', 'notes.md'));
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(fs.existsSync(at('Northwind', 'pdf', 'notes.md'))).toBe(false);
    const before = { library: commits('library').length, northwind: commits('companies/Northwind').length };
    fs.rmSync(objectFile(blob));

    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(doctor.json.checks.filter((c: any) => c.check === 'store' && !c.ok).flatMap((c: any) => c.objects)).toContain(blob);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0); // the folders' present state does not need it

    const repair = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repair.json.repair.after).toMatchObject({ missing: [], corrupt: [], unreadable: [] });
    const lost = repair.json.repair.refs.flatMap((r: any) => r.lost).join('\n');
    expect(lost).toMatch(/kept without pdf \(unreadable\)/);
    const repairedRefs = repair.json.repair.refs.map((r: any) => r.ref);
    expect(repairedRefs).toEqual(expect.arrayContaining(['refs/heads/library', 'refs/heads/companies/Northwind', 'refs/tags/snapshot/pre-sync-' + repairedRefs.find((r: string) => r.startsWith('refs/tags/snapshot/pre-sync-'))?.slice(28)]));
    fsck(ws.storeDir);
    // Every commit is still there (a repair commit on top of each company that lost something).
    expect(commits('library').length).toBe(before.library);
    expect(commits('companies/Northwind').length).toBe(before.northwind + 1);
    // Snapshots keep their intact companies and say what they lost; rollback to one still works.
    const snaps = (await runCli(ws, ['snapshots', '--json'])).json.snapshots;
    const repaired = snaps.find((s: any) => /Repaired by `library doctor --repair`/.test(s.message));
    expect(repaired.companies).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    expect((await runCli(ws, ['rollback', repaired.name, '--company', 'Lexicon', '--dry-run'])).code).toBe(0);
    const after = await runCli(ws, ['sync', '--fix']);
    expect(after.code, after.stderr).toBe(0);
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('a damaged pack', () => {
  it.concurrent('a bit flipped in a packed object after git gc: doctor names it, repair unpacks around it and writes it back', ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at } = on(synced());
    git(ws.storeDir, ['gc', '--aggressive', '--prune=now', '--quiet']);
    const pack = fs.readdirSync(path.join(ws.storeDir, 'objects', 'pack')).find((f) => f.endsWith('.pack'))!;
    const packFile = path.join(ws.storeDir, 'objects', 'pack', pack);
    // A blob stored whole (not as a delta), that Northwind's folder still holds.
    const stored = new Map(
      git(ws.storeDir, ['verify-pack', '-v', packFile.replace(/\.pack$/, '.idx')])
        .split('\n')
        .map((l) => l.split(/\s+/))
        .filter((f) => f.length === 5 && f[1] === 'blob')
        .map((f) => [f[0], { size: Number(f[3]), offset: Number(f[4]) }]),
    );
    const blob = git(ws.storeDir, ['ls-tree', '-r', '--format=%(objectname)', 'companies/Northwind']).trim().split('\n').find((o) => stored.has(o))!;
    const { size, offset } = stored.get(blob)!;
    fs.chmodSync(packFile, 0o644);
    const bytes = fs.readFileSync(packFile);
    bytes[offset + Math.floor(size / 2)] ^= 0xff;
    fs.writeFileSync(packFile, bytes);

    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(doctor.json.checks.filter((c: any) => c.check === 'store' && !c.ok).flatMap((c: any) => c.objects)).toContain(blob);
    const repair = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repair.json.repair.packsRemoved).toEqual([packFile]);
    expect(repair.json.repair.after).toMatchObject({ missing: [], corrupt: [], unreadable: [] });
    expect(repair.json.repair.refs).toEqual([]); // everything came back: no history was rewritten
    fsck(ws.storeDir);
    fs.appendFileSync(lib('docx'), 'v2\n');
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(read(at('Northwind', 'docx'))).toContain('v2');
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('a damaged ref file', () => {
  it.concurrent('a company head holding garbage is left out of snapshots and the index; repair continues it from its last commit', ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at, rev } = on(released());
    const head = rev('companies/Northwind');
    fs.writeFileSync(path.join(ws.storeDir, 'refs', 'heads', 'companies', 'Northwind'), 'garbage\n');
    fs.appendFileSync(lib('docx'), 'v3\n');
    const sync = await runCli(ws, ['sync', '--fix', '--json']);
    expect(sync.code).toBe(1);
    expect(company(sync, 'Northwind').error).toMatch(/refs\/heads\/companies\/Northwind .* holds "garbage", not an object id/);
    expect(read(at('Lexicon', 'docx'))).toContain('v3');
    expect(sync.json.index.skipped.join()).toMatch(/company Northwind/);
    // status reads around it too: the other companies are shown, Northwind names its damage.
    const status = await runCli(ws, ['status', '--json']);
    expect(status.code, status.stderr).toBe(1);
    expect(company(status, 'Lexicon').ok).toBe(true);
    expect(company(status, 'Northwind').error).toMatch(/holds "garbage", not an object id/);
    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.json.checks.find((c: any) => c.check === 'store' && !c.ok).message).toMatch(/Northwind .* holds "garbage"/);
    const repair = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repair.json.repair.refs[0]).toMatchObject({ ref: 'refs/heads/companies/Northwind', to: head, lost: [expect.stringMatching(/held no object id/), expect.stringContaining(`continued from ${head.slice(0, 7)}`)] });
    expect(rev('companies/Northwind~1')).toBe(head);
    fsck(ws.storeDir);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(read(at('Northwind', 'docx'))).toContain('v3');
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('a deleted refs/bases/<company>', () => {
  it.concurrent('doctor reports it, sync refuses that company instead of turning its skills into overrides, repair rebuilds it exactly', ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at, rev } = on(synced());
    fs.appendFileSync(at('Northwind', 'docx'), 'Northwind edit\n'); // an override
    fs.appendFileSync(lib('pdf'), 'v2\n');
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    const base = rev('refs/bases/Northwind');
    git(ws.storeDir, ['update-ref', '-d', 'refs/bases/Northwind']);
    fs.appendFileSync(lib('xlsx'), 'v3\n');
    fs.appendFileSync(lib('docx'), 'v3\n');

    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    expect(doctor.json.checks.find((c: any) => c.check === 'refs')).toMatchObject({ ok: false, message: expect.stringMatching(/refs\/bases\/Northwind is missing/), fix: expect.stringMatching(/doctor --repair/) });

    const sync = await runCli(ws, ['sync', '--fix', '--json']);
    expect(sync.code).toBe(1);
    expect(company(sync, 'Northwind').error).toMatch(/refs\/bases\/Northwind is missing .*library doctor --repair/);
    expect(read(at('Northwind', 'xlsx'))).not.toContain('v3'); // nothing decided without a base
    expect(read(at('Lexicon', 'xlsx'))).toContain('v3');

    const repair = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repair.json.repair.refs).toEqual([expect.objectContaining({ ref: 'refs/bases/Northwind', action: 'rebuilt', to: base })]);
    expect(rev('refs/bases/Northwind')).toBe(base);
    fsck(ws.storeDir);

    const after = await runCli(ws, ['sync', '--fix', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(stateOf(after.json, 'Northwind', 'xlsx')).toBe('behind'); // distributed again, not an override
    expect(read(at('Northwind', 'xlsx'))).toContain('v3');
    expect(stateOf(after.json, 'Northwind', 'docx')).toBe('override-behind'); // the real override is kept
    expect(read(at('Northwind', 'docx'))).toContain('Northwind edit');
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('damaged files of the tool', () => {
  it.concurrent('a damaged state.json is named with its fix; doctor --repair sets it aside and the next sync starts a fresh one', ({ expect }) => twoAtATime(async () => {
    const { ws } = on(synced());
    const state = path.join(ws.storeDir, 'library-sync', 'state.json');
    fs.writeFileSync(state, '{\n  "lastRun": {"at": "2026-');
    for (const args of [['sync', '--fix'], ['status'], ['status', '--check']]) {
      const res = await runCli(ws, args);
      expect(res.code, args.join(' ')).toBe(1);
      const lines = res.stderr.split('\n').filter((l) => l.startsWith('library:'));
      expect(lines, args.join(' ')).toEqual([expect.stringContaining(`${state} is damaged (not valid JSON`)]);
      expect(lines[0]).toContain('library doctor --repair');
    }
    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.json.checks.find((c: any) => c.check === 'state')).toMatchObject({ ok: false, fix: expect.stringMatching(/doctor --repair/) });
    const repair = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repair.json.repair.state).toMatch(/moved to .*state\.json\.damaged-/);
    expect(fs.readdirSync(path.dirname(state)).some((f) => f.startsWith('state.json.damaged-'))).toBe(true);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect((await runCli(ws, ['status', '--check'])).code).toBe(0);
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('damaged caches and index are rebuilt; a damaged lock owner file is named with its fix', ({ expect }) => twoAtATime(async () => {
    const { ws, lib, at } = on(synced());
    const data = path.join(ws.storeDir, 'library-sync');
    for (const f of fs.readdirSync(path.join(data, 'cache'))) fs.writeFileSync(path.join(data, 'cache', f), '{"version": 2, "entr');
    const index = JSON.parse(fs.readFileSync(ws.configFile, 'utf8')).index ?? path.join(path.dirname(ws.storeDir), 'index.json');
    fs.writeFileSync(index, 'not json');
    // A search rebuilds a damaged index from the store before answering.
    expect(await runCli(ws, ['pdf'], {}, DISCOVER)).toMatchObject({ code: 0, stderr: expect.stringContaining(`search index ${index} is not valid JSON`) });
    expect(JSON.parse(fs.readFileSync(index, 'utf8')).version).toBe(1);
    fs.appendFileSync(lib('docx'), 'v2\n');
    const sync = await runCli(ws, ['sync', '--fix']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(read(at('Northwind', 'docx'))).toContain('v2');
    expect((await runCli(ws, ['pdf', '--json'], {}, DISCOVER)).code).toBe(0);

    fs.mkdirSync(path.join(data, 'sync.lock'));
    fs.writeFileSync(path.join(data, 'sync.lock', 'owner.json'), '{"pid": 12');
    const locked = await runCli(ws, ['sync', '--fix']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain(`${path.join(data, 'sync.lock', 'owner.json')} is damaged (not valid JSON`);
    expect(locked.stderr).toMatch(/delete it \(when no library command is running\)/);
    fs.rmSync(path.join(data, 'sync.lock'), { recursive: true });
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});

/** Root ignores permissions: run the CLI as `nobody`. Null (test skipped, with a warning) where that is impossible. */
function asNobody(ws: ExampleWorkspace): ((args: string[]) => CliResult) | null {
  const setpriv = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
  if (process.getuid?.() !== 0) return null;
  const probe = spawnSync('setpriv', [...setpriv, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`]);
  if (probe.status !== 0) {
    console.warn(`SKIPPED: cannot run ${CLI} as nobody (repository at ${ROOT} not readable by others)`);
    return null;
  }
  return (args) => {
    const res = spawnSync('setpriv', [...setpriv, process.execPath, CLI, '--config', ws.configFile, ...args], { encoding: 'utf8' });
    return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, json: undefined };
  };
}

describe.concurrent('a store this user cannot use', () => {
  it.concurrent('unreadable: one line naming the folder and the permission (exit 2); read-only: reads work, writes are one line', ({ expect }) => twoAtATime(async () => {
    const { ws } = on(synced());
    const run = asNobody(ws);
    if (!run) return;
    spawnSync('chown', ['-R', 'nobody:nogroup', ws.root]);
    spawnSync('chown', ['-R', 'root:root', ws.storeDir]);
    fs.chmodSync(ws.storeDir, 0o700);
    for (const args of [['status'], ['sync', '--fix'], ['snapshots']]) {
      const res = run(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toEqual([
        `library: store ${ws.storeDir} cannot be read by user nobody (uid 65534): ${ws.storeDir} (owner uid 0, mode 0700) needs read and search (r-x) permission for that user; run library as the store's owner, or give that user access (e.g. \`chown -R\` the store to it)`,
      ]);
    }
    spawnSync('chmod', ['-R', 'a+rX', ws.storeDir]); // readable by all, writable by root only
    expect(run(['status']).code).toBe(0);
    expect(run(['snapshots']).code).toBe(0);
    const before = git(ws.storeDir, ['for-each-ref']);
    for (const args of [['sync', '--fix'], ['snapshot', 'x'], ['doctor', '--repair']]) {
      const res = run(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(new RegExp(`^library: store ${ws.storeDir} cannot be written by user nobody .*needs write and search \\(-wx\\) permission`))]);
    }
    expect(git(ws.storeDir, ['for-each-ref'])).toBe(before);
    fsck(ws.storeDir);
  }), SIDE_BY_SIDE_TIMEOUT);
});
