/**
 * Refs as git keeps them: a loose file under refs/ wins over the same name in
 * `packed-refs` (what `git gc` and `git pack-refs` write). `^<oid>` lines in
 * packed-refs are the peeled value of the annotated tag above them, never a
 * ref of their own. Deleting a packed ref rewrites packed-refs under git's own
 * `packed-refs.lock`, so a concurrent native git never loses an update.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../errors.js';

const OID = /^[0-9a-f]{40}$/;

interface PackedRefs {
  stamp: string;
  refs: Map<string, string>;
}

/** A valid ref name for our purposes: git's rules, minus what we never write. */
export function isRefName(ref: string): boolean {
  if (!ref.startsWith('refs/') || ref.endsWith('/') || ref.endsWith('.lock') || ref.endsWith('.')) return false;
  return ref.split('/').every((part) => part !== '' && !part.startsWith('.')) && !/[\0- ~^:?*[\\\x7f]|\.\.|@\{/.test(ref);
}

export class RefReader {
  private packed: PackedRefs | null = null;

  constructor(private readonly gitdir: string) {}

  private get packedFile(): string {
    return path.join(this.gitdir, 'packed-refs');
  }

  /** packed-refs, re-read only when the file changed (one stat per lookup when it exists). */
  packedRefs(): Map<string, string> {
    const st = fs.statSync(this.packedFile, { throwIfNoEntry: false }); // most stores have none: no exception built per lookup
    if (!st) {
      this.packed = null;
      return new Map();
    }
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (this.packed?.stamp === stamp) return this.packed.refs;
    const refs = new Map<string, string>();
    const lines = fs.readFileSync(this.packedFile, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line === '' || line.startsWith('#') || line.startsWith('^')) continue; // header, peeled value of the tag above
      const m = /^([0-9a-f]{40}) (.+)$/.exec(line);
      if (!m) throw new StoreError(`${this.packedFile} line ${i + 1} is not "<sha> <ref>": the file is damaged; restore it from a backup, or delete the lines that are not "<sha> <ref>" or "^<sha>", then run \`library doctor\``);
      refs.set(m[2], m[1]);
    }
    this.packed = { stamp, refs };
    return refs;
  }

  /** The ref's value, following `ref: …` symbolic refs; null when absent. */
  read(ref: string, depth = 0): string | null {
    if (depth > 5) throw new StoreError(`ref ${ref} in store ${this.gitdir}: symbolic refs loop`);
    let text: string | null = null;
    try {
      text = fs.readFileSync(path.join(this.gitdir, ref), 'utf8').trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw err;
    }
    if (text !== null) {
      if (OID.test(text)) return text;
      const sym = /^ref: (\S+)$/.exec(text);
      if (sym) return this.read(sym[1], depth + 1);
      throw new StoreError(`ref ${ref} in store ${this.gitdir} holds ${JSON.stringify(text.slice(0, 60))}, not an object id: the file ${path.join(this.gitdir, ref)} is damaged; run \`library doctor --repair\``);
    }
    return this.packedRefs().get(ref) ?? null;
  }

  /** Full names of every ref under `prefix` (e.g. `refs/tags/snapshot/`), loose and packed, sorted. */
  list(prefix: string): string[] {
    const dir = prefix.replace(/\/$/, '');
    const names = new Set(looseRefs(this.gitdir, dir));
    for (const ref of this.packedRefs().keys()) if (ref.startsWith(`${dir}/`)) names.add(ref);
    return [...names].filter(isRefName).sort();
  }

  /** Remove the ref's line from packed-refs, if it is there. */
  deletePacked(ref: string): void {
    if (!this.packedRefs().has(ref)) return;
    const lock = `${this.packedFile}.lock`;
    let fd: number;
    try {
      fd = fs.openSync(lock, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new StoreError(`cannot delete ${ref}: ${lock} exists (a native git command is rewriting packed-refs); try again, or remove that file if no git command is running`);
      }
      throw err;
    }
    try {
      // Re-read under the lock: the file may have changed since we looked.
      const lines = fs.readFileSync(this.packedFile, 'utf8').split('\n');
      const kept: string[] = [];
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].endsWith(` ${ref}`) && OID.test(lines[i].slice(0, 40))) {
          if (lines[i + 1]?.startsWith('^')) i++; // its peeled line goes with it
          continue;
        }
        kept.push(lines[i]);
      }
      fs.writeSync(fd, kept.join('\n'));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(lock, this.packedFile);
    } catch (err) {
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
      fs.rmSync(lock, { force: true });
      throw err;
    }
    this.packed = null;
  }
}

function looseRefs(gitdir: string, dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(gitdir, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? looseRefs(gitdir, `${dir}/${e.name}`) : e.isFile() ? [`${dir}/${e.name}`] : []));
}

