/**
 * The content-addressed store: a bare git repository. This folder is the only
 * importer of isomorphic-git. We write loose objects and refs ourselves, via
 * temp file + rename, because isomorphic-git writes them in place and a crash
 * could leave a truncated object that is never rewritten. Reads go through a
 * fast path for loose objects and fall back to isomorphic-git for packs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { RefMovedError, StoreError } from '../errors.js';
import { checkpoint } from '../util/faults.js';
import { writeFileAtomic } from '../util/atomic.js';
import {
  type CommitData,
  type ObjectType,
  type TagData,
  type TreeEntry,
  hashObject,
  parseTree,
  serializeCommit,
  serializeTag,
  serializeTree,
  wrapObject,
} from './objects.js';

export interface Commit extends CommitData {
  oid: string;
}

/** isomorphic-git is loaded on first use: a no-op run reads only loose objects and refs, and skips its ~70 ms load. */
type IsoGit = typeof import('isomorphic-git');
let isoGit: Promise<IsoGit> | undefined;
const gitLib = async (): Promise<IsoGit> => (await (isoGit ??= import('isomorphic-git'))) as IsoGit;

const REPAIR_HINT = 'run `library doctor --repair` to re-record what the folders still hold';

export class Store {
  /** Objects known to be present: skips a stat per write. */
  private readonly known = new Set<string>();
  /** Commits and tags this process wrote: discarded again if the ref meant to hold them cannot be moved. */
  private readonly created = new Set<string>();
  /** isomorphic-git's pack cache, shared by every read in this process. */
  private readonly gitCache = {};

  private constructor(readonly gitdir: string) {}

  /** Where this tool keeps its own files (stat caches, run state, lock) inside the git dir. */
  get dataDir(): string {
    return path.join(this.gitdir, 'library-sync');
  }

  /**
   * Temp files for objects and refs, inside the git dir (same filesystem, so
   * renames are atomic) but outside objects/ and refs/, where a killed run's
   * leftovers would confuse native git. Emptied when the lock is taken.
   */
  get tmpDir(): string {
    return path.join(this.dataDir, 'tmp');
  }

  static async create(gitdir: string): Promise<Store> {
    fs.mkdirSync(gitdir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      await (await gitLib()).init({ fs, gitdir, bare: true, defaultBranch: 'library' });
      // isomorphic-git writes values meant for case-insensitive, symlink-less
      // systems; a store holds exact names and real symlinks.
      await (await gitLib()).setConfig({ fs, gitdir, path: 'core.ignorecase', value: false });
      await (await gitLib()).setConfig({ fs, gitdir, path: 'core.symlinks', value: true });
      await (await gitLib()).setConfig({ fs, gitdir, path: 'core.filemode', value: true });
    }
    fs.chmodSync(gitdir, 0o700); // company skills can be private
    const store = new Store(gitdir);
    fs.mkdirSync(store.tmpDir, { recursive: true, mode: 0o700 });
    return store;
  }

  static open(gitdir: string): Store {
    if (!fs.existsSync(path.join(gitdir, 'HEAD')) || !fs.existsSync(path.join(gitdir, 'objects'))) {
      throw new StoreError(`store ${gitdir} does not exist: run \`library init\` or \`library sync --fix\` to create it`);
    }
    return new Store(gitdir);
  }

  static async openOrCreate(gitdir: string): Promise<Store> {
    return fs.existsSync(path.join(gitdir, 'HEAD')) ? Store.open(gitdir) : Store.create(gitdir);
  }

  private loosePath(oid: string): string {
    return path.join(this.gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
  }

  has(oid: string): boolean {
    if (this.known.has(oid)) return true;
    if (fs.existsSync(this.loosePath(oid))) {
      this.known.add(oid);
      return true;
    }
    return false;
  }

  /** Drop ids from the "known present" set (after a repair removed them). */
  forget(oids: string[]): void {
    for (const oid of oids) this.known.delete(oid);
  }

  async hasAnywhere(oid: string): Promise<boolean> {
    if (this.has(oid)) return true;
    try {
      await (await gitLib()).readObject({ fs, gitdir: this.gitdir, oid, format: 'deflated', cache: this.gitCache });
      this.known.add(oid);
      return true;
    } catch {
      return false;
    }
  }

  /** Write one object (if absent) atomically; returns its id. */
  writeObject(type: ObjectType, content: Buffer, knownOid?: string): string {
    const oid = knownOid ?? hashObject(type, content);
    if (this.has(oid)) return oid;
    const file = this.loosePath(oid);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // Not fsync-ed, as git does not by default: a crash (SIGKILL) never leaves a partial object, and after a
      // power cut `library doctor --repair` finds and rewrites any object lost with the page cache.
      writeFileAtomic(file, deflateSync(wrapObject(type, content), { level: 1 }), 0o444, this.ensureTmpDir(), false);
    } catch (err) {
      throw new StoreError(`cannot write object ${oid} to store ${this.gitdir}: ${(err as Error).message}`, { cause: err });
    }
    this.known.add(oid);
    if (type === 'commit' || type === 'tag') this.created.add(oid);
    return oid;
  }

