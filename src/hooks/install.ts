/**
 * Install and remove the library repository's git hooks. A hook that is
 * already there is kept: renamed to `<hook>.library-sync-chained`, run first
 * by ours, and put back by uninstall. Ours are recognised by their marker line.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { HOOK_TEMPLATES_DIR, PACKAGE_ROOT } from '../schedule/job.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lexists as exists } from '../util/lexists.js';

export const HOOK_NAMES = ['pre-commit', 'post-commit'] as const;
/** A receiving store's hooks: the ref rules before a push is accepted, the sync after. */
export const RECEIVE_HOOK_NAMES = ['pre-receive', 'post-receive'] as const;
/** What hooks/pre-receive runs: the ref rules, without the whole CLI. */
export const RECEIVE_CHECK_PATH = path.join(PACKAGE_ROOT, 'dist', 'hooks', 'receive-check.js');
const MARKER = '# library-sync hook:';
const CHAINED = '.library-sync-chained';

/** Single-quoted for sh. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The hooks folder git uses for a work tree (core.hooksPath and worktrees included). */
export function hooksDirOf(workTree: string, gitdir: string): string {
  try {
    const out = execFileSync('git', ['rev-parse', '--git-path', 'hooks'], { cwd: workTree, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (out) return path.resolve(workTree, out);
  } catch {
    /* no git on PATH: the default place */
  }
  return path.join(gitdir, 'hooks');
}

type Placeholder = 'NODE' | 'CLI' | 'CONFIG' | 'LOG' | 'ERR' | 'CHECK';

/** A hook from hooks/ with its placeholders filled in; one the template uses but `values` lacks is a bug, thrown. */
export function renderHook(name: (typeof HOOK_NAMES)[number] | (typeof RECEIVE_HOOK_NAMES)[number], values: Partial<Record<Placeholder, string>>): string {
  const template = fs.readFileSync(path.join(HOOK_TEMPLATES_DIR, name), 'utf8');
  return template.replace(/@(NODE|CLI|CONFIG|LOG|ERR|CHECK)@/g, (_, key: Placeholder) => {
    const value = values[key];
    if (value === undefined) throw new Error(`hook ${name}: no value for @${key}@`);
    return shellQuote(value);
  });
}

function isOurs(file: string): boolean {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() && fs.readFileSync(file, 'utf8').includes(MARKER);
  } catch {
    return false;
  }
}

export interface HookChange {
  hook: string;
  file: string;
  /** installed | updated | chained (an existing hook kept and run first) | restored | removed | not-ours | absent */
  action: string;
}

export function installHooks(hooksDir: string, scripts: Record<string, string>): HookChange[] {
  fs.mkdirSync(hooksDir, { recursive: true });
  const plan = Object.keys(scripts).map((hook) => {
    const file = path.join(hooksDir, hook);
    const action = isOurs(file) ? 'updated' : exists(file) ? 'chained' : 'installed';
    // Checked for every hook before anything is written: nothing half-installed.
    if (action === 'chained' && exists(file + CHAINED)) {
      throw new UsageError(`${file} exists and so does ${file + CHAINED}: merge them by hand into one, remove the other, then install again`);
    }
    return { hook, file, action };
  });
  for (const p of plan) {
    if (p.action === 'chained') fs.renameSync(p.file, p.file + CHAINED); // renames a symlink itself, never its target
    writeFileAtomic(p.file, scripts[p.hook], 0o755);
  }
  return plan;
}

export function uninstallHooks(hooksDir: string, hooks: readonly string[]): HookChange[] {
  return hooks.map((hook) => {
    const file = path.join(hooksDir, hook);
    if (!exists(file)) return { hook, file, action: 'absent' };
    if (!isOurs(file)) return { hook, file, action: 'not-ours' };
    if (exists(file + CHAINED)) {
      fs.renameSync(file + CHAINED, file);
      return { hook, file, action: 'restored' };
    }
    fs.rmSync(file);
    return { hook, file, action: 'removed' };
  });
}
