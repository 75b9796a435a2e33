/**
 * The adversary outside the process: a workspace big enough for a run to take
 * a while, a person appending to skills while it runs, and native git as the
 * judge of what the store can still give back.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, tempDir, write } from '../helpers.js';

export interface Workspace {
  root: string;
  libraryDir: string;
  storeDir: string;
  configFile: string;
  companies: string[];
  skills: string[];
  companyDir(name: string): string;
}

const skillMd = (name: string, extra = '') => `---\nname: ${name}\ndescription: "Skill ${name}: does ${name} things."\n---\n\n# ${name}\n\nSteps for ${name}.\n${extra}`;

/** `companies` × `skills`, each skill three files, the library a plain folder. */
export function generatedWorkspace(companies: number, skills: number, extraConfig: Record<string, unknown> = {}): Workspace {
  const root = tempDir('lsync-adv-');
  const libraryDir = path.join(root, 'library');
  const names = Array.from({ length: skills }, (_, i) => `skill-${String(i).padStart(2, '0')}`);
  for (const s of names) {
    write(path.join(libraryDir, s, 'SKILL.md'), skillMd(s));
    write(path.join(libraryDir, s, 'reference.md'), `# ${s} reference\n\n${'Details. '.repeat(40)}\n`);
    write(path.join(libraryDir, s, 'scripts', 'run.py'), `print("${s}")\n`);
  }
  const companyNames = Array.from({ length: companies }, (_, i) => `Co${String(i).padStart(2, '0')}`);
  const companyDir = (name: string) => path.join(root, 'ALAI', name, '.claude', 'skills');
  for (const c of companyNames) fs.mkdirSync(companyDir(c), { recursive: true });
  const storeDir = path.join(root, 'store.git');
  const configFile = path.join(root, 'library.config.json');
  const config = { library: libraryDir, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: storeDir, ...extraConfig };
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  return { root, libraryDir, storeDir, configFile, companies: companyNames, skills: names, companyDir };
}

export interface Running {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Start the real CLI without waiting for it. */
export function startCli(ws: { configFile: string }, args: string[]): Running {
  const child = spawn(process.execPath, [CLI, '--config', ws.configFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `cond` holds; fail after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(1);
  }
}

/** A run starts changing folders right after it tags its automatic snapshot: new tag files say so. */
export function snapshotTags(storeDir: string): string[] {
  try {
    return fs.readdirSync(path.join(storeDir, 'refs', 'tags', 'snapshot')).filter((n) => !n.endsWith('.lock'));
  } catch {
    return [];
  }
}

/** Every blob reachable from any ref of the store, as one string: where a lost edit would have to be. */
export function reachableText(storeDir: string): string {
  const git = (args: string[], input?: string) =>
    execFileSync('git', ['--git-dir', storeDir, ...args], { input, maxBuffer: 1 << 30, encoding: input === undefined ? 'utf8' : 'utf8' });
  const objects = git(['rev-list', '--objects', '--all', '--no-object-names']);
  const types = git(['cat-file', '--batch-check=%(objecttype) %(objectname)'], objects);
  const blobs = types
    .split('\n')
    .filter((l) => l.startsWith('blob '))
    .map((l) => l.slice(5))
    .join('\n');
  return git(['cat-file', '--batch'], `${blobs}\n`);
}

/** Lines `git fsck` reports as dangling commits (history a run orphaned). */
export function danglingCommits(storeDir: string): string[] {
  const out = execFileSync('git', ['--git-dir', storeDir, 'fsck', '--no-reflogs', '--strict'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.split('\n').filter((l) => l.startsWith('dangling commit'));
}

/** A person appending a unique line to skill files, as fast as they can, until told to stop. */
export class Editor {
  readonly made: { file: string; token: string }[] = [];
  failed = 0;
  private stopped = false;
  private n = 0;

  constructor(
    private readonly files: string[],
    private readonly label: string,
  ) {}

  async run(): Promise<void> {
    while (!this.stopped) {
      const file = this.files[Math.floor(Math.random() * this.files.length)];
      const token = `edit-${this.label}-${this.n++}`;
      try {
        fs.appendFileSync(file, `${token}\n`, { flag: 'a' });
        this.made.push({ file, token });
      } catch {
        this.failed++; // the folder was being swapped: the editor sees an error, nothing is silently lost
      }
      await sleep(Math.random() < 0.5 ? 0 : 1);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** Edits that are neither in their file nor in any blob reachable in the store. */
  lost(storeDir: string): string[] {
    const history = reachableText(storeDir);
    return this.made
      .filter(({ file, token }) => {
        const inFolder = fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(token);
        return !inFolder && !history.includes(token);
      })
      .map((e) => `${e.token} in ${e.file}`);
  }
}
