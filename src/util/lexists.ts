import fs from 'node:fs';

/** Whether anything is at `p`, a dangling symlink included (fs.existsSync follows links). */
export function lexists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
