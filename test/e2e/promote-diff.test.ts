/** End-to-end: promote candidates, `library promote` into a git library, and `library diff`. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, snapshotFolder, stateOf } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = exampleWorkspace();
});

const skillFile = (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file);
const libFile = (skill: string, file = 'SKILL.md') => path.join(ws.libraryDir, skill, file);
const FIX = '\nAlways pass `--sheet` when a workbook has several sheets.\n';

/** Make the library folder a git work tree, as operators keep it. */
function gitLibrary(): (...args: string[]) => string {
  const repo = path.dirname(path.dirname(ws.libraryDir));
  const g = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
  g('init', '-q');
  g('add', 'library');
  g('commit', '-qm', 'library');
  return g;
}

describe('promote candidates and library promote', () => {
  it('the same override in 2 companies is a promote candidate; promote copies it into the library for review, never commits', () => {
    const g = gitLibrary();
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    // Two companies make the same fix to xlsx: a library fix nobody upstreamed.
    for (const c of ['CodeCraft', 'Northwind']) fs.appendFileSync(skillFile(c, 'xlsx'), FIX);
    const status = cli(ws, ['status', '--json']).json;
    expect(status.drift.promoteCandidates).toEqual([{ skill: 'xlsx', tree: expect.stringMatching(/^[0-9a-f]{40}$/), companies: ['CodeCraft', 'Northwind'] }]);
    // CodeCraft's pdf is an override in one company only: not a candidate.
    expect(status.drift.overrides.map((o: any) => `${o.company}/${o.skill}`).sort()).toEqual(['CodeCraft/pdf', 'CodeCraft/xlsx', 'Northwind/xlsx']);
    expect(cli(ws, ['status']).stdout).toMatch(/promote candidates.*\n {2}xlsx \(version [0-9a-f]{7}\) in CodeCraft, Northwind: `library promote xlsx --from CodeCraft`/);

    const head = g('rev-parse', 'HEAD');
    const company = snapshotFolder(path.join(ws.companyDir('CodeCraft'), 'xlsx'));
    const res = cli(ws, ['promote', 'xlsx', '--from', 'CodeCraft']);
    expect(res.code).toBe(0);
    expect(snapshotFolder(path.join(ws.libraryDir, 'xlsx'))).toEqual(company);
    expect(res.stdout).toContain('companies with exactly this version: CodeCraft, Northwind');
    expect(res.stdout).toMatch(/^\+Always pass `--sheet`/m);
    expect(res.stdout).toMatch(/git -C \S+ diff -- library\/skills\/xlsx/);
    // Never commits: HEAD unchanged, the change is in the work tree for review.
    expect(g('rev-parse', 'HEAD')).toBe(head);
    expect(g('status', '--porcelain', '--', 'library')).toBe(' M library/skills/xlsx/SKILL.md\n');
    expect(g('diff', '--', 'library/skills/xlsx')).toContain('+Always pass `--sheet`');
    // Not distributed until committed.
    expect(stateOf(cli(ws, ['sync', '--json']).json, 'Lexicon', 'xlsx')).toBe('in-sync');

    // The commit it printed, then a sync: both companies are in sync and Lexicon gets the fix.
    const commitLine = res.stdout.split('\n').find((l) => l.includes(' commit -m '))!.trim();
    const who = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
    execFileSync('sh', ['-c', commitLine], { env: { ...process.env, ...who } });
    expect(g('log', '-1', '--format=%s')).toBe("xlsx: promote CodeCraft's version\n");
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const after = cli(ws, ['status', '--json']).json;
    for (const c of ['CodeCraft', 'Northwind', 'Lexicon']) expect(stateOf(after, c, 'xlsx')).toBe('in-sync');
    expect(fs.readFileSync(skillFile('Lexicon', 'xlsx'), 'utf8')).toContain('--sheet');
    expect(after.drift.promoteCandidates).toEqual([]);
    fsck(ws.storeDir);
  });

  it('refuses an in-sync skill, an unknown company and uncommitted library edits, and writes nothing', () => {
    gitLibrary();
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(skillFile('CodeCraft', 'xlsx'), FIX);
    fs.appendFileSync(libFile('xlsx'), 'uncommitted\n');
    const lib = snapshotFolder(ws.libraryDir);
    const cases: [string[], RegExp][] = [
      [['promote', 'docx', '--from', 'CodeCraft'], /already the library's version/],
      [['promote', 'xlsx', '--from', 'Nobody'], /unknown company "Nobody"/],
      [['promote', 'xlsx', '--from', 'CodeCraft'], /uncommitted edits/],
      [['promote', 'nope', '--from', 'CodeCraft'], /CodeCraft has no skill nope/],
    ];
    for (const [args, pattern] of cases) {
      const res = cli(ws, args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(pattern);
    }
    expect(snapshotFolder(ws.libraryDir)).toEqual(lib);
  });

  it('a plain-folder library needs --force, since there is no review step', () => {
    cli(ws, ['sync', '--fix']);
    const before = snapshotFolder(ws.libraryDir);
    const res = cli(ws, ['promote', 'pdf', '--from', 'CodeCraft']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/is a plain folder, not in git: .*pass --force/);
    expect(snapshotFolder(ws.libraryDir)).toEqual(before);
    // A library edit not yet synced: promote keeps that replaced version in the store.
    fs.appendFileSync(libFile('pdf', 'reference.md'), 'unsynced library edit\n');
    const forced = cli(ws, ['promote', 'pdf', '--from', 'CodeCraft', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.json).toMatchObject({ libraryKind: 'folder', commit: null, sameIn: ['CodeCraft'] });
    expect(fs.readFileSync(libFile('pdf'), 'utf8')).toBe(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8'));
    expect(git(ws.storeDir, ['show', `${forced.json.replaced}:reference.md`])).toContain('unsynced library edit');
    expect(cli(ws, ['promote', 'pdf', '--from', 'CodeCraft', '--force']).stderr).toMatch(/already the library's version/);
  });
});

describe('library diff', () => {
  it("shows the company's version against the library's, and what each side changed since the base", () => {
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(libFile('pdf', 'reference.md'), 'Library fix.\n');
    const res = cli(ws, ['diff', '--company', 'CodeCraft']);
    expect(res.code).toBe(0);
    const sections = res.stdout.split(/^# /m);
    expect(sections[0]).toMatch(/^=== CodeCraft\/pdf: override-behind; \(unexplained\) ===/);
    const [vsLibrary, companyChanged, libraryChanged] = sections.slice(1);
    expect(vsLibrary).toMatch(/^the company's version against the library's/);
    expect(vsLibrary).toMatch(/^\+description: "?Extract text from PDFs\. CodeCraft/m);
    expect(vsLibrary).toMatch(/^-Library fix\.$/m);
    expect(companyChanged).toMatch(/^what the company changed since the base/);
    expect(companyChanged).toContain('diff --git a/pdf/SKILL.md b/pdf/SKILL.md');
    expect(companyChanged).not.toContain('reference.md');
    expect(libraryChanged).toMatch(/^what the library changed since the base/);
    expect(libraryChanged).toMatch(/^\+Library fix\.$/m);
    expect(libraryChanged).not.toContain('SKILL.md');
    const json = cli(ws, ['diff', '--json', '--skill', 'pdf']).json;
    expect(json.diffs.map((d: any) => `${d.company}:${d.state}`)).toEqual(['CodeCraft:override-behind', 'Lexicon:behind', 'Northwind:behind']);
  });

  it('shows a conflict and where the library version is kept', () => {
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(ws.configFile, 'utf8')), merge: 'file' }));
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(libFile('pdf'), 'Library rule.\n');
    cli(ws, ['sync', '--fix']);
    const res = cli(ws, ['diff', '--company', 'CodeCraft', '--skill', 'pdf']);
    expect(res.stdout).toMatch(/# conflicts at the last sync.*\n {2}SKILL\.md: changed on both sides\n {4}git --git-dir \S+ show refs\/conflicts\/CodeCraft:pdf\/SKILL\.md/);
    expect(res.stdout).toMatch(/^-Library rule\.$/m);
  });

  it('an unknown skill is exit 2', () => {
    const res = cli(ws, ['diff', '--skill', 'nope']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/skill "nope" is neither in the library nor in any company/);
  });
});
