/**
 * Nothing the scan skipped is ever deleted, and nothing it could not read is
 * recorded as absent: a skill that is a git clone keeps its `.git`; git's
 * reserved names never reach the store (native git judges it, with fsck and a
 * receiver that checks objects); a skill blocked for a run stays in history,
 * snapshots and rollbacks; a submodule in a git library is distributed; a
 * name spelled in another Unicode form is the same name.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hostRefName } from '../../src/remote/resolve.js';
import { cleanupTempDirs, cli, fsck, git, snapshotFolder, stateOf, tempDir, write } from '../helpers.js';
import { cliAsync, startPlainBackend } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const skillMd = (name: string, body: string) => `---\nname: ${name}\ndescription: "${name}: ${body}"\n---\n\n# ${name}\n\n${body}\n`;
const gitIn = (dir: string, args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

function workspace(libraryInGit = false) {
  const root = tempDir('lsync-unrec-');
  const libraryDir = path.join(root, 'library', 'skills');
  for (const s of ['cloned', 'pdf', 'notes']) write(path.join(libraryDir, s, 'SKILL.md'), skillMd(s, `The ${s} skill.`));
  write(path.join(libraryDir, 'pdf', 'reference.md'), '# PDF reference\n');
  const companyDir = (name: string) => path.join(root, 'ALAI', name, '.claude', 'skills');
  for (const c of ['Acme', 'Beta']) fs.mkdirSync(companyDir(c), { recursive: true });
  const configFile = path.join(root, 'library.config.json');
  const storeDir = path.join(root, 'store.git');
  fs.writeFileSync(configFile, JSON.stringify({ library: libraryDir, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: storeDir }));
  const repo = path.dirname(libraryDir);
  const commit = (message: string) => {
    gitIn(repo, ['add', '-A']);
    gitIn(repo, ['commit', '-qm', message]);
  };
  if (libraryInGit) {
    gitIn(root, ['init', '-q', repo]);
    commit('v1');
  }
  return { root, libraryDir, companyDir, configFile, storeDir, repo, commit };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');
/** Everything under a folder's .git, byte for byte: history, stashes, branches. */
const dotGit = (skillDir: string) => snapshotFolder(path.join(skillDir, '.git'));

it("a skill that is a git clone keeps its .git and history through a library update, a push and a library deletion", () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const cloned = path.join(ws.companyDir('Acme'), 'cloned');
  gitIn(cloned, ['init', '-q']);
  gitIn(cloned, ['add', '-A']);
  gitIn(cloned, ['commit', '-qm', 'my clone']);
  fs.writeFileSync(path.join(cloned, '.git', 'local-stash-marker'), 'work nobody else has');
  const head = gitIn(cloned, ['rev-parse', 'HEAD']).trim();
  const before = dotGit(cloned);
  const status = cli(ws, ['status', '--json']);
  expect(stateOf(status.json, 'Acme', 'cloned')).toBe('git-checkout');
  expect(cli(ws, ['status']).stdout).toMatch(/git-checkout\s+cloned .*git checkout.*library push cloned --company Acme --force/);

  // A library update reaches Beta; Acme's checkout is left as it is, .git and all.
  fs.appendFileSync(path.join(ws.libraryDir, 'cloned', 'SKILL.md'), '\nv2 of the library.\n');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(read(path.join(ws.companyDir('Beta'), 'cloned', 'SKILL.md'))).toContain('v2 of the library.');
  expect(read(path.join(cloned, 'SKILL.md'))).not.toContain('v2 of the library.');
  expect(dotGit(cloned)).toEqual(before);
  expect(stateOf(sync.json, 'Acme', 'cloned')).toBe('git-checkout');

  // push refuses it without --force, and writes nothing there.
  const refused = cli(ws, ['push', 'cloned', '--company', 'Acme']);
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toMatch(/cloned is a git checkout.*--force/);
  expect(read(path.join(cloned, 'SKILL.md'))).not.toContain('v2 of the library.');
  // With --force the library's files go in, and the .git stays: the checkout now shows the push as a local change.
  const forced = cli(ws, ['push', 'cloned', '--company', 'Acme', '--force']);
  expect(forced.code, forced.stderr + forced.stdout).toBe(0);
  expect(forced.stdout).toMatch(/in-sync\s+cloned\s+\(was git-checkout\)/); // what it was, not "override"
  expect(read(path.join(cloned, 'SKILL.md'))).toContain('v2 of the library.');
  expect(dotGit(cloned)).toEqual(before);
  expect(gitIn(cloned, ['rev-parse', 'HEAD']).trim()).toBe(head);
  expect(gitIn(cloned, ['status', '--porcelain'])).toMatch(/M SKILL.md/);

  // A library deletion never deletes a checkout.
  fs.rmSync(path.join(ws.libraryDir, 'cloned'), { recursive: true });
  const removed = cli(ws, ['sync', '--fix', '--json']);
  expect(removed.code, removed.stderr).toBe(0);
  expect(fs.existsSync(path.join(ws.companyDir('Beta'), 'cloned'))).toBe(false);
  expect(dotGit(cloned)).toEqual(before);
  expect(read(path.join(cloned, 'SKILL.md'))).toContain('v2 of the library.');
  fsck(ws.storeDir);
});

