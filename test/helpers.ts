/** Test helpers: real temp folders, the real CLI as a subprocess, native git as the verifier. */
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExampleWorkspace, type ExampleWorkspace } from '../example/workspace.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'library.js');
export const DISCOVER = path.join(ROOT, 'dist', 'cli', 'discover.js');

const tempRoots: string[] = [];

export function tempDir(prefix = 'lsync-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempRoots.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const d of tempRoots.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function exampleWorkspace(): ExampleWorkspace {
  return createExampleWorkspace(tempDir('lsync-ws-'));
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Run the real CLI (`library`, or another bin such as DISCOVER) in a subprocess. */
export function cli(ws: { configFile: string } | null, args: string[], env: NodeJS.ProcessEnv = {}, bin = CLI): CliResult {
  const full = ws ? ['--config', ws.configFile, ...args] : args;
  const res: SpawnSyncReturns<string> = spawnSync(process.execPath, [bin, ...full], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  let json: unknown;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(res.stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: res.status ?? -1, stdout: res.stdout, stderr: res.stderr, json };
}

/** `cli()`, awaited: the real CLI (or `bin`) as a child process, with the signal that ended it. For a test whose own process serves or runs cases side by side. */
export function runCli(ws: { configFile: string } | null, args: string[], env: NodeJS.ProcessEnv = {}, bin = CLI): Promise<CliResult & { signal: NodeJS.Signals | null }> {
  const full = ws ? ['--config', ws.configFile, ...args] : args;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...full], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      let json: unknown;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
      }
      resolve({ code: code ?? -1, signal, stdout, stderr, json });
    });
  });
}

export interface TerminalResult {
  code: number;
  /** What the terminal received (stdout and stderr together), with the pty's \r\n made \n again. */
  output: string;
}

/**
 * Run the real CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal would: stdout and stderr
 * are a TTY. `setup` runs in the same shell first (e.g. `stty cols 60`).
 */
export function terminal(ws: { configFile: string } | null, args: string[], env: NodeJS.ProcessEnv = {}, opts: { bin?: string; cwd?: string; setup?: string } = {}): TerminalResult {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const full = [process.execPath, opts.bin ?? CLI, ...(ws ? ['--config', ws.configFile] : []), ...args].map(quote).join(' ');
  const res = spawnSync('script', ['-q', '-e', '-c', `${opts.setup ? `${opts.setup}; ` : ''}exec ${full}`, '/dev/null'], {
    encoding: 'utf8',
    input: '',
    cwd: opts.cwd,
    env: { ...process.env, ...env },
  });
  return { code: res.status ?? -1, output: res.stdout.replace(/\r\n/g, '\n') };
}

export function git(gitdir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', gitdir, ...args], { encoding: 'utf8' });
}

export function fsck(gitdir: string): void {
  execFileSync('git', ['--git-dir', gitdir, 'fsck', '--full', '--strict', '--no-dangling'], { encoding: 'utf8', stdio: 'pipe' });
}

/** Every file under a folder with its content and mode, for byte-for-byte comparisons. */
export function snapshotFolder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const name of fs.readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(a);
      if (st.isDirectory()) walk(a, r);
      else if (st.isSymbolicLink()) out[r] = `link:${fs.readlinkSync(a)}`;
      else out[r] = `${(st.mode & 0o777).toString(8)}:${fs.readFileSync(a).toString('base64')}`;
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

export function refsOf(gitdir: string): string {
  return git(gitdir, ['for-each-ref', '--format=%(refname) %(objectname)']);
}

export function stateOf(json: any, company: string, skill: string): string | undefined {
  return json.companies.find((c: any) => c.name === company)?.skills.find((s: any) => s.name === skill)?.state;
}

export function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/** Whether any commit in a company's history holds `text` in `file`. */
export function historyHas(gitdir: string, company: string, file: string, text: string): boolean {
  const commits = git(gitdir, ['rev-list', `refs/heads/companies/${company}`]).trim().split('\n');
  return commits.some((c) => {
    try {
      return git(gitdir, ['show', `${c}:${file}`]).includes(text);
    } catch {
      return false;
    }
  });
}
