/**
 * One company, several agents' folders: `.claude/skills` for Claude Code and
 * `.agents/skills` for Codex, Cursor and the rest hold one skill set. An edit
 * in either is the company's and reaches the other; different edits are a
 * conflict and nothing is overwritten; symlinked layouts stay as they are; a
 * store made for one folder per company needs no migration.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, fsck, git, historyHas, snapshotFolder, stateOf, tempDir, write } from '../helpers.js';
import { cliAsync, startPlainBackend } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const skillMd = (name: string, body: string) => `---\nname: ${name}\ndescription: "${name}: ${body}"\n---\n\n# ${name}\n\n${body}\n`;
const read = (file: string) => fs.readFileSync(file, 'utf8');
const FOLDERS = ['.claude/skills', '.agents/skills'];

function workspace(opts: { folders?: string[] | null } = {}) {
  const root = tempDir('lsync-folders-');
  const libraryDir = path.join(root, 'library');
  for (const s of ['pdf', 'docx', 'notes']) write(path.join(libraryDir, s, 'SKILL.md'), skillMd(s, `The ${s} skill.`));
  for (const c of ['Acme', 'Beta']) fs.mkdirSync(path.join(root, 'ALAI', c, '.claude', 'skills'), { recursive: true });
  const configFile = path.join(root, 'library.config.json');
  const storeDir = path.join(root, 'store.git');
  const setConfig = (folders: string[] | null) =>
    fs.writeFileSync(configFile, JSON.stringify(folders ? { library: libraryDir, companies: path.join(root, 'ALAI', '*'), folders, store: storeDir } : { library: libraryDir, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: storeDir }));
  setConfig(opts.folders === undefined ? FOLDERS : opts.folders);
  const at = (company: string, folder: string, ...rest: string[]) => path.join(root, 'ALAI', company, ...folder.split('/'), ...rest);
  return { root, libraryDir, configFile, storeDir, at, setConfig };
}

/** Acme's two folders edit pdf differently: the next sync reports a conflict (exit 1) and overwrites neither. */
function makeConflict(ws: ReturnType<typeof workspace>): void {
  fs.appendFileSync(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'), '\nClaude edit.\n');
  fs.appendFileSync(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'), '\nCodex edit.\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(1);
}

it('the first sync fills every folder of every company; a library update reaches both; an edit in .agents/skills reaches .claude/skills and is kept', () => {
  const ws = workspace();
  const first = cli(ws, ['sync', '--fix', '--json']);
  expect(first.code, first.stderr).toBe(0);
  for (const c of ['Acme', 'Beta']) for (const f of FOLDERS) expect(fs.readdirSync(ws.at(c, f)).sort()).toEqual(['docx', 'notes', 'pdf']);

  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  for (const c of ['Acme', 'Beta']) for (const f of FOLDERS) expect(read(ws.at(c, f, 'pdf', 'SKILL.md'))).toContain('v2');

  expect(cli(ws, ['snapshot', 'before-edit']).code).toBe(0);
  // Acme edits docx in its Codex folder: the company's override, in both folders; Beta untouched.
  const beta = snapshotFolder(path.join(ws.root, 'ALAI', 'Beta'));
  fs.appendFileSync(ws.at('Acme', '.agents/skills', 'docx', 'SKILL.md'), '\nAcme: always use the house template.\n');
  // status, which records nothing, explains the override from the folder it was made in.
  expect(cli(ws, ['status']).stdout).toMatch(/override\s+docx .*\(changed SKILL.md\)/);
  const edit = cli(ws, ['sync', '--fix', '--json']);
  expect(edit.code, edit.stderr).toBe(0);
  expect(stateOf(edit.json, 'Acme', 'docx')).toBe('override');
  expect(edit.json.companies.find((c: any) => c.name === 'Acme').applied.copied).toEqual(['docx']);
  expect(read(ws.at('Acme', '.claude/skills', 'docx', 'SKILL.md'))).toContain('house template');
  expect(snapshotFolder(path.join(ws.root, 'ALAI', 'Beta'))).toEqual(beta);
  expect(git(ws.storeDir, ['log', '--format=%B', 'refs/heads/companies/Acme'])).toMatch(/observe Acme: changed docx\n\nCompany-Root: .*\nFolder: \.agents\/skills\n/);

  // A later library update to docx keeps the override in both folders, and reaches Beta.
  fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nlibrary v2\n');
  const later = cli(ws, ['sync', '--fix', '--json']);
  expect(later.code, later.stderr).toBe(0);
  expect(stateOf(later.json, 'Acme', 'docx')).toBe('override-behind');
  for (const f of FOLDERS) {
    expect(read(ws.at('Acme', f, 'docx', 'SKILL.md'))).toContain('house template');
    expect(read(ws.at('Beta', f, 'docx', 'SKILL.md'))).toContain('library v2');
  }
  // A rollback puts the snapshot's docx back in both folders.
  const back = cli(ws, ['rollback', 'before-edit', '--company', 'Acme', '--skill', 'docx']);
  expect(back.code, back.stderr + back.stdout).toBe(0);
  for (const f of FOLDERS) expect(read(ws.at('Acme', f, 'docx', 'SKILL.md'))).not.toContain('house template');
  // A deletion in one folder is the company's deletion, in both.
  fs.rmSync(ws.at('Acme', '.claude/skills', 'notes'), { recursive: true });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(fs.existsSync(ws.at('Acme', '.agents/skills', 'notes'))).toBe(false);
  expect(fs.existsSync(ws.at('Beta', '.agents/skills', 'notes'))).toBe(true);
  fsck(ws.storeDir);
});

it('a copy in one folder whose file names are spelled in another Unicode form is that version: in sync, never rewritten', () => {
  const ws = workspace();
  const nfd = 're\u0301sume\u0301.md';
  const nfc = nfd.normalize('NFC');
  write(path.join(ws.libraryDir, 'pdf', nfd), '# Résumé\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // An app re-saves the file in the Codex folder: same content, its name now NFC (on a Mac, the same file).
  const pdf = ws.at('Acme', '.agents/skills', 'pdf');
  fs.renameSync(path.join(pdf, nfd), path.join(pdf, nfc));
  const folder = fs.statSync(pdf).ino;
  for (let run = 0; run < 2; run++) {
    const sync = cli(ws, ['sync', '--fix', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(stateOf(sync.json, 'Acme', 'pdf')).toBe('in-sync');
    expect(JSON.stringify(sync.json.companies.find((c: any) => c.name === 'Acme').applied)).not.toMatch(/pdf/);
    // Not swapped for the library's spelling: the same folder, the name as the app wrote it.
    expect({ ino: fs.statSync(pdf).ino, names: fs.readdirSync(pdf).sort() }).toEqual({ ino: folder, names: ['SKILL.md', nfc].sort() });
  }
  fsck(ws.storeDir);
});

it('two different edits of one skill in two folders: both kept, conflict in status and --json, status --check fails; push resolves it', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fs.appendFileSync(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'), '\nClaude edit.\n');
  fs.appendFileSync(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'), '\nCodex edit.\n');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code).toBe(1);
  expect(stateOf(sync.json, 'Acme', 'pdf')).toBe('conflict');
  expect(read(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'))).toContain('Claude edit.');
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).toContain('Codex edit.');
  const status = cli(ws, ['status']);
  expect(status.stdout).toMatch(/conflict\s+pdf/);
  expect(status.stdout).toMatch(/library push pdf --company Acme/);
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'pdf')).toBe('conflict');
  expect(cli(ws, ['status', '--check']).code).toBe(1);
  // Both edits are in the store's history.
  const history = git(ws.storeDir, ['log', '-p', 'refs/folders/Acme']);
  expect(history).toContain('Claude edit.');
  expect(history).toContain('Codex edit.');

  const push = cli(ws, ['push', 'pdf', '--company', 'Acme']);
  expect(push.code, push.stderr + push.stdout).toBe(0);
  for (const f of FOLDERS) expect(read(ws.at('Acme', f, 'pdf', 'SKILL.md'))).not.toMatch(/edit\./);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(cli(ws, ['status', '--check']).code).toBe(0);
  fsck(ws.storeDir);
});

it('a push that ends a conflict says (was conflict), records each folder\'s edit in the company\'s history, and its printed undo brings both back', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  makeConflict(ws); // the conflict: nothing overwritten

  const push = cli(ws, ['push', 'pdf', '--company', 'Acme']);
  expect(push.code, push.stderr + push.stdout).toBe(0);
  expect(push.stdout).toMatch(/^ {2}in-sync +pdf +\(was conflict\)$/m);
  for (const f of FOLDERS) expect(read(ws.at('Acme', f, 'pdf', 'SKILL.md'))).not.toMatch(/edit\./);
  // Each folder's replaced version is in the company's own history.
  expect(historyHas(ws.storeDir, 'Acme', 'pdf/SKILL.md', 'Claude edit.')).toBe(true);
  expect(historyHas(ws.storeDir, 'Acme', 'pdf/SKILL.md', 'Codex edit.')).toBe(true);

  // The undo it printed, run as printed: each folder gets its own edit back, the conflict is open again.
  const undo = /to undo: `library ([^`]+)`/.exec(push.stdout)?.[1];
  expect(undo, push.stdout).toBeDefined();
  const back = cli(ws, undo!.split(' '));
  expect(back.code, back.stderr + back.stdout).toBe(0);
  expect(read(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'))).toContain('Claude edit.');
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).toContain('Codex edit.');
  const again = cli(ws, ['sync', '--fix', '--json']);
  expect(again.code).toBe(1);
  expect(stateOf(again.json, 'Acme', 'pdf')).toBe('conflict');
  expect(read(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'))).not.toContain('Codex edit.');
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).not.toContain('Claude edit.');
  fsck(ws.storeDir);
});

it("a rollback over a conflict whose agreed version is the snapshot's replaces both folders (was: nothing to do), each edit on the company's history, its undo brings both back", () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(cli(ws, ['snapshot', 'before-edits']).code).toBe(0);
  makeConflict(ws); // the conflict: nothing overwritten

  // The version the company last agreed on is the snapshot's: the folders' two edits are still what a rollback replaces.
  const plan = cli(ws, ['rollback', 'before-edits', '--company', 'Acme', '--skill', 'pdf', '--dry-run']);
  expect(plan.stdout).toMatch(/^ {2}replaced +pdf +→ in-sync {2}\(was conflict\)$/m);
  const back = cli(ws, ['rollback', 'before-edits', '--company', 'Acme', '--skill', 'pdf']);
  expect(back.code, back.stderr + back.stdout).toBe(0);
  for (const f of FOLDERS) expect(read(ws.at('Acme', f, 'pdf', 'SKILL.md'))).not.toMatch(/edit\./);
  // As a push over a conflict does: `git log companies/Acme` shows both replaced edits, not only refs/folders/Acme.
  expect(historyHas(ws.storeDir, 'Acme', 'pdf/SKILL.md', 'Claude edit.')).toBe(true);
  expect(historyHas(ws.storeDir, 'Acme', 'pdf/SKILL.md', 'Codex edit.')).toBe(true);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(cli(ws, ['status', '--check']).code).toBe(0);

  // Its printed undo gives each folder its own edit back: the conflict is open again.
  const undo = /to undo: `library ([^`]+)`/.exec(back.stdout)?.[1];
  expect(undo, back.stdout).toBeDefined();
  expect(cli(ws, undo!.split(' ')).code).toBe(0);
  expect(read(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'))).toContain('Claude edit.');
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).toContain('Codex edit.');
  expect(stateOf(cli(ws, ['sync', '--fix', '--json']).json, 'Acme', 'pdf')).toBe('conflict');
  fsck(ws.storeDir);
});

it("a rollback to a snapshot the company still matches leaves a company-only skill's different copies and a folder still to fill alone", () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // A company-only skill, one version in each folder: they stay where they are, never copied (SPEC, several folders).
  write(ws.at('Acme', '.claude/skills', 'mine', 'SKILL.md'), skillMd('mine', 'Claude copy.'));
  write(ws.at('Acme', '.agents/skills', 'mine', 'SKILL.md'), skillMd('mine', 'Codex copy.'));
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(cli(ws, ['snapshot', 'now']).code).toBe(0);
  // A third folder, listed but not made yet: the next sync fills it, not a rollback.
  ws.setConfig([...FOLDERS, '.gemini/skills']);
  const plan = cli(ws, ['rollback', 'now', '--company', 'Acme', '--dry-run']);
  expect(plan.stdout).toMatch(/Acme: already as in snapshot\/now/);
  const back = cli(ws, ['rollback', 'now', '--company', 'Acme']);
  expect(back.code, back.stderr + back.stdout).toBe(0);
  expect(back.stdout).toMatch(/Acme: already as in snapshot\/now/);
  expect(read(ws.at('Acme', '.claude/skills', 'mine', 'SKILL.md'))).toContain('Claude copy.');
  expect(read(ws.at('Acme', '.agents/skills', 'mine', 'SKILL.md'))).toContain('Codex copy.');
  expect(cli(ws, ['status']).stdout).not.toMatch(/rolled back/);
});

it('export keeps each folder\'s record (both sides of a conflict); import gives it back (same tree id), and a rollback to the import restores each side', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  makeConflict(ws); // the conflict: nothing overwritten
  expect(cli(ws, ['snapshot', 'with-conflict']).code).toBe(0);
  const archive = path.join(tempDir('lsync-export-'), 'with-conflict.tar.gz');
  expect(cli(ws, ['export', 'with-conflict', '-o', archive]).code).toBe(0);
  const unpacked = tempDir('lsync-unpacked-');
  execFileSync('tar', ['-xzf', archive, '-C', unpacked]);
  expect(read(path.join(unpacked, 'folders', 'Acme', '.claude%2Fskills', 'pdf', 'SKILL.md'))).toContain('Claude edit.');
  expect(read(path.join(unpacked, 'folders', 'Acme', '.agents%2Fskills', 'pdf', 'SKILL.md'))).toContain('Codex edit.');

  const imported = cli(ws, ['import', archive, '--name', 'copy']);
  expect(imported.code, imported.stderr).toBe(0);
  const tree = (t: string) => git(ws.storeDir, ['rev-parse', `${t}^{tree}`]).trim();
  expect(tree('snapshot/copy')).toBe(tree('snapshot/with-conflict'));

  // Both edits replaced, then the imported snapshot gives each folder its own back.
  expect(cli(ws, ['push', 'pdf', '--company', 'Acme']).code).toBe(0);
  const back = cli(ws, ['rollback', 'copy', '--company', 'Acme', '--skill', 'pdf']);
  expect(back.code, back.stderr + back.stdout).toBe(0);
  expect(read(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'))).toContain('Claude edit.');
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).toContain('Codex edit.');

  // A record that is not an encoded folder key (here one that would decode to a climbing path) refuses the import.
  fs.renameSync(path.join(unpacked, 'folders', 'Acme', '.agents%2Fskills'), path.join(unpacked, 'folders', 'Acme', '..%2Fskills'));
  const refs = git(ws.storeDir, ['for-each-ref']);
  const bad = cli(ws, ['import', unpacked, '--name', 'bad']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/is not a folder record/);
  // A `folders` that is a file is refused too, not passed over with its records.
  fs.rmSync(path.join(unpacked, 'folders'), { recursive: true });
  fs.writeFileSync(path.join(unpacked, 'folders'), 'x\n');
  const notFolder = cli(ws, ['import', unpacked, '--name', 'bad']);
  expect(notFolder.code).toBe(2);
  expect(notFolder.stderr).toMatch(/folders is not a folder/);
  expect(git(ws.storeDir, ['for-each-ref'])).toBe(refs);
  fsck(ws.storeDir);
});

it('forge-sync sends each company\'s folder record too: both sides of a conflict are in the remote\'s history, under this host', async () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  makeConflict(ws); // the conflict: nothing overwritten
  const receiver = path.join(tempDir('lsync-folders-forge-'), 'forge.git');
  execFileSync('git', ['init', '-q', '--bare', receiver]);
  execFileSync('git', ['--git-dir', receiver, 'config', 'receive.fsckObjects', 'true']);
  const backend = await startPlainBackend(receiver);
  try {
    const sent = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    const there = git(receiver, ['for-each-ref', '--format=%(refname)', 'refs/hosts/']).trim().split('\n').filter((r) => r.includes('/folders/'));
    expect(there.map((r) => r.replace(/^refs\/hosts\/[^/]+\//, ''))).toEqual(['folders/Acme', 'folders/Beta']);
    const acme = there.find((r) => r.endsWith('/Acme'))!;
    expect(git(receiver, ['rev-parse', acme]).trim()).toBe(git(ws.storeDir, ['rev-parse', 'refs/folders/Acme']).trim());
    const history = git(receiver, ['log', '-p', acme]);
    expect(history).toContain('Claude edit.');
    expect(history).toContain('Codex edit.');
    fsck(receiver);
  } finally {
    await backend.close();
  }
});

it('.agents/skills as a symlink to .claude/skills stays a symlink, written once; the npx skills per-skill link stays, its target updated', () => {
  const ws = workspace();
  fs.mkdirSync(path.join(ws.root, 'ALAI', 'Acme', '.agents'), { recursive: true });
  fs.symlinkSync('../.claude/skills', ws.at('Acme', '.agents/skills'));
  // Beta: the layout `npx skills add` makes: the copy in .agents/skills, a link to it in .claude/skills.
  write(ws.at('Beta', '.agents/skills', 'pdf', 'SKILL.md'), skillMd('pdf', 'The pdf skill.'));
  fs.symlinkSync('../../.agents/skills/pdf', ws.at('Beta', '.claude/skills', 'pdf'));
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr + sync.stdout).toBe(0);
  expect(fs.lstatSync(ws.at('Acme', '.agents/skills')).isSymbolicLink()).toBe(true);
  expect(fs.readdirSync(ws.at('Acme', '.claude/skills')).sort()).toEqual(['docx', 'notes', 'pdf']);
  expect(fs.lstatSync(ws.at('Beta', '.claude/skills', 'pdf')).isSymbolicLink()).toBe(true);

  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  const update = cli(ws, ['sync', '--fix', '--json']);
  expect(update.code, update.stderr).toBe(0);
  expect(fs.lstatSync(ws.at('Acme', '.agents/skills')).isSymbolicLink()).toBe(true);
  expect(read(ws.at('Acme', '.agents/skills', 'pdf', 'SKILL.md'))).toContain('v2');
  expect(fs.lstatSync(ws.at('Beta', '.claude/skills', 'pdf')).isSymbolicLink()).toBe(true);
  expect(read(ws.at('Beta', '.claude/skills', 'pdf', 'SKILL.md'))).toContain('v2');
  expect(update.json.companies.find((c: any) => c.name === 'Acme').applied.updated).toEqual(['pdf']);
  fsck(ws.storeDir);
});

it('a store and config made for one folder per company sync unchanged; adding folders later keeps every recorded override', () => {
  const ws = workspace({ folders: null });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fs.appendFileSync(ws.at('Acme', '.claude/skills', 'pdf', 'SKILL.md'), '\nAcme override.\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const refs = git(ws.storeDir, ['for-each-ref', '--format=%(refname) %(objectname)']);
  // The same config again: nothing to do, nothing written.
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(git(ws.storeDir, ['for-each-ref', '--format=%(refname) %(objectname)'])).toBe(refs);

  ws.setConfig(FOLDERS);
  const added = cli(ws, ['sync', '--fix', '--json']);
  expect(added.code, added.stderr).toBe(0);
  expect(stateOf(added.json, 'Acme', 'pdf')).toBe('override');
  for (const f of FOLDERS) expect(read(ws.at('Acme', f, 'pdf', 'SKILL.md'))).toContain('Acme override.');
  expect(read(ws.at('Beta', '.agents/skills', 'pdf', 'SKILL.md'))).not.toContain('Acme override.');
  expect(git(ws.storeDir, ['log', '--format=%s', 'refs/heads/companies/Acme'])).not.toMatch(/removed/);
  fsck(ws.storeDir);
});

it('forget removes a company kept in several folders whole: its folder record and every folder\'s stat cache', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const caches = () => fs.readdirSync(path.join(ws.storeDir, 'library-sync', 'cache')).filter((f) => f.startsWith('company-')).sort();
  expect(caches().filter((f) => f.startsWith('company-Acme'))).toHaveLength(2);
  fs.rmSync(path.join(ws.root, 'ALAI', 'Acme'), { recursive: true });
  const res = cli(ws, ['forget', 'Acme', '--json']);
  expect(res.code, res.stderr).toBe(0);
  expect(res.json.removed).toContain('refs/folders/Acme');
  expect(caches().filter((f) => f.startsWith('company-Acme'))).toEqual([]);
  expect(caches().filter((f) => f.startsWith('company-Beta'))).toHaveLength(2);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  fsck(ws.storeDir);
});

it('library init --agents writes the folders of the agents named', () => {
  const root = tempDir('lsync-init-');
  fs.mkdirSync(path.join(root, 'library'));
  fs.mkdirSync(path.join(root, 'ALAI', 'Acme'), { recursive: true });
  const configFile = path.join(root, 'c.json');
  const res = cli(null, ['--config', configFile, 'init', '--library', path.join(root, 'library'), '--companies', path.join(root, 'ALAI', '*'), '--agents', 'claude,codex,cursor', '--store', path.join(root, 's.git')]);
  expect(res.code, res.stderr).toBe(0);
  expect(JSON.parse(read(configFile)).folders).toEqual(['.claude/skills', '.agents/skills']);
  const bad = cli(null, ['--config', path.join(root, 'd.json'), 'init', '--library', 'x', '--companies', 'y/*', '--agents', 'vim']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/unknown agent "vim": known agents are claude, codex/);
});