it('a .git deeper inside a skill is carried through an update and a removal, never deleted', () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const vendored = path.join(ws.companyDir('Acme'), 'pdf', 'vendor', 'lib');
  write(path.join(vendored, 'lib.py'), 'x = 1\n');
  gitIn(vendored, ['init', '-q']);
  // The company's vendored folder makes pdf an override; drop it from the comparison by writing the same files the library has.
  fs.rmSync(path.join(vendored, 'lib.py'));
  const before = snapshotFolder(path.join(vendored, '.git'));
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'pdf')).toBe('in-sync');
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(read(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'))).toContain('v2');
  expect(snapshotFolder(path.join(vendored, '.git'))).toEqual(before);
  fs.rmSync(path.join(ws.libraryDir, 'pdf'), { recursive: true });
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'))).toBe(false);
  expect(snapshotFolder(path.join(vendored, '.git'))).toEqual(before);
  fsck(ws.storeDir);
});

/** A FIFO and a Unix socket, as a dev server or a crashed tool leaves them. */
function specialFiles(dir: string): void {
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
  execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path.join(dir, 'sock')]);
}

it('a skill blocked for a run is not absent: every special file named at once, no "removed" in history, snapshots hold it, rollback keeps it', () => {
  const ws = workspace();
  fs.writeFileSync(ws.configFile, JSON.stringify({ ...JSON.parse(read(ws.configFile)), safety: { maxFileBytes: 100_000 } }));
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const pdf = path.join(ws.companyDir('Acme'), 'pdf');
  specialFiles(pdf);
  fs.writeFileSync(path.join(pdf, 'big.bin'), Buffer.alloc(200_000));
  // A library skill blocked the same way: its last version stays in the library's history.
  fs.writeFileSync(path.join(ws.libraryDir, 'notes', 'big.bin'), Buffer.alloc(200_000));

  const blocked = cli(ws, ['sync', '--fix']);
  expect(blocked.code).toBe(1);
  const said = blocked.stdout + blocked.stderr;
  for (const f of ['pipe', 'sock', 'big.bin']) expect(said).toContain(path.join(pdf, f));
  expect(said).toMatch(/named pipe/);
  expect(said).toMatch(/socket/);
  const log = git(ws.storeDir, ['log', '--format=%s', 'refs/heads/companies/Acme']) + git(ws.storeDir, ['log', '--format=%s', 'refs/heads/library']);
  expect(log).not.toMatch(/removed/);
  expect(git(ws.storeDir, ['ls-tree', '--name-only', 'refs/heads/companies/Acme'])).toContain('pdf');
  expect(git(ws.storeDir, ['ls-tree', '--name-only', 'refs/heads/library'])).toContain('notes');
  // Beta still has notes: a blocked library skill is never removed from companies.
  expect(fs.existsSync(path.join(ws.companyDir('Beta'), 'notes', 'SKILL.md'))).toBe(true);

  // A rollback to a snapshot without pdf, while pdf cannot be read: pdf is skipped and the output says why.
  const early = cli(ws, ['rollback', 'pre-first-run', '--company', 'Acme', '--force']);
  expect(early.stdout + early.stderr).toMatch(/pdf/);
  expect(fs.existsSync(path.join(pdf, 'SKILL.md'))).toBe(true);

  // A snapshot taken now holds pdf; once readable again and edited, a rollback to that snapshot keeps pdf on disk.
  expect(cli(ws, ['snapshot', 'while-blocked']).code).toBe(0);
  expect(git(ws.storeDir, ['ls-tree', '-r', '--name-only', 'snapshot/while-blocked'])).toMatch(/companies\/Acme\/pdf\/SKILL.md/);
  for (const f of ['pipe', 'sock', 'big.bin']) fs.rmSync(path.join(pdf, f));
  fs.appendFileSync(path.join(pdf, 'SKILL.md'), '\nA later company edit.\n');
  const back = cli(ws, ['rollback', 'while-blocked', '--company', 'Acme', '--force']);
  expect(back.code, back.stderr).toBe(0);
  expect(fs.existsSync(path.join(pdf, 'SKILL.md'))).toBe(true);
  expect(read(path.join(pdf, 'SKILL.md'))).not.toContain('A later company edit.');
  expect(git(ws.storeDir, ['log', '-p', 'refs/heads/companies/Acme', '--', 'pdf/SKILL.md'])).toContain('A later company edit.');
  fsck(ws.storeDir);
});

