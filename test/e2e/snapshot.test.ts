/** Snapshots as tags, rollback as checkout, export/import: end to end through the CLI, verified with native git. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, snapshotFolder, stateOf, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = exampleWorkspace();
});
const skillFile = (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file);
const tags = () => git(ws.storeDir, ['tag', '-l', 'snapshot/*']).trim().split('\n').filter(Boolean);

describe('automatic snapshots', () => {
  it('pre-first-run before the first changing sync, pre-sync-<time> after, none for a no-op', () => {
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    const res = cli(ws, ['sync', '--fix']);
    expect(res.code).toBe(0);
    expect(tags()).toEqual(['snapshot/pre-first-run']);
    // Native git reads the snapshot: the company as it was before the tool touched it.
    expect(git(ws.storeDir, ['show', 'snapshot/pre-first-run:companies/CodeCraft/pdf/SKILL.md'])).toBe(custom);
    expect(() => git(ws.storeDir, ['show', 'snapshot/pre-first-run:companies/Northwind/pdf/SKILL.md'])).toThrow();
    expect(git(ws.storeDir, ['cat-file', '-t', 'snapshot/pre-first-run']).trim()).toBe('tag');
    cli(ws, ['sync', '--fix']);
    expect(tags()).toHaveLength(1);
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'v2\n');
    cli(ws, ['sync', '--fix']);
    expect(tags()).toHaveLength(2);
    expect(tags()[1]).toMatch(/^snapshot\/pre-sync-\d{8}T\d{6}Z$/);
    const list = cli(ws, ['snapshots', '--json']).json.snapshots;
    expect(list.map((s: any) => s.automatic)).toEqual([true, true]);
    expect(list[0].companies).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    fsck(ws.storeDir);
  });

  it('prunes automatic snapshots beyond snapshots.keep, never named ones or pre-first-run', () => {
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, snapshots: { keep: 2 } }));
    cli(ws, ['sync', '--fix']);
    expect(cli(ws, ['snapshot', 'keep-me', '--message', 'before the migration']).code).toBe(0);
    for (let i = 0; i < 4; i++) {
      fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), `v${i}\n`);
      cli(ws, ['sync', '--fix']);
    }
    const names = tags();
    expect(names).toContain('snapshot/pre-first-run');
    expect(names).toContain('snapshot/keep-me');
    expect(names.filter((n) => n.startsWith('snapshot/pre-sync-'))).toHaveLength(2);
  });
});

describe('library rollback', () => {
  it('one skill in one company survives the next sync --fix, status says so, and push ends it', () => {
    cli(ws, ['sync', '--fix']);
    const v1 = fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8');
    cli(ws, ['snapshot', 'good']);
    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), 'a bad change\n');
    cli(ws, ['sync', '--fix']);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('a bad change');

    const dry = cli(ws, ['rollback', 'good', '--company', 'Northwind', '--skill', 'docx', '--dry-run', '--json']);
    expect(dry.json.companies[0].changes).toHaveLength(1);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('a bad change');

    const res = cli(ws, ['rollback', 'good', '--company', 'Northwind', '--skill', 'docx']);
    expect(res.code).toBe(0);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toBe(v1);
    expect(fs.readFileSync(skillFile('Lexicon', 'docx'), 'utf8')).toContain('a bad change');
    expect(git(ws.storeDir, ['log', '-1', '--format=%s', 'companies/Northwind'])).toMatch(/^rollback to snapshot\/good: restored docx/);
    expect(tags().some((t) => t.startsWith('snapshot/pre-rollback-'))).toBe(true);

    cli(ws, ['sync', '--fix']); // the next scheduled run
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toBe(v1);
    const status = cli(ws, ['status', '--json']).json;
    const docx = status.companies.find((c: any) => c.name === 'Northwind').skills.find((s: any) => s.name === 'docx');
    expect(docx).toMatchObject({ name: 'docx', state: 'override', rollback: 'snapshot/good' });
    expect(cli(ws, ['status']).stdout).toMatch(/override\s+docx\s+\(rolled back to snapshot\/good\)/);

    cli(ws, ['push', 'docx', '--company', 'Northwind']);
    expect(fs.readFileSync(skillFile('Northwind', 'docx'), 'utf8')).toContain('a bad change');
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('in-sync');
  });

  it('a whole company is restored byte for byte, with modes', () => {
    cli(ws, ['sync', '--fix']);
    const before = snapshotFolder(ws.companyDir('CodeCraft'));
    cli(ws, ['snapshot', 'before-mess']);
    fs.rmSync(path.join(ws.companyDir('CodeCraft'), 'xlsx'), { recursive: true });
    fs.writeFileSync(skillFile('CodeCraft', 'pdf', 'scripts/extract.py'), 'broken', { mode: 0o644 });
    fs.chmodSync(skillFile('CodeCraft', 'pdf', 'scripts/extract.py'), 0o644);
    fs.mkdirSync(path.join(ws.companyDir('CodeCraft'), 'junk'));
    fs.writeFileSync(skillFile('CodeCraft', 'junk'), 'x');
    expect(cli(ws, ['rollback', 'before-mess', '--company', 'CodeCraft']).code).toBe(0);
    expect(snapshotFolder(ws.companyDir('CodeCraft'))).toEqual(before);
    // What the rollback replaced is in the history too.
    expect(git(ws.storeDir, ['show', 'companies/CodeCraft~1:junk/SKILL.md'])).toBe('x');
    fsck(ws.storeDir);
  });

  it('unknown snapshot, company or skill: exit 2, nothing written', () => {
    cli(ws, ['sync', '--fix']);
    cli(ws, ['snapshot', 's1']);
    const refs = refsOf(ws.storeDir);
    const folders = snapshotFolder(path.join(ws.root, 'ALAI'));
    for (const args of [['rollback', 'nope'], ['rollback', 's1', '--company', 'Nobody'], ['rollback', 's1', '--skill', 'nope'], ['rollback', 's1', '--skill', '../x']]) {
      const res = cli(ws, args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(refsOf(ws.storeDir)).toBe(refs);
    expect(snapshotFolder(path.join(ws.root, 'ALAI'))).toEqual(folders);
  });
});

describe('export and import', () => {
  it('export then import is identical (same tree id), and the archive unpacks with plain tar', () => {
    fs.chmodSync(path.join(ws.libraryDir, 'xlsx', 'scripts', 'recalc.sh'), 0o755);
    cli(ws, ['sync', '--fix']);
    cli(ws, ['snapshot', 'orig']);
    const archive = path.join(tempDir(), 'orig.tar.gz');
    expect(cli(ws, ['export', 'orig', '-o', archive]).code).toBe(0);
    const unpacked = tempDir();
    execFileSync('tar', ['-xzf', archive, '-C', unpacked]);
    expect(fs.readFileSync(path.join(unpacked, 'companies', 'CodeCraft', 'pdf', 'SKILL.md'), 'utf8')).toBe(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8'));
    expect(fs.statSync(path.join(unpacked, 'library', 'xlsx', 'scripts', 'recalc.sh')).mode & 0o111).not.toBe(0);
    const res = cli(ws, ['import', archive, '--name', 'copy', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.layout).toBe('export');
    const tree = (t: string) => git(ws.storeDir, ['rev-parse', `${t}^{tree}`]).trim();
    expect(tree('snapshot/copy')).toBe(tree('snapshot/orig'));
  });

  it('an old backup folder (<backup>/<company>/<skill>/) becomes a snapshot that rollback can use', () => {
    const backup = path.join(ws.root, 'backups', 'library-pre-autopush-20260417-0041');
    for (const c of ['CodeCraft', 'Lexicon']) fs.cpSync(ws.companyDir(c), path.join(backup, c), { recursive: true });
    const before = snapshotFolder(ws.companyDir('CodeCraft'));
    cli(ws, ['sync', '--fix']);
    fs.rmSync(path.join(ws.companyDir('CodeCraft'), 'pdf'), { recursive: true });
    const res = cli(ws, ['import', backup, '--name', 'pre-autopush', '--json']);
    expect(res.code).toBe(0);
    expect(res.json).toMatchObject({ layout: 'backup', companies: ['CodeCraft', 'Lexicon'] });
    // A tar of the backup folder works too.
    const archive = path.join(ws.root, 'backup.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', path.dirname(backup), path.basename(backup)]);
    expect(cli(ws, ['import', archive, '--name', 'pre-autopush-tar']).code).toBe(0);
    const tree = (t: string) => git(ws.storeDir, ['rev-parse', `${t}^{tree}`]).trim();
    expect(tree('snapshot/pre-autopush-tar')).toBe(tree('snapshot/pre-autopush'));

    // The backup predates three of CodeCraft's skills: removing them all needs --force.
    const now = snapshotFolder(ws.companyDir('CodeCraft'));
    const refused = cli(ws, ['rollback', 'pre-autopush', '--company', 'CodeCraft']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/CodeCraft would lose 3 of its 3 skills \(100%, over safety.maxRemovePercent=25%\): brand-voice, docx, xlsx/);
    expect(snapshotFolder(ws.companyDir('CodeCraft'))).toEqual(now);
    expect(cli(ws, ['rollback', 'pre-autopush', '--company', 'CodeCraft', '--force']).code).toBe(0);
    expect(snapshotFolder(ws.companyDir('CodeCraft'))).toEqual(before);
  });

  it('a crafted tar with ../ entries, absolute paths or links out is refused, and nothing is written', () => {
    cli(ws, ['sync', '--fix']);
    const craft = tempDir();
    const sentinel = path.join(craft, 'sentinel');
    fs.mkdirSync(path.join(craft, 'a', 'companies', 'X', 'pdf'), { recursive: true });
    fs.writeFileSync(path.join(craft, 'a', 'companies', 'X', 'pdf', 'SKILL.md'), 'x');
    fs.mkdirSync(sentinel);
    fs.writeFileSync(path.join(craft, 'a', 'evil.txt'), 'evil');
    const archives = {
      dotdot: path.join(craft, 'dotdot.tar.gz'),
      link: path.join(craft, 'link.tar.gz'),
    };
    // GNU tar with -P keeps the "../" in the entry name.
    execFileSync('tar', ['-czPf', archives.dotdot, '-C', path.join(craft, 'a'), 'companies', '../a/evil.txt']);
    fs.symlinkSync('../../../../sentinel', path.join(craft, 'a', 'companies', 'X', 'pdf', 'out'));
    execFileSync('tar', ['-czf', archives.link, '-C', path.join(craft, 'a'), 'companies']);
    const refs = refsOf(ws.storeDir);
    for (const [kind, file] of Object.entries(archives)) {
      const res = cli(ws, ['import', file, '--name', `evil-${kind}`]);
      expect(res.code, kind).toBe(2);
      expect(res.stderr).toMatch(/refusing .*nothing was imported/);
    }
    expect(fs.readdirSync(sentinel)).toEqual([]);
    expect(refsOf(ws.storeDir)).toBe(refs);
    expect(fs.readdirSync(path.join(ws.storeDir, 'library-sync')).filter((n) => n.startsWith('import-'))).toEqual([]);
  });

  it('a link that stays inside the archive by its text but leaves it through another link is refused: nothing outside is read', () => {
    cli(ws, ['sync', '--fix']);
    // A skill beside the store, where an import's staging folder (store/library-sync/import-…) climbs to in three steps.
    const outside = path.join(path.dirname(ws.storeDir), 'private-notes');
    fs.mkdirSync(path.join(outside, 'leak'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'leak', 'SKILL.md'), '---\nname: leak\ndescription: "not for the archive"\n---\nprivate\n');
    const craft = tempDir();
    fs.mkdirSync(path.join(craft, 'companies', 'X', 'pdf'), { recursive: true });
    fs.writeFileSync(path.join(craft, 'companies', 'X', 'pdf', 'SKILL.md'), '---\nname: pdf\ndescription: "x"\n---\nx\n');
    fs.mkdirSync(path.join(craft, 'a', 'b', 'c'), { recursive: true });
    fs.symlinkSync('../../..', path.join(craft, 'a', 'b', 'c', 'l')); // the archive's root
    // By its text a/b/c/l/../../../private-notes is a/private-notes; through the link it is three folders above the root.
    fs.symlinkSync(`a/b/c/l/../../../${path.basename(outside)}`, path.join(craft, 'library'));
    const archive = path.join(tempDir(), 'chained.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', craft, 'companies', 'a', 'library']);
    const refs = refsOf(ws.storeDir);
    const res = cli(ws, ['import', archive, '--name', 'chained']);
    expect(res.code, res.stdout).toBe(2);
    expect(res.stderr).toMatch(/refusing .*library.* outside the archive.*nothing was imported/);
    expect(refsOf(ws.storeDir)).toBe(refs);
    expect(fs.readdirSync(path.join(ws.storeDir, 'library-sync')).filter((n) => n.startsWith('import-'))).toEqual([]);
  });
});
