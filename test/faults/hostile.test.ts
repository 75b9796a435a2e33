/**
 * Hostile input: each case gets one clear error naming the item, the other
 * companies and skills still sync, and nothing is written outside the
 * configured folders (a sentinel folder outside the workspace is watched).
 * Each case has its own workspace and sentinel and races no clock, so two run
 * side by side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { CLI, ROOT, cleanupTempDirs, cli, exampleWorkspace, fsck, snapshotFolder, stateOf, tempDir, type CliResult } from '../helpers.js';
import { prepared } from './prepared.js';
import { SIDE_BY_SIDE_TIMEOUT, runCli, sideBySide } from './side-by-side.js';

afterAll(cleanupTempDirs);

/** A synced example workspace, prepared once: a case that starts from one takes its own copy. */
const synced = prepared(() => {
  const ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  return ws;
});

const twoAtATime = sideBySide(2);

/**
 * A case's workspace (a fresh example, or a copy of the synced one) with the paths it looks at, and a sentinel folder
 * outside it: nothing may be written there, which the case checks when it ends.
 */
function hostileCase(ws: ExampleWorkspace, expect: ExpectStatic) {
  const sentinel = tempDir('lsync-sentinel-');
  fs.writeFileSync(path.join(sentinel, 'precious.txt'), 'do not touch');
  const sentinelBefore = snapshotFolder(sentinel);
  const skillFile = (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file);
  return {
    ws,
    sentinel,
    skillFile,
    bumpLibrary: () => fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'v2\n'),
    othersGotIt: (...companies: string[]) => {
      for (const c of companies) expect(fs.readFileSync(skillFile(c, 'docx'), 'utf8'), c).toContain('v2');
    },
    sentinelUntouched: () => expect(snapshotFolder(sentinel), 'something was written outside the workspace').toEqual(sentinelBefore),
  };
}

const company = (res: CliResult, name: string) => res.json.companies.find((c: any) => c.name === name);