/** A bare repository that checks every object it receives, as GitHub, Gitea and `library serve` do. */
function checkingReceiver(): string {
  const dir = path.join(tempDir('lsync-recv-'), 'forge.git');
  execFileSync('git', ['init', '-q', '--bare', dir]);
  execFileSync('git', ['--git-dir', dir, 'config', 'receive.fsckObjects', 'true']);
  return dir;
}

/** What an older version recorded: a commit on `ref` whose `skill` holds `name/config`, made with native git's plumbing. */
function recordReservedName(storeDir: string, ref: string, skill: string, name: string): void {
  const g = (args: string[], input?: string) => execFileSync('git', ['--git-dir', storeDir, ...args], { encoding: 'utf8', input }).trim();
  const blob = g(['hash-object', '-w', '--stdin'], '[core]\n\tbare = false\n');
  const inner = g(['mktree'], `100644 blob ${blob}\tconfig\n`);
  const skillTree = g(['mktree'], `${g(['ls-tree', `${ref}:${skill}`])}\n040000 tree ${inner}\t${name}\n`);
  const root = g(['mktree'], `${g(['ls-tree', ref]).split('\n').filter((l) => !l.endsWith(`\t${skill}`)).join('\n')}\n040000 tree ${skillTree}\t${skill}\n`);
  const commit = g(['commit-tree', root, '-p', ref, '-m', `observe: changed ${skill}`]);
  g(['update-ref', ref, commit]);
}

it("git's reserved names never reach the store: fsck, git archive and a checking receiver accept it; an old store is found by doctor and mended by doctor --repair", async () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const pdf = path.join(ws.companyDir('Acme'), 'pdf');
  const spellings = ['.GIT', '.git.', '.g\u200cit', 'git~1', 'backup\\.git']; // a backslash is a folder separator to Windows, so to fsck
  for (const s of spellings) write(path.join(pdf, s, 'config'), `[core] ${s}\n`);
  write(path.join(ws.libraryDir, 'notes', '.git.', 'HEAD'), 'ref: refs/heads/main\n');

  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code).toBe(1); // the library's notes is blocked
  expect(sync.json.library.problems.map((p: any) => p.message).join('\n')).toMatch(/notes\/\.git\.: "\.git\." is a name git refuses/);
  expect(stateOf(sync.json, 'Acme', 'pdf')).toBe('in-sync');
  fsck(ws.storeDir);
  execFileSync('git', ['--git-dir', ws.storeDir, 'archive', '-o', path.join(ws.root, 'acme.tar'), 'refs/heads/companies/Acme']);

  // A library update to pdf reaches Acme and carries every reserved folder along.
  const before = snapshotFolder(pdf);
  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(1);
  expect(read(path.join(pdf, 'SKILL.md'))).toContain('v2');
  for (const s of spellings) expect(snapshotFolder(path.join(pdf, s))).toEqual({ config: before[`${s}/config`] });

  const receiver = checkingReceiver();
  const backend = await startPlainBackend(receiver);
  try {
    const sent = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    fsck(receiver);

    // A store an older version wrote, with a reserved name in Acme's history.
    recordReservedName(ws.storeDir, 'refs/heads/companies/Acme', 'pdf', '.GIT');
    const doctor = cli(ws, ['doctor', '--json']);
    const finding = doctor.json.checks.find((c: any) => c.check === 'store' && !c.ok);
    expect(finding.message).toMatch(/refs\/heads\/companies\/Acme holds pdf\/\.GIT: a name git refuses/);
    expect(finding.fix).toMatch(/doctor --repair/);

    const refused = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json.remotes[0].error).toMatch(/refs\/heads\/companies\/Acme cannot be sent: its history holds pdf\/\.GIT is a name git refuses.*library doctor --repair/);

    const repair = cli(ws, ['doctor', '--repair']);
    expect(repair.stdout).toMatch(/refs\/heads\/companies\/Acme: rewritten .*\n.*kept without pdf\/\.GIT \(entries git refuses\)/);
    expect(cli(ws, ['doctor', '--json']).json.checks.filter((c: any) => c.check === 'store' && !c.ok)).toEqual([]);
    fsck(ws.storeDir);
    expect(git(ws.storeDir, ['log', '--all', '--format=', '--name-only'])).not.toMatch(/\.GIT/);
    const again = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(again.code, again.stderr + JSON.stringify(again.json)).toBe(0);
    fsck(receiver);
  } finally {
    await backend.close();
  }
});

