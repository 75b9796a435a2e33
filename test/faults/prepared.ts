/**
 * A scenario prepared once and handed out as copies. Preparing one means real
 * CLI runs (a sync, a snapshot), each about a second of node start-up on a busy
 * machine; a test that only needs the result starts from a copy of it instead:
 * `cp -a` of the workspace (library, companies, store, logs), with the files
 * that name the workspace's folders by absolute path (the config, the search
 * index) pointed at the copy. Copies are independent of each other and of the
 * original, and are cleaned up with every other temp folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';

/** Any workspace shape of the tests: its folders hang under `root`; `companyDir` maps a name to a folder under it. */
interface Rooted {
  root: string;
  configFile: string;
}

/** Text files under `root` (objects aside) that spell out `root`: where the copy must be told its own place. */
function filesNaming(root: string, text: string): string[] {
  try {
    return execFileSync('grep', ['-rlF', '--exclude-dir=objects', '--', text, root], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch (err) {
    if ((err as { status?: number }).status === 1) return []; // grep: no file names it
    throw err;
  }
}

/** An independent copy of a prepared workspace: same files, modes and times, every path of it under the new root. */
export function copyWorkspace<W extends Rooted>(ws: W): W {
  const root = tempDir('lsync-copy-');
  execFileSync('cp', ['-a', `${ws.root}/.`, root]);
  for (const file of filesNaming(root, ws.root)) fs.writeFileSync(file, fs.readFileSync(file, 'utf8').split(ws.root).join(root));
  const rebase = (p: string) => (p === ws.root || p.startsWith(`${ws.root}${path.sep}`) ? path.join(root, path.relative(ws.root, p)) : p);
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(ws)) {
    if (typeof value === 'string') copy[key] = rebase(value);
    else if (typeof value === 'function') copy[key] = (...args: unknown[]) => rebase(value(...args));
    else if (Array.isArray(value)) copy[key] = [...value];
    else copy[key] = value;
  }
  return copy as W;
}

/** Prepare `make()` once, on first use, then hand out a fresh copy per call. */
export function prepared<W extends Rooted>(make: () => W): () => W {
  let original: W | undefined;
  return () => copyWorkspace((original ??= make()));
}
