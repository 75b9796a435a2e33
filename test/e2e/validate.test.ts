/** `library validate`, sync skipping invalid library skills, and `status --check`: the real CLI on real folders. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, stateOf, write } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = exampleWorkspace();
});

const libFile = (skill: string, file = 'SKILL.md') => path.join(ws.libraryDir, skill, file);
const coFile = (company: string, skill: string, file = 'SKILL.md') => path.join(ws.companyDir(company), skill, file);

describe('library validate', () => {
  it('the example library is valid', () => {
    const res = cli(ws, ['validate']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`ok: 4 skills checked in ${ws.libraryDir}\n`);
  });

  it('prints one line per problem with the path, severity and code, then a summary, and exits 1', () => {
    write(libFile('broken'), 'no front matter\n');
    fs.symlinkSync('/etc/hostname', libFile('pdf', 'host'));
    const res = cli(ws, ['validate']);
    expect(res.code).toBe(1);
    expect(res.stdout.trim().split('\n')).toEqual([
      `${libFile('broken')}: error: has no front matter: start it with a line "---", then "name:" and "description:", then "---" [front-matter-missing]`,
      `${libFile('pdf', 'host')}: error: is a symlink to "/etc/hostname", outside the skill: copy what it points to into the skill [symlink-outside]`,
      `failed: 2 errors; 5 skills checked in ${ws.libraryDir}`,
    ]);
  });

  it('warnings alone exit 0; --quiet prints nothing when there is nothing to say', () => {
    expect(cli(ws, ['validate', '--quiet']).stdout).toBe('');
    write(libFile('Notes_Skill'), '---\nname: Notes_Skill\ndescription: notes\nversion: 2\n---\n');
    const res = cli(ws, ['validate']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split('\n')).toEqual([
      `${path.join(ws.libraryDir, 'Notes_Skill')}: warning: skill name "Notes_Skill" has uppercase letters, "_"; the Agent Skills specification allows lowercase letters, digits and single hyphens inside: rename the folder and "name" to "notes-skill" [name-format]`,
      `${libFile('Notes_Skill')}:4:1: warning: front matter key "version" is neither an Agent Skills nor a Claude Code field: move it under "metadata:" (as a string) or remove it [unknown-field]`,
      `ok: 5 skills checked in ${ws.libraryDir}; 2 warnings (the skills are still distributed)`,
    ]);
    expect(cli(ws, ['validate', '--json']).json.ok).toBe(true);
    expect(cli(ws, ['validate', '--strict']).code).toBe(1);
  });

  it('a PATH needs no config: a skill folder (with or without SKILL.md) or a library folder; --json', () => {
    const skillDir = path.join(ws.root, 'loose', 'my-skill');
    write(path.join(skillDir, 'SKILL.md'), '---\nname: my-skill\ndescription: ok\n---\n');
    write(path.join(skillDir, 'big.bin'), 'x'.repeat(2000));
    const res = cli(null, ['validate', skillDir, '--max-file-bytes', '1000', '--json']);
    expect(res.code).toBe(1);
    expect(res.json).toEqual({
      ok: false,
      target: path.dirname(skillDir),
      skills: ['my-skill'],
      findings: [{ skill: 'my-skill', path: 'my-skill/big.bin', code: 'file-too-large', severity: 'error', message: expect.stringMatching(/^is 2000 bytes, over the size limit of 1000 bytes/) }],
    });
    expect(cli(null, ['validate', path.dirname(skillDir)]).stdout).toMatch(/^ok: 1 skill checked in /);
    // A skill folder without SKILL.md is one skill, not an empty library.
    const bare = path.join(ws.root, 'loose', 'bare');
    write(path.join(bare, 'scripts', 'run.sh'), 'echo\n');
    write(path.join(bare, 'skill.md'), '---\nname: bare\ndescription: x\n---\n');
    const one = cli(null, ['validate', bare, '--json']);
    expect(one.code).toBe(1);
    expect(one.json.skills).toEqual(['bare']);
    expect(one.json.findings.map((f: any) => f.code)).toEqual(['skill-md-missing']);
    const missing = cli(null, ['validate', path.join(ws.root, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope does not exist/);
  });

  it('a file name that is not UTF-8 is a finding, and the other skills are still checked', () => {
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(ws.libraryDir, 'pdf')), Buffer.from('/bad-\xff.txt', 'latin1')]), 'x');
    write(libFile('xlsx', 'SKILL.md'), '---\nname: xlsx\n---\n');
    const res = cli(ws, ['validate', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.findings.map((f: any) => `${f.path} ${f.code}`)).toEqual(['pdf/bad-\uFFFD.txt file-name-encoding', 'xlsx/SKILL.md description-missing']);
  });
});

describe('library validate --staged', () => {
  it('checks only what changed, but a new skill that a Mac cannot hold apart from an old one blocks both', () => {
    const repo = path.dirname(path.dirname(ws.libraryDir));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
    g('init', '-q');
    g('add', 'library');
    g('commit', '-qm', 'library');
    expect(cli(ws, ['validate', '--staged', '--quiet']).stdout).toBe('');
    write(libFile('PDF'), '---\nname: PDF\ndescription: shouting\n---\n');
    g('add', 'library');
    const res = cli(ws, ['validate', '--staged', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.skills).toEqual(['PDF']);
    expect(res.json.findings.map((f: any) => `${f.skill} ${f.code}`)).toEqual(['PDF name-collision', 'pdf name-collision', 'PDF name-format']);
  });
});

describe('sync never distributes a skill that fails validation', () => {
  it('a broken library skill is reported and skipped; the rest go through; companies keep their version', () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const before = fs.readFileSync(coFile('Northwind', 'docx'), 'utf8');
    fs.writeFileSync(libFile('docx'), '---\nname: docx\ndescription: Edits: Word files\n---\n'); // invalid YAML
    fs.appendFileSync(libFile('xlsx'), 'a valid change\n');
    write(libFile('new-broken'), '---\nname: wrong-name\ndescription: x\n---\n');

    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1); // skipped skills need a person: exit 1, the rest synced
    expect(res.json.library.skills.sort()).toEqual(['brand-voice', 'pdf', 'xlsx']);
    const problems = res.json.library.problems.map((p: any) => p.skill).sort();
    expect(problems).toEqual(['docx', 'new-broken']);
    expect(res.json.library.problems.find((p: any) => p.skill === 'docx').message).toMatch(/docx\/SKILL\.md:3:14: front matter is not valid YAML at line 3, column 14: .*: quote the value: description: "Edits: Word files" \[yaml-invalid\]/);
    // Skipped, not deleted, and not added.
    expect(fs.readFileSync(coFile('Northwind', 'docx'), 'utf8')).toBe(before);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'new-broken'))).toBe(false);
    expect(fs.readFileSync(coFile('Northwind', 'xlsx'), 'utf8')).toContain('a valid change');
    expect(cli(ws, ['sync']).stdout).toMatch(/skipped: library skill docx is not distributed/);

    // Fixed: it is distributed on the next run.
    fs.writeFileSync(libFile('docx'), '---\nname: docx\ndescription: "Edits: Word files"\n---\n');
    fs.rmSync(path.dirname(libFile('new-broken')), { recursive: true });
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(fs.readFileSync(coFile('Northwind', 'docx'), 'utf8')).toContain('"Edits: Word files"');
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'docx')).toBe('in-sync');
    fsck(ws.storeDir);
  });

  it('the same for a library in git: what is committed is what is checked', () => {
    const repo = path.dirname(path.dirname(ws.libraryDir));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
    g('init', '-q');
    write(libFile('huge', 'SKILL.md'), '---\nname: huge\ndescription: too big\n---\n');
    write(libFile('huge', 'blob.bin'), 'x'.repeat(3000));
    g('add', 'library');
    g('commit', '-qm', 'library'); // no hook here: the bad commit goes in
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: ws.libraryDir, companies: ws.companiesGlob, store: ws.storeDir, safety: { maxFileBytes: 2000 } }));
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.library.kind).toBe('git');
    expect(res.json.library.problems).toEqual([{ skill: 'huge', message: expect.stringMatching(/huge\/blob\.bin: is 3000 bytes, over the size limit of 2000 bytes/) }]);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'huge'))).toBe(false);
    expect(fs.existsSync(coFile('Northwind', 'pdf'))).toBe(true);
    // The recorded library tree holds only what was distributed.
    expect(git(ws.storeDir, ['ls-tree', '--name-only', 'library']).trim().split('\n')).toEqual(['brand-voice', 'docx', 'pdf', 'xlsx']);
  });

  it('the same for a library that is a ref of the store (a receiving machine)', () => {
    // What another machine pushed: the example library plus a skill whose symlink leaves it.
    const sender = path.join(ws.root, 'sender');
    fs.cpSync(ws.libraryDir, sender, { recursive: true });
    write(path.join(sender, 'leaky', 'SKILL.md'), '---\nname: leaky\ndescription: x\n---\n');
    fs.symlinkSync('../../secrets', path.join(sender, 'leaky', 'keys'));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: sender, encoding: 'utf8' });
    g('init', '-q');
    g('add', '-A');
    g('commit', '-qm', 'library');
    execFileSync('git', ['init', '-q', '--bare', ws.storeDir]);
    execFileSync('git', ['--git-dir', ws.storeDir, 'fetch', '-q', sender, 'HEAD:refs/heads/incoming']);
    fs.writeFileSync(ws.configFile, JSON.stringify({ library: { ref: 'refs/heads/incoming' }, companies: ws.companiesGlob, store: ws.storeDir }));
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.library.problems).toEqual([{ skill: 'leaky', message: expect.stringMatching(/refs\/heads\/incoming:leaky\/keys: is a symlink to "..\/..\/secrets", outside the skill/) }]);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'leaky'))).toBe(false);
    expect(fs.existsSync(coFile('Northwind', 'pdf'))).toBe(true);
  });

  it('a no-op sync reads nothing to validate: results are cached by tree id', () => {
    // A library in git, so one of its files can become unreadable while its tree stays the same: its object is deleted.
    const repo = path.dirname(path.dirname(ws.libraryDir));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8' });
    g('init', '-q');
    g('add', 'library');
    g('commit', '-qm', 'library');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const blob = g('rev-parse', 'HEAD:library/skills/pdf/reference.md').trim();
    fs.rmSync(path.join(repo, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    // Nothing changed, so nothing is validated again: the missing object is never read.
    const again = cli(ws, ['sync', '--fix', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.library.problems).toEqual([]);
    // With the cache damaged (a cache is only a cache), the same run validates every skill and finds the object gone.
    fs.writeFileSync(path.join(ws.storeDir, 'library-sync', 'cache', 'validate.json'), '{"version": 2, "res');
    const revalidated = cli(ws, ['sync', '--fix', '--json']);
    expect(revalidated.code).toBe(1);
    expect(revalidated.json.library.problems).toEqual([{ skill: 'pdf', message: expect.stringMatching(/pdf: cannot be read: .* \[skill-unreadable\]$/) }]);
  });
});

describe('library status', () => {
  it('shows how long ago the last successful sync was', () => {
    expect(cli(ws, ['status']).stdout).toMatch(/^last successful sync: never; no run yet$/m);
    cli(ws, ['sync', '--fix']);
    expect(cli(ws, ['status']).stdout).toMatch(/^last successful sync: \d+s ago \(the oldest of every company's\); last run \d+s ago: ok$/m);
  });

  it('--check passes after a sync and fails on a stale last sync, a failed company, or no sync at all', () => {
    const never = cli(ws, ['status', '--check']);
    expect(never.code).toBe(1);
    expect(never.stdout).toMatch(/^last-sync: no sync has ever run on store /);

    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const ok = cli(ws, ['status', '--check', '--max-age', '15m', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, maxAgeSeconds: 900, problems: [] });

    // Make the last sync 20 minutes old.
    const stateFile = path.join(ws.storeDir, 'library-sync', 'state.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    const old = new Date(Date.now() - 20 * 60_000).toISOString();
    for (const c of Object.values<any>(state.companies)) c.lastSync = old;
    state.lastRun.at = old;
    fs.writeFileSync(stateFile, JSON.stringify(state));
    const stale = cli(ws, ['status', '--check', '--max-age', '15m']);
    expect(stale.code).toBe(1);
    expect(stale.stdout.trim().split('\n')).toHaveLength(3);
    expect(stale.stdout).toMatch(/^last-sync: company CodeCraft last synced successfully 20m ago, over the limit of 15m; fix: /m);
    expect(cli(ws, ['status', '--check', '--max-age', '1h']).code).toBe(0);

    // A failing company fails the check even when the others are fresh.
    fs.appendFileSync(libFile('docx'), 'v2\n');
    cli(ws, ['sync', '--fix'], { LIBRARY_SYNC_TEST_FAIL_WRITE_PATH: `Northwind${path.sep}` });
    const failed = cli(ws, ['status', '--check', '--max-age', '1h', '--json']);
    expect(failed.code).toBe(1);
    expect(failed.json.problems.map((p: any) => p.check)).toEqual(['company-failed']);
    expect(failed.json.problems[0].message).toMatch(/company Northwind failed in its last run .*ENOSPC/);
  });
});