/** What an older version recorded: a commit on `ref` whose `skill` holds a file `name` with `content`. */
function recordFile(storeDir: string, ref: string, skill: string, name: string, content: string): void {
  const g = (args: string[], input?: string) => execFileSync('git', ['--git-dir', storeDir, ...args], { encoding: 'utf8', input }).trim();
  const blob = g(['hash-object', '-w', '--stdin'], content);
  const skillTree = g(['mktree'], `${g(['ls-tree', `${ref}:${skill}`])}\n100644 blob ${blob}\t${name}\n`);
  const root = g(['mktree'], `${g(['ls-tree', ref]).split('\n').filter((l) => !l.endsWith(`\t${skill}`)).join('\n')}\n040000 tree ${skillTree}\t${skill}\n`);
  g(['update-ref', ref, g(['commit-tree', root, '-p', ref, '-m', `observe: changed ${skill}`])]);
}

it('a .gitmodules git refuses never reaches the store: its skill is blocked, named; an old store holding one is found by doctor, forge-sync sends every other ref, doctor --repair mends it', async () => {
  const ws = workspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const bad = '[submodule "vendor"]\n\tpath = vendor\n\turl = -oProxyCommand=touch /tmp/owned\n';
  write(path.join(ws.companyDir('Acme'), 'pdf', '.gitmodules'), bad);
  write(path.join(ws.companyDir('Beta'), 'pdf', '.gitmodules'), '[submodule "vendor"]\n\tpath = vendor\n\turl = https://github.com/example/vendor.git\n');

  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code).toBe(1); // needs attention: Acme's pdf is blocked
  expect(JSON.stringify(sync.json)).toMatch(/Acme\/\.claude\/skills\/pdf\/\.gitmodules: git refuses this \.gitmodules \(disallowed submodule url: \\"-oProxyCommand=touch \/tmp\/owned\\"\)/);
  expect(stateOf(sync.json, 'Beta', 'pdf')).toBe('override'); // a .gitmodules git accepts is content like any other
  fsck(ws.storeDir);
  expect(read(path.join(ws.companyDir('Acme'), 'pdf', '.gitmodules'))).toBe(bad); // blocked: nothing in it touched

  // A store an older version wrote, with that file in Acme's history.
  recordFile(ws.storeDir, 'refs/heads/companies/Acme', 'pdf', '.gitmodules', bad);
  const finding = cli(ws, ['doctor', '--json']).json.checks.find((c: any) => c.check === 'store' && !c.ok);
  expect(finding.message).toMatch(/refs\/heads\/companies\/Acme holds pdf\/\.gitmodules: a \.gitmodules git refuses \(disallowed submodule url/);

  const receiver = checkingReceiver();
  const backend = await startPlainBackend(receiver);
  try {
    const sent = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(sent.code).toBe(1);
    const errors = sent.json.remotes[0].refused.map((r: any) => r.reason).join('\n');
    expect(errors).toMatch(/refs\/heads\/companies\/Acme cannot be sent: its history holds pdf\/\.gitmodules is a \.gitmodules git refuses/);
    // Every other ref went: one company's old history stops no other.
    expect(git(receiver, ['for-each-ref', '--format=%(refname)'])).toMatch(/companies\/Beta/);
    fsck(receiver);

    expect(cli(ws, ['doctor', '--repair']).stdout).toMatch(/refs\/heads\/companies\/Acme: rewritten .*\n.*kept without pdf\/\.gitmodules \(entries git refuses\)/);
    fsck(ws.storeDir);
    const again = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
    expect(again.code, again.stderr + JSON.stringify(again.json)).toBe(0);
    fsck(receiver);
  } finally {
    await backend.close();
  }
});

