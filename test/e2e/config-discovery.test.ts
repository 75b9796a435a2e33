/**
 * Finding the config as git and chezmoi do (SPEC.md, "Configuration"): --config, $LIBRARY_CONFIG,
 * library.config.json here or in a folder above, the user config; `init` writes the user config.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanupTempDirs, exampleWorkspace, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

/** The CLI with no --config, in `cwd`, with its own home folder (the real user config is never touched). */
function run(cwd: string, home: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const res = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: '', LIBRARY_CONFIG: '', ...env },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** The config a command run there uses (the schedule it would install names it), or its one error line. */
const configUsed = (cwd: string, home: string, env: NodeJS.ProcessEnv = {}) => {
  const res = run(cwd, home, ['systemd', 'print'], env);
  if (res.code !== 0) return res.stderr;
  return /library\.js" "([^"]+)"/.exec(res.stdout)![1];
};

describe('config discovery', () => {
  it('init writes the user config and prints its path; every command finds it from any folder; init refuses to replace it', () => {
    const ws = exampleWorkspace();
    const home = tempDir('lsync-home-');
    const elsewhere = fs.mkdtempSync(path.join(home, 'elsewhere-'));
    const none = run(elsewhere, home, ['status']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^library: no config found: .*library\.config\.json in .*elsewhere-\w+ or a folder above it, no .*\/\.config\/library-sync\/config\.json: run `library init`/);

    const init = ['init', '--library', ws.libraryDir, '--companies', ws.companiesGlob, '--store', path.join(home, 'store.git')];
    const made = run(elsewhere, home, init);
    const userConfig = path.join(home, '.config', 'library-sync', 'config.json');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout.split('\n')[0]).toBe(`wrote ${userConfig}`);
    const sync = run(home, home, ['sync', '--fix', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(JSON.parse(sync.stdout).companies.map((c: any) => c.name)).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);

    const again = run(elsewhere, home, init);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`library: config ${userConfig} already exists: edit it, or pass --overwrite\n`);

    // $XDG_CONFIG_HOME moves the user config.
    const xdg = path.join(home, 'xdg');
    expect(run(elsewhere, home, init, { XDG_CONFIG_HOME: xdg }).stdout).toMatch(new RegExp(`^wrote ${xdg}/library-sync/config\\.json$`, 'm'));
    expect(configUsed(elsewhere, home, { XDG_CONFIG_HOME: xdg })).toBe(path.join(xdg, 'library-sync', 'config.json'));
  });

  it('library.config.json in a folder above wins over the user config, $LIBRARY_CONFIG over both; init --here says what it shadows', () => {
    const ws = exampleWorkspace();
    const home = tempDir('lsync-home-');
    const init = ['--library', ws.libraryDir, '--companies', ws.companiesGlob, '--store', ws.storeDir];
    expect(run(home, home, ['init', ...init]).code).toBe(0);
    const userConfig = path.join(home, '.config', 'library-sync', 'config.json');
    const project = path.join(home, 'project');
    const deep = path.join(project, 'a', 'b');
    fs.mkdirSync(deep, { recursive: true });

    const here = run(project, home, ['init', '--here', ...init]);
    expect(here.code, here.stderr).toBe(0);
    const local = path.join(project, 'library.config.json');
    expect(here.stdout.split('\n')[0]).toBe(`wrote ${local}`);
    const warning = JSON.parse(here.stderr); // not a terminal: a JSON log line
    expect(warning).toMatchObject({ level: 40, msg: `${local} now shadows ${userConfig} in ${project} and the folders below it: commands run there read the new one` });

    expect(configUsed(deep, home)).toBe(local);
    expect(configUsed(home, home)).toBe(userConfig);
    expect(configUsed(deep, home, { LIBRARY_CONFIG: userConfig })).toBe(userConfig);
    expect(configUsed(deep, home, { LIBRARY_CONFIG: path.join(home, 'missing.json') })).toMatch(/missing\.json not found/);
  });

  it('hooks install, run inside the library repository, finds the config whose library is that repository', () => {
    const ws = exampleWorkspace();
    const home = tempDir('lsync-home-');
    const repo = path.dirname(ws.libraryDir); // …/system/library holds skills/
    execFileSync('git', ['init', '-q', repo]);
    // The user config has this library; a config in a folder above the repository has another one (a plain folder).
    expect(run(home, home, ['init', '--library', ws.libraryDir, '--companies', ws.companiesGlob, '--store', ws.storeDir]).code).toBe(0);
    const other = path.join(ws.root, 'other-library');
    fs.mkdirSync(path.join(other, 'x'), { recursive: true });
    fs.writeFileSync(path.join(ws.root, 'library.config.json'), JSON.stringify({ library: other, companies: ws.companiesGlob, store: path.join(ws.root, 'other.git') }));

    const res = run(ws.libraryDir, home, ['hooks', 'install']);
    expect(res.code, res.stderr).toBe(0);
    const userConfig = path.join(home, '.config', 'library-sync', 'config.json');
    expect(res.stdout).toContain(`a commit to ${repo} is now validated first and synced after, with ${userConfig}`);
    expect(fs.readFileSync(path.join(repo, '.git', 'hooks', 'post-commit'), 'utf8')).toContain(userConfig);
    expect(configUsed(ws.libraryDir, home)).toBe(path.join(ws.root, 'library.config.json')); // other commands: the nearest
  });
});
