/**
 * Rollback an operator can trust (issue 17), through the real CLI: from an old
 * backup that would gut a company, the plan, the guard, --force, what the next
 * sync keeps, one push that ends every override, and a search that never
 * answers from the tree before the rollback.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIBRARY_SKILLS, writeSkillFiles } from '../../example/workspace.js';
import { DISCOVER, cleanupTempDirs, cli, exampleWorkspace, fsck, refsOf, snapshotFolder, stateOf } from '../helpers.js';

afterAll(cleanupTempDirs);

const TOOLS = Array.from({ length: 12 }, (_, i) => `tool-${String(i + 1).padStart(2, '0')}`);
const skillMd = (name: string, description: string) => `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n`;
const skillsIn = (dir: string) => fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort();

describe('rollback to an old backup, then push, with discover never stale', () => {
  it('a rollback that would gut a company is refused and planned; forced, removals stay removed until one push brings them back', () => {
    const ws = exampleWorkspace();
    for (const t of TOOLS) writeSkillFiles(path.join(ws.libraryDir, t), { 'SKILL.md': skillMd(t, `Internal ${t} helper for quarterly ledgers.`) });
    // The April backup: the few skills each company had then (old layout, <backup>/<company>/<skill>/).
    const backup = path.join(ws.root, 'backups', 'library-pre-autopush-20260417-0041');
    fs.cpSync(ws.companyDir('CodeCraft'), path.join(backup, 'CodeCraft'), { recursive: true });
    writeSkillFiles(path.join(backup, 'CodeCraft', 'docx'), { ...LIBRARY_SKILLS.docx, 'SKILL.md': skillMd('docx', 'Word documents, as in April.') });
    fs.cpSync(ws.companyDir('Lexicon'), path.join(backup, 'Lexicon'), { recursive: true });
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const codecraft = ws.companyDir('CodeCraft');
    expect(skillsIn(codecraft)).toHaveLength(16);

    const imported = cli(ws, ['import', backup, '--name', 'pre-autopush']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/^ {2}CodeCraft +2 skills +from CodeCraft$/m);
    expect(imported.stdout).toMatch(/^ {2}Lexicon +1 skill +from Lexicon$/m);
    expect(imported.stdout).toContain('see what a rollback would do first: `library rollback pre-autopush --dry-run`');

    // The plan: per skill added/replaced/removed, the guard named; nothing written.
    const refs = refsOf(ws.storeDir);
    const folder = snapshotFolder(codecraft);
    const dry = cli(ws, ['rollback', 'pre-autopush', '--company', 'CodeCraft', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const plan = dry.json.companies[0];
    const removed = ['brand-voice', ...TOOLS, 'xlsx'];
    expect(plan.changes.map((c: any) => [c.skill, c.change])).toEqual([['brand-voice', 'removed'], ['docx', 'replaced'], ...TOOLS.map((t) => [t, 'removed']), ['xlsx', 'removed']]);
    expect(plan.changes.find((c: any) => c.skill === 'docx')).toMatchObject({ state: 'override', nextSync: 'kept' });
    expect(plan.guard).toBe(`CodeCraft would lose 14 of its 16 skills (88%, over safety.maxRemovePercent=25%): ${removed.join(', ')}`);

    const refused = cli(ws, ['rollback', 'pre-autopush', '--company', 'CodeCraft']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `library: rollback to snapshot/pre-autopush refused, nothing was written: ${plan.guard}; check the plan with \`library rollback pre-autopush --dry-run\` (or roll back single skills with --skill), then rerun with --force to remove them\n`,
    );
    expect(refused.stdout).toMatch(/^ {2}removed +tool-07 +→ override$/m); // the plan it refused
    expect(refused.stdout).toMatch(/REFUSED: CodeCraft would lose 14/);
    expect(snapshotFolder(codecraft)).toEqual(folder);
    expect(refsOf(ws.storeDir)).toBe(refs);

    const forced = cli(ws, ['rollback', 'pre-autopush', '--company', 'CodeCraft', '--force']);
    expect(forced.code).toBe(0);
    expect(skillsIn(codecraft)).toEqual(['docx', 'pdf']);
    expect(forced.stdout).toContain(`removed skills stay removed: the next sync keeps them out; to bring the library's back: \`library push ${removed.join(' ')} --company CodeCraft\``);
    // discover answers from the store as it is now, with no --rebuild-index: CodeCraft no longer has tool-07.
    const where = (q: string, company: string) => cli(ws, [q, '--company', company, '--json'], {}, DISCOVER).json.hits.filter((h: any) => h.name === q);
    expect(where('tool-07', 'CodeCraft')).toEqual([]);

    expect(cli(ws, ['sync', '--fix']).code).toBe(0); // the next scheduled run keeps the rollback
    expect(skillsIn(codecraft)).toEqual(['docx', 'pdf']);
    const status = cli(ws, ['status', '--json']).json;
    expect(status.companies.find((c: any) => c.name === 'CodeCraft').skills.find((s: any) => s.name === 'tool-07')).toMatchObject({ state: 'override', rollback: 'snapshot/pre-autopush' });

    // One push ends every override, in every company; a name not in the library is refused before anything is touched.
    const before = refsOf(ws.storeDir);
    const typo = cli(ws, ['push', 'docx', 'tool-7', '--all-companies']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^library: skill "tool-7" is not in the library \(.*\): nothing was pushed; the library has brand-voice, docx, pdf, tool-01, /);
    expect(refsOf(ws.storeDir)).toBe(before);
    const pushed = cli(ws, ['push', 'docx', ...removed, '--all-companies', '--json']);
    expect(pushed.code).toBe(0);
    const after = pushed.json.pushed.find((c: any) => c.company === 'CodeCraft').skills;
    expect(after.map((s: any) => [s.skill, s.before, s.state])).toEqual([...removed, 'docx'].sort().map((s) => [s, 'override', 'in-sync']));
    expect(pushed.json.pushed.find((c: any) => c.company === 'Lexicon').skills.every((s: any) => s.before === 'in-sync' && s.state === 'in-sync')).toBe(true);
    expect(skillsIn(codecraft)).toHaveLength(16);
    expect(cli(ws, ['push', 'pdf', '--company', 'CodeCraft']).stdout).toMatch(/^ {2}in-sync +pdf +\(was override\)$/m);
    expect(stateOf(cli(ws, ['status', '--json']).json, 'CodeCraft', 'pdf')).toBe('in-sync');
    expect(where('tool-07', 'CodeCraft')).toMatchObject([{ companies: expect.arrayContaining([{ company: 'CodeCraft', folder: 'tool-07', state: 'in-sync' }]) }]);

    // A skill a company deletes leaves its results once recorded, even by a sync that skips the index.
    fs.rmSync(path.join(ws.companyDir('Lexicon'), 'tool-03'), { recursive: true });
    expect(cli(ws, ['sync', '--fix', '--no-index']).code).toBe(0);
    expect(where('tool-03', 'Lexicon')).toEqual([]);
    expect(where('tool-03', 'Northwind')).toHaveLength(1);
    fsck(ws.storeDir);
  });

  it('the undo a scoped rollback prints, run later as printed, rolls back only that company and skill', () => {
    const ws = exampleWorkspace();
    const lib = (skill: string) => path.join(ws.libraryDir, skill, 'SKILL.md');
    const at = (company: string, skill: string) => fs.readFileSync(path.join(ws.companyDir(company), skill, 'SKILL.md'), 'utf8');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['snapshot', 'before-v2']).code).toBe(0);
    for (const s of ['docx', 'xlsx']) fs.appendFileSync(lib(s), `\n${s} v2\n`);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);

    const rollback = cli(ws, ['rollback', 'before-v2', '--company', 'Lexicon', '--skill', 'xlsx']);
    expect(rollback.code, rollback.stderr + rollback.stdout).toBe(0);
    expect(at('Lexicon', 'xlsx')).not.toContain('xlsx v2');
    const undo = /to undo: `library ([^`]+)`/.exec(rollback.stdout)?.[1];
    expect(undo, rollback.stdout).toBeDefined();

    // Later, the library moves on and every company takes it (Lexicon's rolled-back xlsx is kept).
    for (const s of ['docx', 'xlsx']) fs.appendFileSync(lib(s), `\n${s} v3\n`);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const back = cli(ws, undo!.split(' '));
    expect(back.code, back.stderr + back.stdout).toBe(0);
    expect(at('Lexicon', 'xlsx')).toContain('xlsx v2');
    expect(at('Lexicon', 'xlsx')).not.toContain('xlsx v3');
    // Another company, and another skill of the same company, keep their newer update.
    expect(at('Lexicon', 'docx')).toContain('docx v3');
    for (const s of ['docx', 'xlsx']) expect(at('Northwind', s)).toContain(`${s} v3`);
    fsck(ws.storeDir);
  });
});