it('a git library whose skill holds a .gitmodules git refuses: that skill is not distributed, named by validate and sync, and the store stays clean', () => {
  const ws = workspace(true);
  write(path.join(ws.libraryDir, 'notes', '.gitmodules'), '[submodule "../../escape"]\n\tpath = x\n\turl = https://example.com/x.git\n');
  ws.commit('notes vendors a submodule with a name that climbs out');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code).toBe(1);
  expect(JSON.stringify(sync.json)).toMatch(/notes\/\.gitmodules: git refuses it as \.gitmodules \(disallowed submodule name: \\"\.\.\/\.\.\/escape\\"\)/);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'notes'))).toBe(false);
  expect(read(path.join(ws.companyDir('Acme'), 'pdf', 'SKILL.md'))).toContain('The pdf skill.'); // the others go out
  expect(cli(ws, ['validate']).stdout).toMatch(/gitmodules-refused/);
  fsck(ws.storeDir);
});

it('a skill vendored with `git submodule add` reaches every company; with its module gone, sync exits 1 naming it and status --check fails', () => {
  const ws = workspace(true);
  const upstream = path.join(ws.root, 'vendored-src');
  write(path.join(upstream, 'SKILL.md'), skillMd('vendored', 'A skill from another repository.'));
  write(path.join(upstream, 'scripts', 'run.py'), 'print("vendored")\n');
  gitIn(ws.root, ['init', '-q', upstream]);
  gitIn(upstream, ['add', '-A']);
  gitIn(upstream, ['commit', '-qm', 'upstream v1']);
  gitIn(ws.repo, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', upstream, 'skills/vendored']);
  ws.commit('vendor a skill');

  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(sync.json.library.skills).toContain('vendored');
  expect(sync.json.library.uncommitted).toEqual([]);
  for (const c of ['Acme', 'Beta']) expect(read(path.join(ws.companyDir(c), 'vendored', 'scripts', 'run.py'))).toBe('print("vendored")\n');
  expect(cli(ws, ['status', '--check']).code).toBe(0);
  fsck(ws.storeDir);

  // A clone without the submodule's objects: blocked, named with the fix, never removed from the companies.
  fs.rmSync(path.join(ws.repo, '.git', 'modules'), { recursive: true });
  const blocked = cli(ws, ['sync', '--fix']);
  expect(blocked.code).toBe(1);
  expect(blocked.stdout + blocked.stderr).toMatch(/vendored is a git submodule whose commit [0-9a-f]{7} is not in this clone: run `git -C .* submodule update --init skills\/vendored`/);
  expect(blocked.stdout).not.toMatch(/uncommitted/);
  expect(fs.existsSync(path.join(ws.companyDir('Acme'), 'vendored', 'SKILL.md'))).toBe(true);
  const check = cli(ws, ['status', '--check']);
  expect(check.code).toBe(1);
  expect(check.stdout).toMatch(/vendored/);
  const validate = cli(ws, ['validate']);
  expect(validate.code).toBe(1);
  expect(validate.stdout).toMatch(/vendored.*submodule update --init skills\/vendored/);
  expect(git(ws.storeDir, ['log', '--format=%s', 'refs/heads/library'])).not.toMatch(/removed/);
});

it('a copy whose file names are spelled in another Unicode form (NFC for NFD) is in sync, and the next library update reaches it', () => {
  const ws = workspace();
  const nfd = 're\u0301sume\u0301.md';
  const nfc = nfd.normalize('NFC');
  expect(nfc).not.toBe(nfd);
  write(path.join(ws.libraryDir, 'pdf', nfd), '# Résumé\n');
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // An app re-saves the file: same content, its name now NFC (on a Mac, the same file).
  const pdf = path.join(ws.companyDir('Acme'), 'pdf');
  fs.renameSync(path.join(pdf, nfd), path.join(pdf, nfc));
  expect(stateOf(cli(ws, ['status', '--json']).json, 'Acme', 'pdf')).toBe('in-sync');

  fs.appendFileSync(path.join(ws.libraryDir, 'pdf', 'SKILL.md'), '\nv2\n');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(sync.json.companies.find((c: any) => c.name === 'Acme').applied.updated).toEqual(['pdf']);
  expect(read(path.join(pdf, 'SKILL.md'))).toContain('v2');

  // A real edit beside a re-spelled name: an override whose explanation never shows one name as added and deleted.
  fs.renameSync(path.join(pdf, nfd), path.join(pdf, nfc));
  fs.appendFileSync(path.join(pdf, nfc), 'Acme edit.\n');
  const status = cli(ws, ['status', '--json']);
  const skill = status.json.companies.find((c: any) => c.name === 'Acme').skills.find((s: any) => s.name === 'pdf');
  expect(skill.state).toBe('override');
  expect(skill.files).toEqual([{ path: `${nfc} (spelled r\\u00E9sum\\u00E9.md, was re\\u0301sume\\u0301.md)`, change: 'changed' }]);
  fsck(ws.storeDir);
});
