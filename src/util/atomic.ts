import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import { checkpoint } from './faults.js';

/** Random per process, then counted: unique temp names without a call into the random source for each (a run writes hundreds). */
const TEMP_TAG = randomBytes(4).toString('hex');
let tempCount = 0;

/** A temp name beside `target` (or in `tmpDir`, on the same filesystem), so rename() is atomic. */
export function tempPathBeside(target: string, tmpDir?: string): string {
  return path.join(tmpDir ?? path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${TEMP_TAG}${(tempCount++).toString(16)}`);
}

/**
 * Write a file so that readers see the old content or the new, never a part:
 * write a temp file beside it, fsync, rename over. Refs, caches, configs and
 * the index all go through here. `durable: false` skips the fsync, for files
 * that are only caches: losing one to a power cut costs a re-read, nothing more.
 */
export function writeFileAtomic(target: string, data: string | Buffer, mode = 0o644, tmpDir?: string, durable = true): void {
  const tmp = tempPathBeside(target, tmpDir);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  checkpoint(`temp file written for ${path.basename(target)}`);
  try {
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  checkpoint(`renamed into place: ${path.basename(target)}`);
}

/**
 * A JSON file this tool wrote, or undefined when there is none. A file that
 * cannot be read or parsed is an error that names it and says how to mend it
 * (`fix`), never a bare `Unexpected token`.
 */
export function readJsonIfExists<T>(file: string, fix = 'delete it (when no library command is running) and run again'): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new DamagedFileError(`${file} cannot be read (${code ?? (err as Error).message}): check its permissions`, { cause: err });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DamagedFileError(`${file} is damaged (not valid JSON: ${(err as Error).message}): ${fix}`, { cause: err });
  }
}

/** A file of this tool's that cannot be used as it is. */
export class DamagedFileError extends StoreError {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A writer killed before its rename leaves `.<name>.tmp-<pid>-<hex>` beside `file` (tempPathBeside): remove those whose writer is gone. */
export function removeKilledTempFiles(file: string): string[] {
  const dir = path.dirname(file);
  const pattern = new RegExp(`^\\.${path.basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.tmp-(\\d+)-[0-9a-f]+$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}