  writeTree(entries: readonly TreeEntry[]): string {
    return this.writeObject('tree', serializeTree(entries));
  }

  writeCommit(data: CommitData): string {
    this.fence?.check(); // a run that lost the lock leaves no commit behind, not even a dangling one
    return this.writeObject('commit', serializeCommit(data));
  }

  writeTag(data: TagData): string {
    this.fence?.check();
    return this.writeObject('tag', serializeTag(data));
  }

  async readObject(oid: string): Promise<{ type: ObjectType; content: Buffer }> {
    let raw: Buffer | undefined;
    try {
      raw = fs.readFileSync(this.loosePath(oid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (raw) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(raw);
      } catch (err) {
        throw new StoreError(`object ${oid} in store ${this.gitdir} is corrupt (${(err as Error).message}): ${REPAIR_HINT}`);
      }
      const nul = inflated.indexOf(0);
      const [type] = inflated.toString('latin1', 0, nul).split(' ');
      return { type: type as ObjectType, content: inflated.subarray(nul + 1) };
    }
    try {
      const res = await (await gitLib()).readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.gitCache });
      return { type: res.type as ObjectType, content: Buffer.from(res.object as Uint8Array) };
    } catch (err) {
      throw new StoreError(`object ${oid} is missing from store ${this.gitdir}: ${REPAIR_HINT}`, { cause: err });
    }
  }

  private async readTyped(oid: string, expected: ObjectType): Promise<Buffer> {
    const { type, content } = await this.readObject(oid);
    if (type !== expected) throw new StoreError(`object ${oid} is a ${type}, expected a ${expected}`);
    return content;
  }

  async readBlob(oid: string): Promise<Buffer> {
    return this.readTyped(oid, 'blob');
  }

  /** Trees are immutable and small: a first distribution reads each library tree once, not once per company. */
  private readonly trees = new Map<string, TreeEntry[]>();

  async readTree(oid: string): Promise<TreeEntry[]> {
    let entries = this.trees.get(oid);
    if (!entries) {
      entries = parseTree(await this.readTyped(oid, 'tree'));
      if (this.trees.size < 100_000) this.trees.set(oid, entries);
    }
    return entries;
  }

  async readCommit(oid: string): Promise<Commit> {
    const text = (await this.readTyped(oid, 'commit')).toString('utf8');
    const split = text.indexOf('\n\n');
    const header = text.slice(0, split).split('\n');
    const parents: string[] = [];
    let tree = '';
    let author = { name: '', email: '', timestamp: 0 };
    for (const line of header) {
      if (line.startsWith('tree ')) tree = line.slice(5);
      else if (line.startsWith('parent ')) parents.push(line.slice(7));
      else if (line.startsWith('author ')) {
        const m = /^author (.*) <(.*)> (\d+) [+-]\d{4}$/.exec(line);
        if (m) author = { name: m[1], email: m[2], timestamp: Number(m[3]) };
      }
    }
    return { oid, tree, parents, author, message: text.slice(split + 2) };
  }

  /** Resolve a full ref name (refs/heads/…) to an object id, or null. */
  async readRef(ref: string): Promise<string | null> {
    try {
      const loose = fs.readFileSync(path.join(this.gitdir, ref), 'utf8').trim();
      if (/^[0-9a-f]{40}$/.test(loose)) return loose;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
    }
    // Only native git packs refs; without packed-refs a missing loose ref is simply absent.
    if (ref !== 'HEAD' && !fs.existsSync(path.join(this.gitdir, 'packed-refs'))) return null;
    try {
      return await (await gitLib()).resolveRef({ fs, gitdir: this.gitdir, ref });
    } catch {
      return null;
    }
  }

  /**
   * Set by the lock holder (src/lock.ts): every ref update and every commit or
   * tag written checks that this run still holds the store's lock, so a run
   * that was frozen and taken over cannot write its stale plan.
   */
  fence: { check(): void } | null = null;

  /**
   * Move a ref if, and only if, it still points at `expected` (null: the ref
   * must not exist), as `git update-ref REF NEW OLD` does: the new value goes
   * into `<ref>.lock` (created exclusively, so two writers cannot both hold
   * it), the old value is compared, and the lock file is renamed over the ref.
   * Callers write the objects first, so a ref never points at a missing object.
   * If the ref cannot be moved, the commits and tags this process wrote for it
   * (`oid` and `alsoDiscard`) are deleted again: a run that lost the lock
   * leaves no dangling history behind.
   */
  async updateRef(ref: string, oid: string, expected: string | null, alsoDiscard: string[] = []): Promise<void> {
    try {
      await this.casRef(ref, oid, expected);
    } catch (err) {
      for (const o of [oid, ...alsoDiscard]) {
        if (!this.created.delete(o)) continue;
        fs.rmSync(this.loosePath(o), { force: true });
        this.known.delete(o);
      }
      throw err;
    }
  }

  private async casRef(ref: string, oid: string, expected: string | null): Promise<void> {
    if (!ref.startsWith('refs/')) throw new StoreError(`refusing to write ref outside refs/: ${ref}`);
    this.fence?.check();
    const file = path.join(this.gitdir, ref);
    const lock = `${file}.lock`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const fd = await openRefLock(lock);
    let renamed = false;
    try {
      fs.writeSync(fd, `${oid}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      const current = await this.readRef(ref);
      if (current !== expected) {
        throw new RefMovedError(
          `ref ${ref} in store ${this.gitdir} moved while this run held it (expected ${expected ?? 'no ref'}, found ${current ?? 'no ref'}): another run wrote it; nothing was overwritten, run again`,
        );
      }
      this.fence?.check();
      fs.renameSync(lock, file);
      renamed = true;
      checkpoint(`renamed into place: ${path.basename(file)}`);
    } finally {
      if (!renamed) fs.rmSync(lock, { force: true });
    }
  }

  private tmpReady = false;
  private ensureTmpDir(): string {
    if (!this.tmpReady) {
      fs.mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
      this.tmpReady = true;
    }
    return this.tmpDir;
  }

  /** Remove temp files a killed writer left. Only called while holding the lock. */
  clearTmp(): void {
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    this.tmpReady = false;
  }

  /** Delete a ref, loose or packed (native `git pack-refs` may have packed it). */
  async deleteRef(ref: string): Promise<void> {
    fs.rmSync(path.join(this.gitdir, ref), { force: true });
    await (await gitLib()).deleteRef({ fs, gitdir: this.gitdir, ref });
  }

  /**
   * Add `key = value` to a section of the store's git config unless that exact
   * line is there already; written atomically (a torn config would make the
   * store unreadable to native git).
   */
  addConfigValue(section: string, key: string, value: string): void {
    const file = path.join(this.gitdir, 'config');
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const line = `${key} = ${value}`;
    if (text.split('\n').some((l) => l.trim() === line)) return;
    writeFileAtomic(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}[${section}]\n\t${line}\n`);
  }

  /** Full names of refs under a prefix such as `refs/tags/snapshot/`. */
  async listRefs(prefix: string): Promise<string[]> {
    const dir = prefix.replace(/\/$/, '');
    // As in readRef: without packed-refs every ref is a loose file, listed without loading isomorphic-git.
    if (!fs.existsSync(path.join(this.gitdir, 'packed-refs'))) return looseRefs(this.gitdir, dir).sort();
    const names = await (await gitLib()).listRefs({ fs, gitdir: this.gitdir, filepath: dir });
    return names.map((n) => `${dir}/${n}`);
  }
}

function looseRefs(gitdir: string, dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(gitdir, dir), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory() ? looseRefs(gitdir, `${dir}/${e.name}`) : e.isFile() && !e.name.endsWith('.lock') ? [`${dir}/${e.name}`] : [],
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Create `<ref>.lock` exclusively. Native git holds such a lock for
 * milliseconds; one that stays is a leftover of a killed or fenced-out run
 * (this run holds the store's lock, so no live run of ours owns it) and is
 * removed.
 */
async function openRefLock(lock: string): Promise<number> {
  for (let waited = 0; ; waited += 50) {
    try {
      return fs.openSync(lock, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (waited >= 1000) fs.rmSync(lock, { force: true });
    else await sleep(50);
  }
}
