/**
 * `import` understands every layout an operator has (issue 17): copies of
 * whole company folders (`cp -a ~/ALAI/<company>`), plain backups, a wrapping
 * folder, mixed; a dry run; an import with no skill refused.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSkillFiles } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

describe('import: every layout an operator has', () => {
  it('copies of whole company folders, plain backups and one wrapping folder, mixed; an import with no skill is refused', () => {
    const ws = exampleWorkspace();
    const bk = tempDir('lsync-backup-');
    const wrap = path.join(bk, 'ALAI-20260417');
    // CodeCraft as `cp -a ~/ALAI/CodeCraft` gives it: its skills in .claude/skills, other folders beside them.
    fs.cpSync(path.dirname(path.dirname(ws.companyDir('CodeCraft'))), path.join(wrap, 'CodeCraft'), { recursive: true });
    writeSkillFiles(path.join(wrap, 'CodeCraft'), { 'docs/notes.md': 'not a skill\n', '.claude/settings.json': '{}\n' });
    fs.cpSync(ws.companyDir('Lexicon'), path.join(wrap, 'Lexicon'), { recursive: true }); // the old layout
    writeSkillFiles(path.join(wrap, 'Northwind'), { '.claude/settings.json': '{}\n' }); // a company with no skills yet

    const dry = cli(ws, ['import', bk, '--name', 'april', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    expect(dry.json).toMatchObject({
      dryRun: true,
      layout: 'backup',
      found: [
        { company: 'CodeCraft', skills: 1, folder: 'ALAI-20260417/CodeCraft/.claude/skills' },
        { company: 'Lexicon', skills: 1, folder: 'ALAI-20260417/Lexicon' },
        { company: 'Northwind', skills: 0, folder: 'ALAI-20260417/Northwind/.claude/skills' },
      ],
    });
    expect(fs.existsSync(ws.storeDir)).toBe(false); // a dry run creates nothing, not even the store

    const res = cli(ws, ['import', bk, '--name', 'april']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^imported 3 companies \(backup layout\) as snapshot\/april:\n {2}CodeCraft +1 skill +from ALAI-20260417\/CodeCraft\/\.claude\/skills\n/);
    const files = git(ws.storeDir, ['ls-tree', '-r', '--name-only', 'snapshot/april']).trim().split('\n');
    expect(files).toContain('companies/CodeCraft/pdf/SKILL.md');
    expect(files).toContain('companies/Lexicon/legal-citations/SKILL.md');
    expect(files.filter((f) => f.includes('notes.md') || f.includes('settings.json'))).toEqual([]);
    expect(git(ws.storeDir, ['show', 'snapshot/april:companies/CodeCraft/pdf/SKILL.md'])).toBe(fs.readFileSync(path.join(ws.companyDir('CodeCraft'), 'pdf', 'SKILL.md'), 'utf8'));
    // The same as a tar of the wrapping folder.
    const archive = path.join(bk, 'alai.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', bk, 'ALAI-20260417']);
    expect(cli(ws, ['import', archive, '--name', 'april-tar']).code).toBe(0);
    const tree = (t: string) => git(ws.storeDir, ['rev-parse', `${t}^{tree}`]).trim();
    expect(tree('snapshot/april-tar')).toBe(tree('snapshot/april'));

    // Company folders with no skill anywhere: refused, nothing created.
    const empty = tempDir('lsync-empty-');
    writeSkillFiles(path.join(empty, 'CodeCraft'), { '.claude/settings.json': '{}\n', 'docs/notes.md': 'x\n' });
    const refs = refsOf(ws.storeDir);
    const objects = git(ws.storeDir, ['count-objects']);
    execFileSync('tar', ['-czf', path.join(bk, 'empty.tar.gz'), '-C', empty, '.']);
    for (const source of [empty, path.join(bk, 'empty.tar.gz')]) {
      const refused = cli(ws, ['import', source, '--name', 'nothing']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^library: refusing .*: it holds no skill \(1 company found, none with a skill folder\): expected <company>\/<skill>\/, <company>\/\.claude\/skills\/<skill>\/ or companies\/<company>\/<skill>\/, with at most one folder around them; nothing was imported\n$/);
    }
    expect(refsOf(ws.storeDir)).toBe(refs);
    expect(git(ws.storeDir, ['count-objects'])).toBe(objects);
    expect(fs.readdirSync(path.join(ws.storeDir, 'library-sync')).filter((n) => n.startsWith('import-'))).toEqual([]);
    fsck(ws.storeDir);
  });
});

