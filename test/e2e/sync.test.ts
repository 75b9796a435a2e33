/** End-to-end: the real CLI on real temp folders, verified with native git. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, snapshotFolder, stateOf } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = exampleWorkspace();
});

const skillFile = (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file);
const libFile = (skill: string, file = 'SKILL.md') => path.join(ws.libraryDir, skill, file);

describe('library sync (plan only)', () => {
  it('leaves every company folder byte-identical and moves no ref', () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    fs.appendFileSync(libFile('docx'), 'library change\n');
    fs.appendFileSync(skillFile('Northwind', 'xlsx'), 'company change\n');
    const before = Object.fromEntries(['CodeCraft', 'Lexicon', 'Northwind'].map((c) => [c, snapshotFolder(ws.companyDir(c))]));
    const refs = refsOf(ws.storeDir);
    const res = cli(ws, ['sync', '--json']);
    expect(res.code).toBe(0);
    expect(stateOf(res.json, 'Lexicon', 'docx')).toBe('behind');
    expect(stateOf(res.json, 'Northwind', 'xlsx')).toBe('override');
    for (const c of Object.keys(before)) expect(snapshotFolder(ws.companyDir(c))).toEqual(before[c]);
    expect(refsOf(ws.storeDir)).toBe(refs);
  });

  it('prints exactly the plan that --fix applies', () => {
    const plan = cli(ws, ['sync', '--json']).json;
    const fix = cli(ws, ['sync', '--fix', '--json']).json;
    const strip = (j: any) => j.companies.map((c: any) => ({ name: c.name, skills: c.skills }));
    expect(strip(fix)).toEqual(strip(plan));
  });

  it('creates no store when none exists', () => {
    expect(cli(ws, ['sync']).code).toBe(0);
    expect(fs.existsSync(ws.storeDir)).toBe(false);
  });
});

describe('library sync --fix', () => {
  it('the first sync keeps pre-existing customizations', () => {
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    expect(stateOf(res.json, 'CodeCraft', 'pdf')).toBe('override');
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
    expect(fs.readFileSync(skillFile('Northwind', 'pdf'), 'utf8')).toBe(fs.readFileSync(libFile('pdf'), 'utf8'));
    const status = cli(ws, ['status', '--json']).json;
    expect(stateOf(status, 'CodeCraft', 'pdf')).toBe('override');
    expect(stateOf(status, 'CodeCraft', 'docx')).toBe('in-sync');
  });

  it('a library edit reaches untouched companies only', () => {
    cli(ws, ['sync', '--fix']);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    fs.appendFileSync(libFile('pdf'), '\nNew section.\n');
    const before = cli(ws, ['status', '--json']).json;
    expect(stateOf(before, 'Lexicon', 'pdf')).toBe('behind');
    expect(stateOf(before, 'CodeCraft', 'pdf')).toBe('override-behind');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(fs.readFileSync(skillFile('Lexicon', 'pdf'), 'utf8')).toContain('New section.');
    expect(fs.readFileSync(skillFile('Northwind', 'pdf'), 'utf8')).toContain('New section.');
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
    const after = cli(ws, ['status', '--json']).json;
    expect(stateOf(after, 'Lexicon', 'pdf')).toBe('in-sync');
    // The library moved on under the override; that stays visible until resolved.
    expect(stateOf(after, 'CodeCraft', 'pdf')).toBe('override-behind');
  });

  it('a library deletion is removed from untouched companies and kept where overridden', () => {
    cli(ws, ['sync', '--fix']);
    fs.rmSync(path.join(ws.libraryDir, 'pdf'), { recursive: true });
    const plan = cli(ws, ['sync', '--json']).json;
    expect(stateOf(plan, 'Lexicon', 'pdf')).toBe('removed-upstream');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(fs.existsSync(path.join(ws.companyDir('Lexicon'), 'pdf'))).toBe(false);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'pdf'))).toBe(false);
    expect(fs.existsSync(skillFile('CodeCraft', 'pdf'))).toBe(true);
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('override-behind');
  });

  it('company-only skills are never touched', () => {
    const before = snapshotFolder(path.join(ws.companyDir('Lexicon'), 'legal-citations'));
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(libFile('docx'), 'x\n');
    fs.rmSync(path.join(ws.libraryDir, 'xlsx'), { recursive: true });
    cli(ws, ['sync', '--fix']);
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Lexicon', 'legal-citations')).toBe('company-only');
    expect(snapshotFolder(path.join(ws.companyDir('Lexicon'), 'legal-citations'))).toEqual(before);
  });

  it('a company edit after a sync is an override, kept by the next sync', () => {
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(skillFile('Northwind', 'docx'), 'Northwind tweak\n');
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('override');
    cli(ws, ['sync', '--fix']);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('Northwind tweak');
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('override');
  });

  it('keeps the executable bit and writes symlinks as symlinks', () => {
    fs.symlinkSync('reference.md', path.join(ws.libraryDir, 'pdf', 'README.md'));
    cli(ws, ['sync', '--fix']);
    expect(fs.statSync(skillFile('Northwind', 'pdf', 'scripts/extract.py')).mode & 0o111).not.toBe(0);
    expect(fs.statSync(skillFile('Northwind', 'pdf', 'reference.md')).mode & 0o111).toBe(0);
    expect(fs.readlinkSync(skillFile('Northwind', 'pdf', 'README.md'))).toBe('reference.md');
    const tree = git(ws.storeDir, ['ls-tree', '-r', 'companies/Northwind', 'pdf/']);
    expect(tree).toMatch(/^100755 blob \w+\tpdf\/scripts\/extract\.py$/m);
    expect(tree).toMatch(/^120000 blob \w+\tpdf\/README\.md$/m);
  });

  it('stores one object for the same content in many companies', () => {
    cli(ws, ['sync', '--fix']);
    const objects = git(ws.storeDir, ['count-objects', '-v']);
    const count = Number(/^count: (\d+)$/m.exec(objects)![1]);
    // library: 4 skill trees + subfolders + 10 blobs + root; companies add only their own content.
    expect(count).toBeLessThan(45);
  });
});

describe('library push', () => {
  it('normalizes one company and keeps the replaced version in its history', () => {
    cli(ws, ['sync', '--fix']);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    const res = cli(ws, ['push', 'pdf', '--company', 'CodeCraft', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.companies[0].applied.updated).toEqual(['pdf']);
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(fs.readFileSync(libFile('pdf'), 'utf8'));
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('in-sync');
    // The override is still in the store.
    const log = git(ws.storeDir, ['log', '--format=%H', 'companies/CodeCraft']).trim().split('\n');
    const versions = log.map((c) => git(ws.storeDir, ['show', `${c}:pdf/SKILL.md`]));
    expect(versions).toContain(custom);
    // And distribution resumes: the next library change reaches CodeCraft.
    fs.appendFileSync(libFile('pdf'), 'v3\n');
    cli(ws, ['sync', '--fix']);
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toContain('v3');
  });

  it('names a skill it could not push because the company copy is blocked (a symlinked skill folder), instead of printing only the company', () => {
    cli(ws, ['sync', '--fix']);
    const dir = path.join(ws.companyDir('CodeCraft'), 'pdf');
    fs.renameSync(dir, `${dir}-real`);
    fs.symlinkSync(`${dir}-real`, dir);
    const res = cli(ws, ['push', 'pdf', '--company', 'CodeCraft']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^CodeCraft:\n {2}skipped {11}skill folder .*pdf is a symlink/m);
  });

  it('prints an undo that, run later as printed, rolls back only the companies and skills it pushed', () => {
    cli(ws, ['sync', '--fix']);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    const push = cli(ws, ['push', 'pdf', '--company', 'CodeCraft']);
    expect(push.code, push.stderr + push.stdout).toBe(0);
    const undo = /to undo: `library ([^`]+)`/.exec(push.stdout)?.[1];
    expect(undo, push.stdout).toBeDefined();
    // Later, the library moves on and every company takes it.
    fs.appendFileSync(libFile('docx'), 'docx v2\n');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const back = cli(ws, undo!.split(' '));
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
    for (const c of ['CodeCraft', 'Lexicon', 'Northwind']) expect(fs.readFileSync(skillFile(c, 'docx'), 'utf8')).toContain('docx v2');

    // A push that brought back a skill the company deleted is undone by deleting it again.
    fs.rmSync(path.join(ws.companyDir('Northwind'), 'xlsx'), { recursive: true });
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const readd = cli(ws, ['push', 'xlsx', '--company', 'Northwind']);
    expect(readd.stdout).toMatch(/^ {2}in-sync +xlsx +\(was override\)$/m);
    const undoAdd = /to undo: `library ([^`]+)`/.exec(readd.stdout)![1];
    expect(undoAdd).toMatch(/ --company Northwind --skill xlsx$/);
    const removed = cli(ws, undoAdd.split(' '));
    expect(removed.code, removed.stderr + removed.stdout).toBe(0);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'xlsx'))).toBe(false);
  });

  it('refuses an unknown skill or company with exit 2 and writes nothing', () => {
    cli(ws, ['sync', '--fix']);
    const refs = refsOf(ws.storeDir);
    const a = cli(ws, ['push', 'nope', '--company', 'CodeCraft']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/skill "nope" is not in the library/);
    const b = cli(ws, ['push', 'pdf', '--company', 'Nobody']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/unknown company "Nobody"/);
    expect(cli(ws, ['push', 'pdf']).code).toBe(2);
    expect(refsOf(ws.storeDir)).toBe(refs);
  });
});

describe('the store', () => {
  it('passes git fsck and keeps observed and distribution commits with the trailer', () => {
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(skillFile('CodeCraft', 'xlsx'), 'edit\n');
    fs.appendFileSync(libFile('docx'), 'edit\n');
    cli(ws, ['sync', '--fix']);
    cli(ws, ['push', 'xlsx', '--company', 'CodeCraft']);
    fsck(ws.storeDir);
    const log = git(ws.storeDir, ['log', '--format=%s%n%b%x00', 'companies/CodeCraft']);
    expect(log).toMatch(/^observe CodeCraft: initial state, 1 skill$/m);
    expect(log).toMatch(/^observe CodeCraft: changed xlsx$/m);
    expect(log).toMatch(/^distribute library [0-9a-f]{7} to CodeCraft: added brand-voice, docx, xlsx; overrides kept: pdf$/m);
    expect(log).toMatch(/^push xlsx to CodeCraft: updated xlsx/m);
    const libraryTip = git(ws.storeDir, ['rev-parse', 'library']).trim();
    expect(log).toContain(`Library-Commit: ${libraryTip}`);
    // Distributions are merges from the library.
    const merges = git(ws.storeDir, ['log', '--merges', '--format=%P', 'companies/CodeCraft']).trim().split('\n');
    expect(merges[0].split(' ')).toContain(libraryTip);
  });

  it('a no-op sync writes nothing to the store', () => {
    cli(ws, ['sync', '--fix']);
    const refs = refsOf(ws.storeDir);
    const objects = git(ws.storeDir, ['count-objects', '-v']);
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.json.companies.every((c: any) => c.commits.observed === null && c.commits.distribution === null)).toBe(true);
    expect(refsOf(ws.storeDir)).toBe(refs);
    expect(git(ws.storeDir, ['count-objects', '-v'])).toBe(objects);
  });
});

describe('a library inside a git work tree', () => {
  it('distributes the committed tree at HEAD and reports uncommitted edits', () => {
    const repo = path.dirname(path.dirname(ws.libraryDir)); // <root>/system
    const g = (...args: string[]) => git(path.join(repo, '.git'), ['--work-tree', repo, ...args]);
    git(path.join(repo, '.git'), ['init', '-q']);
    g('-c', 'user.name=t', '-c', 'user.email=t@t', 'add', 'library');
    g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'library');
    const head = g('rev-parse', 'HEAD').trim();
    fs.appendFileSync(libFile('docx'), 'uncommitted\n');
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.library.kind).toBe('git');
    expect(res.json.library.uncommitted).toEqual(['docx']);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).not.toContain('uncommitted');
    expect(git(ws.storeDir, ['log', '-1', '--format=%B', 'library'])).toContain(`Source-Commit: ${head}`);
    expect(cli(ws, ['status']).stdout).toMatch(/uncommitted library edits .*docx/);
    g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'docx');
    cli(ws, ['sync', '--fix']);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('uncommitted');
  });
});

describe('bad input', () => {
  const configError = (body: string, pattern: RegExp) => {
    fs.writeFileSync(ws.configFile, body);
    const res = cli(ws, ['status']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(pattern);
  };

  it('a missing config file is exit 2 with one line', () => {
    const res = cli({ configFile: path.join(ws.root, 'nope.json') }, ['status']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/config .*nope\.json not found/);
  });
  it('bad JSON', () => configError('{', /not valid JSON/));
  it('an unknown key', () => configError(JSON.stringify({ library: ws.libraryDir, companies: ws.companiesGlob, store: ws.storeDir, libary: 1 }), /unknown key "libary"/));
  it('a missing library folder', () => configError(JSON.stringify({ library: '/nonexistent/lib', companies: ws.companiesGlob, store: ws.storeDir }), /library folder \/nonexistent\/lib does not exist/));
  it('an invalid company name in the config', () => configError(JSON.stringify({ library: ws.libraryDir, companies: { '../evil': '/tmp/x' }, store: ws.storeDir }), /invalid company name/));
  it('two company names that differ only in case (one record on a case-insensitive disk)', () =>
    configError(JSON.stringify({ library: ws.libraryDir, companies: { Acme: '/tmp/a', acme: '/tmp/b' }, store: ws.storeDir }), /companies "Acme" and "acme" differ only in case.*rename one/));
  it('a glob without a single * segment', () => configError(JSON.stringify({ library: ws.libraryDir, companies: path.join(ws.root, 'ALAI'), store: ws.storeDir }), /exactly one path segment/));

  it('an unknown option is a usage error', () => {
    expect(cli(ws, ['sync', '--fixx']).code).toBe(2);
  });

  it('a skill folder that is a symlink is an error for that skill only; nothing is written through it', () => {
    const outside = path.join(ws.root, 'outside');
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(ws.companyDir('Northwind'), 'pdf'));
    const res = cli(ws, ['sync', '--fix', '--json']);
    const nw = res.json.companies.find((c: any) => c.name === 'Northwind');
    expect(nw.blocked[0].message).toMatch(/is a symlink/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync(skillFile('Northwind', 'docx'))).toBe(true);
    expect(fs.existsSync(skillFile('Lexicon', 'pdf'))).toBe(true);
  });

  it('an invalid company folder name from the glob is skipped with a message', () => {
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'bad name', '.claude', 'skills'), { recursive: true });
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.companies.every((c: any) => c.ok)).toBe(true);
    expect(res.json.problems[0].message).toMatch(/invalid company name "bad name"/);
    expect(fs.readdirSync(path.join(ws.root, 'ALAI', 'bad name', '.claude', 'skills'))).toEqual([]);
  });

  it('a company folder whose name differs from another only in case is skipped with a message; the other is synced', () => {
    fs.mkdirSync(path.join(ws.root, 'ALAI', 'northwind', '.claude', 'skills'), { recursive: true });
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.companies.map((c: any) => c.name)).not.toContain('northwind');
    expect(res.json.companies.find((c: any) => c.name === 'Northwind').ok).toBe(true);
    expect(res.json.problems[0].message).toMatch(/companies "Northwind" and "northwind" differ only in case/);
    expect(fs.readdirSync(path.join(ws.root, 'ALAI', 'northwind', '.claude', 'skills'))).toEqual([]);
  });

  it('an empty library never removes skills without --allow-empty-library', () => {
    cli(ws, ['sync', '--fix']);
    for (const s of fs.readdirSync(ws.libraryDir)) fs.rmSync(path.join(ws.libraryDir, s), { recursive: true });
    const res = cli(ws, ['sync', '--fix']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/has no skills: refusing/);
    expect(fs.existsSync(skillFile('Northwind', 'pdf'))).toBe(true);
  });
});

describe('writing company folders', () => {
  it('a leftover from a killed run is resolved: old folder restored, temp folders removed', () => {
    cli(ws, ['sync', '--fix']);
    const dir = ws.companyDir('Northwind');
    // Killed between the two renames of an update: the skill is missing, its old copy is beside it.
    fs.renameSync(path.join(dir, 'docx'), path.join(dir, '.docx.library-sync-old-0badc0de'));
    fs.mkdirSync(path.join(dir, '.docx.library-sync-new-0badc0de'));
    fs.writeFileSync(path.join(dir, '.docx.library-sync-new-0badc0de', 'half'), 'x');
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.json.companies.find((c: any) => c.name === 'Northwind').recovered).toHaveLength(2);
    expect(fs.readdirSync(dir).sort()).toEqual(['brand-voice', 'docx', 'pdf', 'xlsx']);
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('in-sync');
  });

  it('a company that fails does not stop the others (exit 1)', () => {
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(libFile('docx'), 'v2\n');
    const before = snapshotFolder(ws.companyDir('Northwind'));
    const res = cli(ws, ['sync', '--fix', '--json'], { LIBRARY_SYNC_TEST_FAIL_WRITE_PATH: `Northwind${path.sep}` });
    expect(res.code).toBe(1);
    const nw = res.json.companies.find((c: any) => c.name === 'Northwind');
    expect(nw.ok).toBe(false);
    expect(nw.error).toMatch(/skill docx .*ENOSPC/);
    expect(snapshotFolder(ws.companyDir('Northwind'))).toEqual(before);
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('behind');
    expect(fs.readFileSync(skillFile('Lexicon', 'docx'), 'utf8')).toContain('v2');
  });
});

describe('a library in a linked git worktree', () => {
  it('distributes the worktree HEAD, whose objects live in the main repository', () => {
    const repo = path.dirname(path.dirname(ws.libraryDir)); // <root>/system
    const g = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8' });
    g(repo, 'init', '-q');
    g(repo, 'add', 'library');
    g(repo, 'commit', '-qm', 'library');
    const wt = path.join(ws.root, 'wt');
    g(repo, 'worktree', 'add', '-q', '-b', 'feature', wt);
    fs.appendFileSync(path.join(wt, 'library', 'skills', 'docx', 'SKILL.md'), 'from the worktree\n');
    g(wt, 'commit', '-qam', 'docx in the worktree');
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, library: path.join(wt, 'library', 'skills') }));
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json.library.kind).toBe('git');
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('from the worktree');
  });
});
