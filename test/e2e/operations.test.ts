/**
 * Operations an operator can trust (issue 17), each test starting from what a
 * user ran into, through the real CLI: a rollback to an old backup that would
 * gut a company, backups of whole company folders, a health check that missed
 * failures, a search answering from an old tree, one push per skill.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIBRARY_SKILLS, writeSkillFiles } from '../../src/example/workspace.js';
import { DISCOVER, cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, snapshotFolder, stateOf, tempDir } from '../helpers.js';
import { cliAsync, closedPort, setRemote, startPlainBackend } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const TOOLS = Array.from({ length: 12 }, (_, i) => `tool-${String(i + 1).padStart(2, '0')}`);
const skillMd = (name: string, description: string) => `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n`;
/** Ages ("3s ago") move between two runs: compare what they say apart from that. */
const timeless = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/\d+(s|m) ago/g, 'N ago'));
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
});

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
