/**
 * Real folders, judged right: what Finder, vim and Python leave behind is not
 * a customization; a hand copy of an earlier library version is not an
 * override; an override says which files make it one; a file-level merge
 * that empties a skill does not turn it into the company's deletion.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, fsck, git, stateOf, tempDir, write } from '../helpers.js';

afterAll(cleanupTempDirs);

const skillMd = (name: string, body: string) => `---\nname: ${name}\ndescription: "${name}: ${body}"\n---\n\n# ${name}\n\n${body}\n`;

/** A library whose docx skill has a script importing a sibling module, as Anthropic's office skills do. */
function workspace(extra: Record<string, unknown> = {}, libraryInGit = false) {
  const root = tempDir('lsync-real-');
  const libraryDir = path.join(root, 'library', 'skills');
  write(path.join(libraryDir, 'docx', 'SKILL.md'), skillMd('docx', 'Edit Word documents. Validate with `scripts/office/validate.py`.'));
  write(path.join(libraryDir, 'docx', 'scripts', 'office', 'validate.py'), 'import sys\nimport helpers\n\nif "--help" in sys.argv:\n    print(helpers.usage())\n');
  write(path.join(libraryDir, 'docx', 'scripts', 'office', 'helpers.py'), 'def usage():\n    return "usage: validate.py FILE.docx"\n');
  write(path.join(libraryDir, 'pdf', 'SKILL.md'), skillMd('pdf', 'Extract text from PDFs.'));
  write(path.join(libraryDir, 'pdf', 'reference.md'), '# PDF reference\n');
  write(path.join(libraryDir, 'notes', 'SKILL.md'), skillMd('notes', 'Take meeting notes.'));
  const companyDir = (name: string) => path.join(root, 'ALAI', name, '.claude', 'skills');
  for (const c of ['Acme', 'Beta']) fs.mkdirSync(companyDir(c), { recursive: true });
  const configFile = path.join(root, 'library.config.json');
  const storeDir = path.join(root, 'store.git');
  const base = { library: libraryDir, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: storeDir };
  fs.writeFileSync(configFile, JSON.stringify({ ...base, ...extra }));
  const repo = path.dirname(libraryDir);
  const commit = (message: string) => {
    execFileSync('git', ['-C', repo, 'add', '-A']);
    execFileSync('git', ['-C', repo, 'commit', '-qm', message]);
    return execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  };
  if (libraryInGit) {
    execFileSync('git', ['init', '-q', repo]);
    commit('v1');
  }
  return { root, libraryDir, companyDir, configFile, storeDir, commit, setConfig: (c: Record<string, unknown>) => fs.writeFileSync(configFile, JSON.stringify({ ...base, ...c })) };
}

/** What a person's machine leaves in a skill: Python bytecode from running its script, Finder's and vim's files. */
function litter(skillDir: string): string[] {
  execFileSync('python3', [path.join('scripts', 'office', 'validate.py'), '--help'], { cwd: skillDir, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '' } });
  const pyc = fs.readdirSync(path.join(skillDir, 'scripts', 'office', '__pycache__')).map((f) => `scripts/office/__pycache__/${f}`);
  expect(pyc.length, 'python3 wrote no bytecode: the test would prove nothing').toBeGreaterThan(0);
  const dropped = ['.DS_Store', '.SKILL.md.swp', 'SKILL.md~', 'scripts/.DS_Store', 'Thumbs.db', '._SKILL.md'];
  for (const f of dropped) fs.writeFileSync(path.join(skillDir, f), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49, 0, 0, 16, 0]));
  return [...pyc, ...dropped];
}

/** Every path the store's history holds, in any commit of any ref. */
const historyPaths = (storeDir: string) =>
  git(storeDir, ['log', '--all', '--format=', '--name-only', '--no-renames', '-m', '--first-parent']) + git(storeDir, ['rev-list', '--objects', '--all']);

