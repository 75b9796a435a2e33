/**
 * A company folder's identity, taken when it is scanned and checked again
 * before every write: its real path, its device and inode, and (below a
 * companies glob's "*") the device and inode of every path component, none of
 * them a symlink unless the config allows symlinked companies. What was true
 * at scan time may not be true at write time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UnsafePathError, UsageError } from '../errors.js';

export interface FolderIdentity {
  /** The folder as configured. */
  dir: string;
  real: string;
  dev: number;
  ino: number;
  /** Components from the configured root down to `dir`, as lstat saw them. */
  chain: { path: string; dev: number; ino: number }[];
  allowSymlinks: boolean;
}

/**
 * Capture the identity of a company folder, refusing a symlinked folder or
 * component (unless allowed). `root` is the folder holding a glob's "*".
 */
export function captureIdentity(dir: string, root: string | undefined, allowSymlinks: boolean, configFile: string): FolderIdentity {
  const chain: FolderIdentity['chain'] = [];
  const parts = root ? path.relative(root, dir).split(path.sep) : [];
  for (let i = 1; i < parts.length; i++) {
    const p = path.join(root!, ...parts.slice(0, i));
    const st = allowSymlinks ? fs.statSync(p) : fs.lstatSync(p);
    if (st.isSymbolicLink()) {
      throw new UnsafePathError(`${p} is a symlink: refusing to write through it into ${dir} (set "allowSymlinkedCompanies": true to allow)`);
    }
    chain.push({ path: p, dev: st.dev, ino: st.ino });
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    throw new UsageError(`folder ${dir} does not exist: create it or fix "companies" in ${configFile}`);
  }
  if (st.isSymbolicLink()) {
    if (!allowSymlinks) throw new UnsafePathError(`folder ${dir} is a symlink: refusing to write through it (set "allowSymlinkedCompanies": true to allow)`);
    st = fs.statSync(dir);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir} is not a folder`);
  chain.push({ path: dir, dev: st.dev, ino: st.ino });
  return { dir, real: fs.realpathSync.native(dir), dev: st.dev, ino: st.ino, chain, allowSymlinks };
}

/** Throws UnsafePathError unless the folder and its parents are still the ones captured. */
export function verifyIdentity(id: FolderIdentity): void {
  const changed = (what: string) =>
    new UnsafePathError(`${what} changed since the scan (moved, replaced or turned into a symlink): nothing more is written into ${id.dir} this run`);
  for (const c of id.chain) {
    let st: fs.Stats;
    try {
      st = id.allowSymlinks ? fs.statSync(c.path) : fs.lstatSync(c.path);
    } catch {
      throw changed(c.path);
    }
    if (st.dev !== c.dev || st.ino !== c.ino || (!id.allowSymlinks && st.isSymbolicLink())) throw changed(c.path);
  }
  let real: string;
  try {
    real = fs.realpathSync.native(id.dir);
  } catch {
    throw changed(id.dir);
  }
  if (real !== id.real) throw changed(id.dir);
}
