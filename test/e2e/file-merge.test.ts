/** End-to-end: config `merge: "file" | "line"` through the real CLI, verified with native git. */
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
function setMerge(mode: string): void {
  const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
  fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, merge: mode }));
}

describe('merge: "file"', () => {
  it('brings a library fix to one file into an override while keeping the company edit to another', () => {
    setMerge('file');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    fs.appendFileSync(libFile('pdf', 'reference.md'), '\nFix: encrypted PDFs need the password first.\n');
    const plan = cli(ws, ['sync', '--json']).json;
    expect(plan.companies.find((c: any) => c.name === 'CodeCraft').skills.find((s: any) => s.name === 'pdf')).toMatchObject({ state: 'override-behind', action: 'merge' });

    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    const cc = res.json.companies.find((c: any) => c.name === 'CodeCraft');
    expect(cc.applied.merged).toEqual(['pdf']);
    expect(cc.merges).toEqual([expect.objectContaining({ skill: 'pdf', fromLibrary: ['reference.md'], conflicts: [] })]);
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf', 'reference.md'), 'utf8')).toContain('encrypted PDFs');
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
    // The executable bit of the untouched script is kept through the merge.
    expect(fs.statSync(skillFile('CodeCraft', 'pdf', 'scripts/extract.py')).mode & 0o111).not.toBe(0);
    // Up to date with the library: a plain override now, not override-behind.
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('override');
    expect(git(ws.storeDir, ['log', '-1', '--format=%s', 'companies/CodeCraft'])).toMatch(/merged from the library into overrides: pdf/);
    fsck(ws.storeDir);

    // And the next library fix to the same file flows in again (not mistaken for a company edit).
    fs.appendFileSync(libFile('pdf', 'reference.md'), 'Fix 2.\n');
    cli(ws, ['sync', '--fix']);
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf', 'reference.md'), 'utf8')).toContain('Fix 2.');
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
  });

  it('sync without --fix shows the very merges --fix applies, conflicts and line merges included', () => {
    setMerge('line');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    fs.appendFileSync(libFile('pdf', 'reference.md'), '\nFix: encrypted PDFs need the password first.\n');
    fs.appendFileSync(libFile('pdf', 'SKILL.md'), '\nLibrary line at the end.\n');
    fs.writeFileSync(libFile('pdf', 'scripts/extract.py'), '#!/usr/bin/env python3\nprint("library v2")\n');
    fs.writeFileSync(skillFile('CodeCraft', 'pdf', 'scripts/extract.py'), '#!/usr/bin/env python3\nprint("codecraft")\n');
    const plan = cli(ws, ['sync', '--json']).json.companies.find((c: any) => c.name === 'CodeCraft');
    const fix = cli(ws, ['sync', '--fix', '--json']).json.companies.find((c: any) => c.name === 'CodeCraft');
    expect(plan.merges).toHaveLength(1);
    expect(plan.merges[0]).toMatchObject({ skill: 'pdf', fromLibrary: ['reference.md'] });
    expect(plan.merges[0].conflicts.map((c: any) => c.path)).toContain('scripts/extract.py');
    expect(fix.merges).toEqual(plan.merges);
  });

  it('the default, merge: "skill", keeps the whole override', () => {
    cli(ws, ['sync', '--fix']);
    const before = snapshotFolder(path.join(ws.companyDir('CodeCraft'), 'pdf'));
    fs.appendFileSync(libFile('pdf', 'reference.md'), 'Fix.\n');
    cli(ws, ['sync', '--fix']);
    expect(snapshotFolder(path.join(ws.companyDir('CodeCraft'), 'pdf'))).toEqual(before);
  });

  it('a both-sides change is a conflict: the live file is untouched, the library version is kept in the store', () => {
    setMerge('file');
    cli(ws, ['sync', '--fix']);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    fs.appendFileSync(libFile('pdf'), '\nLibrary: new rule for forms.\n');
    fs.appendFileSync(libFile('pdf', 'reference.md'), '\nFix.\n');
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(0);
    const cc = res.json.companies.find((c: any) => c.name === 'CodeCraft');
    expect(cc.merges[0].conflicts).toEqual([{ path: 'SKILL.md', reason: 'changed on both sides' }]);
    expect(cc.merges[0].fromLibrary).toEqual(['reference.md']);
    // The live file is the company's, byte for byte, with no conflict markers anywhere.
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8')).toBe(custom);
    for (const content of Object.values(snapshotFolder(ws.companyDir('CodeCraft')))) {
      expect(Buffer.from(content.split(':')[1] ?? '', 'base64').toString()).not.toMatch(/^(<<<<<<<|>>>>>>>)/m);
    }
    expect(fs.readFileSync(skillFile('CodeCraft', 'pdf', 'reference.md'), 'utf8')).toContain('Fix.');
    // The library's version sits beside the skill in the store only.
    expect(git(ws.storeDir, ['show', 'refs/conflicts/CodeCraft:pdf/SKILL.md'])).toBe(fs.readFileSync(libFile('pdf'), 'utf8'));
    expect(git(ws.storeDir, ['log', '-1', '--format=%B', 'refs/conflicts/CodeCraft'])).toContain('Conflict: pdf "SKILL.md" changed on both sides');
    // The conflict stays visible: override-behind, until someone resolves it.
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('override-behind');
    fsck(ws.storeDir);
  });

  it('a run that finds the same conflict again writes nothing', () => {
    setMerge('file');
    cli(ws, ['sync', '--fix']);
    fs.appendFileSync(libFile('pdf'), '\nLibrary change.\n');
    const first = cli(ws, ['sync', '--fix']);
    expect(first.stdout).toMatch(/CONFLICT +pdf\/SKILL\.md: changed on both sides; company version kept/);
    const refs = refsOf(ws.storeDir);
    const again = cli(ws, ['sync', '--fix', '--json']);
    expect(again.json.companies.find((c: any) => c.name === 'CodeCraft').merges[0].conflicts).toHaveLength(1);
    expect(refsOf(ws.storeDir)).toBe(refs);
  });
});

describe('merge: "line"', () => {
  it('merges edits to different lines of one file cleanly', () => {
    setMerge('line');
    cli(ws, ['sync', '--fix']);
    const custom = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    // The library retitles the heading; CodeCraft changed the description and the body.
    fs.writeFileSync(libFile('pdf'), fs.readFileSync(libFile('pdf'), 'utf8').replace('# pdf\n', '# PDF tools\n'));
    const res = cli(ws, ['sync', '--fix', '--json']);
    const cc = res.json.companies.find((c: any) => c.name === 'CodeCraft');
    expect(cc.merges[0]).toMatchObject({ lineMerged: ['SKILL.md'], conflicts: [] });
    const merged = fs.readFileSync(skillFile('CodeCraft', 'pdf'), 'utf8');
    expect(merged).toBe(custom.replace('# pdf\n', '# PDF tools\n'));
    expect(merged).toContain('CodeCraft: always OCR');
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('override');
    fsck(ws.storeDir);
  });

  it('a config with an unknown merge mode is exit 2 with one line', () => {
    setMerge('lines');
    const res = cli(ws, ['status']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/"merge" must be one of "skill", "file", "line"/);
  });
});