it('litter is not a customization: the skill stays in sync, the next update reaches it, the litter stays and is never recorded', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const docx = path.join(ws.companyDir('Acme'), 'docx');
  const left = litter(docx);
  fs.writeFileSync(path.join(ws.companyDir('Acme'), '.DS_Store'), 'finder');
  fs.writeFileSync(path.join(ws.companyDir('Acme'), 'notes', '.DS_Store'), 'finder');

  const status = cli(ws, ['status', '--json']);
  expect(stateOf(status.json, 'Acme', 'docx')).toBe('in-sync');
  expect(stateOf(status.json, 'Acme', 'notes')).toBe('in-sync');

  // The library updates docx and drops notes: both reach Acme, around the litter.
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nAlways keep tracked changes.\n');
  fs.rmSync(path.join(ws.libraryDir, 'notes'), { recursive: true });
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  const acme = sync.json.companies.find((c: any) => c.name === 'Acme');
  expect(acme.applied.updated).toEqual(['docx']);
  expect(acme.applied.removed).toEqual(['notes']);
  expect(fs.readFileSync(path.join(docx, 'SKILL.md'), 'utf8')).toContain('Always keep tracked changes.');
  for (const f of left) expect(fs.existsSync(path.join(docx, f)), `${f} was deleted`).toBe(true);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'notes', 'SKILL.md'))).toBe(false);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'notes', '.DS_Store')), 'ignored files are never deleted').toBe(true);
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'docx')).toBe('in-sync');

  const recorded = historyPaths(ws.storeDir);
  for (const name of ['__pycache__', '.pyc', '.DS_Store', '.swp', 'SKILL.md~', 'Thumbs.db', '._SKILL.md']) expect(recorded).not.toContain(name);
  fsck(ws.storeDir);

  // `status --ignored` says what is left out, and by which rule.
  const ignored = cli(ws, ['status', '--ignored', '--company', 'Acme', '--json']);
  expect(ignored.code).toBe(0);
  const paths = ignored.json.folders[0].ignored.map((i: any) => `${i.path} ${i.pattern}`);
  expect(paths).toContain('docx/scripts/office/__pycache__/ __pycache__/');
  expect(paths).toContain('docx/.SKILL.md.swp *.swp');
  expect(paths).toContain('docx/SKILL.md~ *~');
});

it('a store recorded without the ignore rules heals on the next run, with no command', () => {
  // Switch the defaults off, as a store made before the rules existed saw the folders.
  const ws = workspace({ ignore: ['!.DS_Store', '!__pycache__/', '!*.pyc'] });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  litter(path.join(ws.companyDir('Acme'), 'docx'));
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nv2\n');
  const stuck = cli(ws, ['sync', '--fix', '--json']);
  expect(stateOf(stuck.json, 'Acme', 'docx')).toBe('override-behind'); // what users saw: frozen for good
  expect(historyPaths(ws.storeDir)).toContain('__pycache__');

  ws.setConfig({}); // the built-in rules, as every store has them from now on
  const healed = cli(ws, ['sync', '--fix', '--json']);
  expect(healed.code, healed.stderr).toBe(0);
  expect(stateOf(healed.json, 'Acme', 'docx')).toBe('behind');
  expect(fs.readFileSync(path.join(ws.companyDir('Acme'), 'docx', 'SKILL.md'), 'utf8')).toContain('v2');
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'docx')).toBe('in-sync');
  fsck(ws.storeDir);
});