/** Root ignores permissions: run the CLI as `nobody` on a workspace it owns. Null when that is impossible here. */
function asNobody(ws: ExampleWorkspace): ((args: string[]) => CliResult) | null {
  const setpriv = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
  if (process.getuid?.() !== 0) return (args) => cli(ws, args);
  const probe = spawnSync('setpriv', [...setpriv, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`]);
  if (probe.status !== 0) {
    console.warn(`SKIPPED: cannot run ${CLI} as nobody (repository at ${ROOT} not readable by others)`);
    return null;
  }
  spawnSync('chown', ['-R', 'nobody:nogroup', ws.root]);
  return (args) => {
    const res = spawnSync('setpriv', [...setpriv, process.execPath, CLI, '--config', ws.configFile, ...args], { encoding: 'utf8' });
    let json;
    try {
      json = JSON.parse(res.stdout);
    } catch {
      /* not JSON */
    }
    return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, json };
  };
}

describe.concurrent('symlinks', () => {
  it.concurrent('a company folder that is a symlink is refused (exit 1); the others sync', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinel, skillFile, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'Evil', '.claude'), { recursive: true });
    fs.symlinkSync(sentinel, path.join(ws.root, 'ALAI', 'Evil', '.claude', 'skills'));
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'Evil2'));
    fs.symlinkSync(path.join(sentinel), path.join(ws.root, 'ALAI', 'Evil2', '.claude')); // a symlink higher up
    fs.mkdirSync(path.join(sentinel, 'skills'), { recursive: true });
    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Evil').error).toMatch(/skills is a symlink: refusing to write through it/);
    expect(company(res, 'Evil2').error).toMatch(/Evil2\/\.claude is a symlink/);
    expect(fs.existsSync(skillFile('Northwind', 'pdf'))).toBe(true);
    fs.rmSync(path.join(sentinel, 'skills'), { recursive: true });
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a symlinked company folder syncs when the config allows it', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
    const elsewhere = tempDir('lsync-elsewhere-');
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'Linked', '.claude'), { recursive: true });
    fs.symlinkSync(elsewhere, path.join(ws.root, 'ALAI', 'Linked', '.claude', 'skills'));
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, allowSymlinkedCompanies: true }));
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(fs.existsSync(path.join(elsewhere, 'pdf', 'SKILL.md'))).toBe(true);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a skill folder symlinked out of the company is an error for that skill only', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinel, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    fs.rmSync(path.join(ws.companyDir('Northwind'), 'docx'), { recursive: true });
    fs.symlinkSync(sentinel, path.join(ws.companyDir('Northwind'), 'docx'));
    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Northwind').blocked[0].message).toMatch(/skill folder .*Northwind.*docx is a symlink/);
    expect(fs.readlinkSync(path.join(ws.companyDir('Northwind'), 'docx'))).toBe(sentinel);
    othersGotIt('Lexicon');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('names', () => {
  for (const bad of ['..', 'a/b', '.hidden', 'nul\u0000byte', 'x'.repeat(300)]) {
    it.concurrent(`company name ${JSON.stringify(bad.slice(0, 20))} in the config is refused (exit 2)`, ({ expect }) => twoAtATime(async () => {
      const { ws, sentinel, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
      fs.writeFileSync(ws.configFile, JSON.stringify({ library: ws.libraryDir, companies: { [bad]: sentinel }, store: ws.storeDir }));
      const res = await runCli(ws, ['sync', '--fix']);
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/invalid company name/);
      sentinelUntouched();
    }), SIDE_BY_SIDE_TIMEOUT);
  }

  it.concurrent('a skill folder and a file whose names are not UTF-8 are reported; the rest syncs', ({ expect }) => twoAtATime(async () => {
    const { ws, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const dir = Buffer.from(ws.companyDir('Northwind'));
    fs.mkdirSync(Buffer.concat([dir, Buffer.from('/bad\xffskill', 'latin1')]));
    fs.writeFileSync(Buffer.concat([dir, Buffer.from('/xlsx/bad\xfename.md', 'latin1')]), 'x');
    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    const messages = company(res, 'Northwind').blocked.map((b: any) => b.message).join('\n');
    expect(messages).toMatch(/invalid skill name/);
    expect(messages).toMatch(/xlsx is not valid UTF-8|not valid UTF-8/);
    othersGotIt('Northwind', 'Lexicon');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('hidden entries at the top of a company folder are ignored and untouched', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
    fs.mkdirSync(path.join(ws.companyDir('Northwind'), '.hidden'));
    fs.writeFileSync(path.join(ws.companyDir('Northwind'), '.hidden', 'x'), 'mine');
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), '.hidden', 'x'), 'utf8')).toBe('mine');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('permissions and sizes', () => {
  it.concurrent('an unreadable file blocks its skill; an unreadable company fails; the others sync', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const run = asNobody(ws);
    if (!run) return sentinelUntouched();
    fs.writeFileSync(skillFile('Northwind', 'pdf', 'secret.md'), 'secret', { mode: 0o600 });
    fs.chownSync(skillFile('Northwind', 'pdf', 'secret.md'), 0, 0);
    fs.chmodSync(skillFile('Northwind', 'pdf', 'secret.md'), 0o000);
    fs.chownSync(ws.companyDir('CodeCraft'), 0, 0);
    fs.chmodSync(ws.companyDir('CodeCraft'), 0o000);
    const res = run(['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Northwind').blocked[0].message).toMatch(/cannot read .*secret\.md: EACCES/);
    expect(company(res, 'CodeCraft').error).toMatch(/EACCES/);
    othersGotIt('Northwind', 'Lexicon');
    fs.chmodSync(ws.companyDir('CodeCraft'), 0o755);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a read-only company folder fails that company (exit 1, with the reason); the others succeed', ({ expect }) => twoAtATime(async () => {
    const { ws, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const run = asNobody(ws);
    if (!run) return sentinelUntouched();
    const before = snapshotFolder(ws.companyDir('Northwind'));
    fs.chownSync(ws.companyDir('Northwind'), 0, 0);
    fs.chmodSync(ws.companyDir('Northwind'), 0o555);
    const res = run(['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Northwind').error).toMatch(/skill docx .*EACCES/);
    expect(snapshotFolder(ws.companyDir('Northwind'))).toEqual(before);
    othersGotIt('Lexicon', 'CodeCraft');
    fs.chmodSync(ws.companyDir('Northwind'), 0o755);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('an unreadable file beside the skills is skipped with its full path, as an oversized one is; the skills sync', ({ expect }) => twoAtATime(async () => {
    const { ws, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const run = asNobody(ws);
    if (!run) return sentinelUntouched();
    const notes = path.join(ws.companyDir('Northwind'), 'notes.txt');
    fs.writeFileSync(notes, 'private notes');
    fs.chmodSync(notes, 0o000);
    const res = run(['sync', '--fix', '--json']);
    expect(company(res, 'Northwind').ok, res.stdout).toBe(true);
    expect(JSON.stringify(company(res, 'Northwind').blocked)).toContain(`cannot read ${notes}: EACCES`);
    othersGotIt('Northwind', 'Lexicon', 'CodeCraft');
    expect(fs.readFileSync(notes, 'utf8')).toBe('private notes'); // root reads it still
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('litter that cannot be moved into the new version: the skill keeps its old folder whole, litter and all, and fails with the path', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const run = asNobody(ws);
    if (!run) return sentinelUntouched();
    // Python's bytecode folder, made read-only: Linux moves a folder to another parent only with write permission on it.
    fs.writeFileSync(skillFile('Northwind', 'docx', '.DS_Store'), 'finder litter'); // carried first, then moved back
    fs.mkdirSync(skillFile('Northwind', 'docx', '__pycache__'));
    fs.writeFileSync(path.join(skillFile('Northwind', 'docx', '__pycache__'), 'tool.cpython-312.pyc'), 'bytecode');
    spawnSync('chown', ['-R', 'nobody:nogroup', ws.companyDir('Northwind')]);
    fs.chmodSync(skillFile('Northwind', 'docx', '__pycache__'), 0o555);
    const before = snapshotFolder(ws.companyDir('Northwind'));
    const res = run(['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Northwind').error).toMatch(/docx\/__pycache__ is not part of the skill .*cannot be moved into the new version \(EACCES\)/);
    expect(snapshotFolder(ws.companyDir('Northwind')), 'the old folder, whole, and nothing beside it').toEqual(before);
    othersGotIt('Lexicon', 'CodeCraft');
    fs.chmodSync(skillFile('Northwind', 'docx', '__pycache__'), 0o755);
    const again = run(['sync', '--fix', '--json']);
    expect(again.code, again.stderr).toBe(0);
    othersGotIt('Northwind');
    expect(fs.readFileSync(skillFile('Northwind', 'docx', '.DS_Store'), 'utf8')).toBe('finder litter');
    expect(fs.readFileSync(path.join(skillFile('Northwind', 'docx', '__pycache__'), 'tool.cpython-312.pyc'), 'utf8')).toBe('bytecode');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a skill folder the company made read-only is updated, and the version it replaced leaves nothing behind', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const run = asNobody(ws);
    if (!run) return sentinelUntouched();
    fs.chmodSync(path.join(ws.companyDir('Northwind'), 'docx'), 0o555);
    const res = run(['sync', '--fix', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(company(res, 'Northwind').applied.updated).toContain('docx');
    othersGotIt('Northwind', 'Lexicon', 'CodeCraft');
    expect(fs.readdirSync(ws.companyDir('Northwind')).filter((n) => n.includes('library-sync'))).toEqual([]);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a 200 MB file is refused with the size limit named, and memory stays bounded', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const big = skillFile('Northwind', 'pdf', 'huge.bin');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 200 * 1024 * 1024); // sparse: costs no disk
    const rssFile = path.join(ws.root, 'rss.txt');
    const res = spawnSync(process.execPath, ['--import', path.join(ROOT, 'bench', 'rss.mjs'), CLI, '--config', ws.configFile, 'sync', '--fix', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
    });
    expect(res.status).toBe(1);
    expect(JSON.parse(res.stdout).companies.find((c: any) => c.name === 'Northwind').blocked[0].message).toMatch(
      /huge\.bin is 209715200 bytes, over the size limit of 10485760 bytes \(safety\.maxFileBytes\)/,
    );
    expect(Number(fs.readFileSync(rssFile, 'utf8')) / 1024).toBeLessThan(150);
    othersGotIt('Northwind', 'Lexicon');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('content and the library', () => {
  it.concurrent('malformed front matter and a binary SKILL.md in a company are kept verbatim', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    fs.writeFileSync(skillFile('Northwind', 'pdf'), '---\nname: [unclosed\n---\n');
    fs.writeFileSync(skillFile('Northwind', 'xlsx'), Buffer.from([0, 159, 146, 150, 255, 0]));
    bumpLibrary();
    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    expect(stateOf(res.json, 'Northwind', 'xlsx')).toBe('override');
    expect(fs.readFileSync(skillFile('Northwind', 'xlsx'))).toEqual(Buffer.from([0, 159, 146, 150, 255, 0]));
    othersGotIt('Northwind');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('a missing library folder is a config error; an empty one never removes skills without --allow-empty-library', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, sentinelUntouched } = hostileCase(synced(), expect);
    const moved = `${ws.libraryDir}.away`;
    fs.renameSync(ws.libraryDir, moved);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(2);
    fs.mkdirSync(ws.libraryDir);
    const res = await runCli(ws, ['sync', '--fix']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--allow-empty-library/);
    expect(fs.existsSync(skillFile('Northwind', 'pdf'))).toBe(true);
    expect((await runCli(ws, ['sync', '--fix', '--allow-empty-library', '--force'])).code).toBe(0);
    expect(fs.existsSync(skillFile('Northwind', 'pdf'))).toBe(false);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('disk full while writing a skill: the folder stays old, never half', ({ expect }) => twoAtATime(async () => {
    const { ws, bumpLibrary, othersGotIt, sentinelUntouched } = hostileCase(synced(), expect);
    bumpLibrary();
    const before = snapshotFolder(ws.companyDir('Lexicon'));
    const res = await runCli(ws, ['sync', '--fix', '--json'], { LIBRARY_SYNC_TEST_FAIL_WRITE_AFTER: '0' });
    expect(res.code).toBe(1);
    expect(company(res, 'Lexicon').error).toMatch(/ENOSPC/);
    expect(snapshotFolder(ws.companyDir('Lexicon'))).toEqual(before);
    fsck(ws.storeDir);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    othersGotIt('Lexicon', 'Northwind');
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('config', () => {
  it.concurrent('a company glob matching nothing is exit 2', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: ws.libraryDir, companies: path.join(ws.root, 'nowhere', '*', 'skills'), store: ws.storeDir }));
    const res = await runCli(ws, ['sync']);
    expect(res.code).toBe(2);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);

  it.concurrent('two companies resolving to one folder is exit 2', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinelUntouched } = hostileCase(exampleWorkspace(), expect);
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: ws.libraryDir, companies: { A: ws.companyDir('Lexicon'), B: `${ws.companyDir('Lexicon')}/` }, store: ws.storeDir }));
    const res = await runCli(ws, ['sync']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/resolve to the same folder/);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('mass-deletion guard', () => {
  it.concurrent('a sync that would remove more than 25% of a company\'s skills stops for that company, unless --force', ({ expect }) => twoAtATime(async () => {
    const { ws, skillFile, sentinelUntouched } = hostileCase(synced(), expect);
    for (const s of ['docx', 'xlsx', 'brand-voice']) fs.rmSync(path.join(ws.libraryDir, s), { recursive: true });
    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'Northwind').error).toMatch(/would lose 3 of its 4 skills \(75%, over safety\.maxRemovePercent=25%\): .*--force/);
    expect(fs.existsSync(skillFile('Northwind', 'docx'))).toBe(true);
    expect((await runCli(ws, ['sync', '--fix', '--force'])).code).toBe(0);
    expect(fs.existsSync(skillFile('Northwind', 'docx'))).toBe(false);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});

describe.concurrent('a damaged store', () => {
  it.concurrent('a truncated or missing object is reported with the repair command, and doctor --repair mends it', ({ expect }) => twoAtATime(async () => {
    const { ws, sentinelUntouched } = hostileCase(synced(), expect);
    const objectFile = (oid: string) => path.join(ws.storeDir, 'objects', oid.slice(0, 2), oid.slice(2));
    const truncated = execFileSync('git', ['--git-dir', ws.storeDir, 'rev-parse', 'companies/Northwind:docx/SKILL.md'], { encoding: 'utf8' }).trim();
    const missing = execFileSync('git', ['--git-dir', ws.storeDir, 'rev-parse', 'companies/Northwind:xlsx/SKILL.md'], { encoding: 'utf8' }).trim();
    fs.writeFileSync(objectFile(truncated), 'trunc');
    fs.rmSync(objectFile(missing));
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'NewCo', '.claude', 'skills'), { recursive: true });

    const res = await runCli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(company(res, 'NewCo').error).toMatch(new RegExp(`object ${truncated} .* is corrupt .*library doctor --repair|object ${missing} is missing .*library doctor --repair`));
    // The skills whose objects are damaged are not written (not even in part); the others are.
    expect(fs.readdirSync(path.join(ws.root, 'ALAI', 'NewCo', '.claude', 'skills')).sort()).toEqual(['brand-voice', 'pdf']);

    const doctor = await runCli(ws, ['doctor', '--json']);
    expect(doctor.code).toBe(1);
    const store = doctor.json.checks.find((c: any) => c.check === 'store');
    expect(store.message).toMatch(/is corrupt|is missing/);
    expect(store.fix).toMatch(/library doctor --repair/);

    const repaired = await runCli(ws, ['doctor', '--repair', '--json']);
    expect(repaired.json.repair.after).toMatchObject({ missing: [], corrupt: [] });
    fsck(ws.storeDir);
    expect((await runCli(ws, ['sync', '--fix'])).code).toBe(0);
    expect(fs.existsSync(path.join(ws.root, 'ALAI', 'NewCo', '.claude', 'skills', 'docx', 'SKILL.md'))).toBe(true);
    sentinelUntouched();
  }), SIDE_BY_SIDE_TIMEOUT);
});