it('a hand copy of an earlier library commit is updated on the first sync; a real customization stays an override', () => {
  const ws = workspace({}, true);
  const v1 = fs.readFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), 'utf8');
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2: use pdfplumber for tables.\n');
  write(path.join(ws.libraryDir, 'pdf', '.DS_Store'), 'committed by mistake'); // litter in the library's own history too
  ws.commit('v2');
  // Acme copied pdf by hand weeks ago (v1, with Finder litter); Beta customized it.
  write(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'), v1);
  write(path.join(ws.companyDir('Acme'), 'pdf', 'reference.md'), '# PDF reference\n');
  write(path.join(ws.companyDir('Acme'), 'pdf', '.DS_Store'), 'finder');
  write(path.join(ws.companyDir('Beta'), 'pdf', 'SKILL.md'), `${v1}\nBeta: OCR every page first.\n`);
  write(path.join(ws.companyDir('Beta'), 'pdf', 'reference.md'), '# PDF reference\n');

  const plan = cli(ws, ['sync', '--json']);
  expect(stateOf(plan.json, 'Acme', 'pdf')).toBe('behind');
  expect(stateOf(plan.json, 'Beta', 'pdf')).toBe('override');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(fs.readFileSync(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'), 'utf8')).toContain('v2: use pdfplumber');
  expect(fs.readFileSync(path.join(ws.companyDir('Beta'), 'pdf', 'SKILL.md'), 'utf8')).toContain('Beta: OCR');
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'pdf', '.DS_Store'))).toBe(true);
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'pdf')).toBe('in-sync');

  // A skill that appears in a company later, copied from an older library version, is caught up too.
  write(path.join(ws.libraryDir, 'later', 'SKILL.md'), skillMd('later', 'v1'));
  const laterV1 = ws.commit('later v1');
  write(path.join(ws.libraryDir, 'later', 'SKILL.md'), skillMd('later', 'v2'));
  ws.commit('later v2');
  expect(laterV1).toMatch(/^[0-9a-f]{40}$/);
  write(path.join(ws.companyDir('Beta'), 'later', 'SKILL.md'), skillMd('later', 'v1'));
  const again = cli(ws, ['sync', '--fix', '--json']);
  expect(stateOf(again.json, 'Beta', 'later')).toBe('behind');
  expect(fs.readFileSync(path.join(ws.companyDir('Beta'), 'later', 'SKILL.md'), 'utf8')).toContain('later: v2');
  fsck(ws.storeDir);
});

it('status names the files that make a skill an override, none of the ignored ones, and a deleted skill as deleted', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const pdf = path.join(ws.companyDir('Beta'), 'pdf');
  fs.appendFileSync(path.join(pdf, 'SKILL.md'), '\nBeta: OCR first.\n');
  write(path.join(pdf, 'notes.md'), 'our notes\n');
  fs.rmSync(path.join(pdf, 'reference.md'));
  litter(path.join(ws.companyDir('Beta'), 'docx'));
  write(path.join(pdf, '.DS_Store'), 'finder');
  fs.chmodSync(path.join(ws.companyDir('Beta'), 'docx', 'SKILL.md'), 0o755);
  fs.rmSync(path.join(ws.companyDir('Beta'), 'notes'), { recursive: true });

  const status = cli(ws, ['status', '--json']);
  const beta = status.json.companies.find((c: any) => c.name === 'Beta');
  const skill = (name: string) => beta.skills.find((s: any) => s.name === name);
  expect(skill('pdf')).toMatchObject({ state: 'override', deleted: false, against: 'base' });
  expect(skill('pdf').files).toEqual([
    { path: 'SKILL.md', change: 'changed' },
    { path: 'notes.md', change: 'added' },
    { path: 'reference.md', change: 'deleted' },
  ]);
  expect(skill('docx')).toMatchObject({ state: 'override', files: [{ path: 'SKILL.md', change: 'mode' }] });
  expect(skill('notes')).toMatchObject({ state: 'override', deleted: true, files: [] });

  const text = cli(ws, ['status', '--company', 'Beta']).stdout;
  expect(text).toMatch(/override\s+pdf\s.*\(changed SKILL.md; added notes.md; deleted reference.md\)/);
  expect(text).toMatch(/override\s+docx\s.*\(mode only: SKILL.md\)/);
  expect(text).toMatch(/override\s+notes\s.*\(deleted by the company\)/);
  expect(text).not.toMatch(/__pycache__|\.DS_Store/);
});

it('merge "file": a skill the merge leaves without files is not the company deleting it, so library additions still arrive', () => {
  const ws = workspace({ merge: 'file' });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // Acme keeps only reference.md of pdf; the library then drops reference.md: nothing is left of pdf at Acme.
  fs.rmSync(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'));
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fs.rmSync(path.join(ws.libraryDir, 'pdf', 'reference.md'));
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'pdf', 'reference.md'))).toBe(false);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(false);
  // A file the library adds later is not one Acme refused: it arrives. SKILL.md, which Acme deleted, stays deleted.
  write(path.join(ws.libraryDir, 'pdf', 'forms.md'), '# Filling forms\n');
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv3\n');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(fs.readFileSync(path.join(ws.companyDir('Acme'), 'pdf', 'forms.md'), 'utf8')).toBe('# Filling forms\n');
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(false);
  fsck(ws.storeDir);
});
