/**
 * The content-addressed store: a bare git repository. We write loose objects
 * and refs ourselves, via temp file + rename (isomorphic-git writes them in
 * place, and a crash could leave a truncated object that is never rewritten). Every read of an
 * object or a ref goes through one reader that knows what native git leaves
 * after `gc` or `repack`: loose objects and packs, loose refs and packed-refs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { StoreError, errorMessage } from '../errors.js';
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
} from './objects.js';
import { PackReadError, PackSet, type RawObject } from './packs.js';
import { RefReader } from './refs.js';
import { compareAndSwapRef } from './ref-lock.js';
import { checkAccess, StoreAccessError } from './access.js';
import { LooseObjects } from './loose.js';

export { StoreAccessError };

export interface Commit extends CommitData {
  oid: string;
}

/** An object that cannot be used: absent, damaged, or not readable by this user. */
export class ObjectError extends StoreError {
  constructor(
    message: string,
    readonly problem: 'missing' | 'corrupt' | 'unreadable',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The store as reading sees it: objects and refs, nothing that writes. Read
 * and plan (src/pipeline/read.ts, src/library/, a company's scan) get this,
 * so "read writes nothing" is a fact the type checker keeps.
 */
export type ReadonlyStore = Pick<Store, 'gitdir' | 'dataDir' | 'has' | 'hasAnywhere' | 'readObject' | 'readObjectSync' | 'readBlob' | 'readTree' | 'readCommit' | 'readRef' | 'listRefs'>;

/** A tree holds an entry git refuses (src/store/refused.ts): written by an older version, never sent. */
export class ReservedNameError extends StoreError {
  constructor(
    readonly path: string,
    why = 'a name git refuses (a spelling of .git)',
  ) {
    super(`${path} is ${why}: fsck and every host that checks objects reject it`);
  }
}

const REPAIR_HINT = 'run `library doctor --repair` to re-record what the folders still hold';

export class Store {
  /** Objects known to be present: skips a stat per write. */
  private readonly known = new Set<string>();
  private readonly loose: LooseObjects;
  private readonly packs: PackSet;
  private readonly refs: RefReader;
  /** Commits and tags this process wrote: discarded again if the ref meant to hold them cannot be moved. */
  private readonly created = new Set<string>();

  private constructor(readonly gitdir: string) {
    this.packs = new PackSet(path.join(gitdir, 'objects', 'pack'));
    this.refs = new RefReader(gitdir);
    this.loose = new LooseObjects(path.join(gitdir, 'objects'), this.tmpDir);
  }

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
      // What `git init --bare` writes, with the values a store needs: exact names and real symlinks.
      for (const dir of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(gitdir, dir), { recursive: true });
      writeFileAtomic(path.join(gitdir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n\tignorecase = false\n\tsymlinks = true\n');
      writeFileAtomic(path.join(gitdir, 'HEAD'), 'ref: refs/heads/library\n');
    }
    fs.chmodSync(gitdir, 0o700); // company skills can be private
    const store = new Store(gitdir);
    fs.mkdirSync(store.tmpDir, { recursive: true, mode: 0o700 });
    return store;
  }

  static open(gitdir: string): Store {
    checkAccess(gitdir, fs.constants.R_OK | fs.constants.X_OK, 'read');
    if (!fs.existsSync(path.join(gitdir, 'HEAD')) || !fs.existsSync(path.join(gitdir, 'objects'))) {
      throw new StoreError(`store ${gitdir} does not exist: run \`library init\` or \`library sync --fix\` to create it`);
    }
    return new Store(gitdir);
  }

  static async openOrCreate(gitdir: string): Promise<Store> {
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      checkAccess(gitdir, fs.constants.R_OK | fs.constants.X_OK, 'read');
      let parent = gitdir;
      while (!fs.existsSync(parent)) parent = path.dirname(parent);
      checkAccess(parent, fs.constants.W_OK | fs.constants.X_OK, 'create', gitdir);
      return Store.create(gitdir);
    }
    const store = Store.open(gitdir);
    // A writing command: one clear line now, rather than EACCES from the first object written.
    for (const dir of [gitdir, path.join(gitdir, 'objects'), path.join(gitdir, 'refs'), store.dataDir]) {
      if (fs.existsSync(dir)) checkAccess(dir, fs.constants.W_OK | fs.constants.X_OK, 'write', gitdir);
    }
    return store;
  }

  /** Whether the store has the object, loose or packed. A loose hit costs one stat; packs are read only on a miss. */
  has(oid: string): boolean {
    if (this.known.has(oid)) return true;
    if (fs.existsSync(this.loose.path(oid)) || this.packs.has(oid)) {
      this.known.add(oid);
      return true;
    }
    return false;
  }

  /** Drop ids from the "known present" set (after a repair removed them). */
  forget(oids: string[]): void {
    for (const oid of oids) this.known.delete(oid);
  }

  /**
   * A pack holding a damaged object cannot be mended in place: write every
   * other object it holds as a loose one, then remove the pack (and its index
   * files), so that the damaged objects can be written again and native git
   * stops reading the bad copy. Returns the packs removed.
   */
  explodePacksHolding(damaged: Iterable<string>): string[] {
    const bad = new Set(damaged);
    const packs = this.packs.packsHolding(bad);
    for (const pack of packs) {
      for (const oid of this.packs.idsOf(pack)) {
        if (bad.has(oid) || fs.existsSync(this.loose.path(oid))) continue;
        let obj: RawObject;
        try {
          obj = this.readObjectSync(oid);
        } catch {
          continue; // damaged too: written back from the folders, or salvaged out of the history
        }
        if (hashObject(obj.type, obj.content) !== oid) continue;
        this.known.delete(oid);
        this.writeLoose(obj.type, obj.content, oid);
      }
    }
    for (const pack of packs) {
      const stem = pack.slice(0, -'.pack'.length);
      for (const ext of ['.idx', '.rev', '.bitmap', '.pack']) fs.rmSync(`${stem}${ext}`, { force: true });
    }
    this.packs.reset();
    this.forget([...bad]);
    return packs;
  }

  async hasAnywhere(oid: string): Promise<boolean> {
    return this.has(oid);
  }

  /** Every object id in the store, loose and packed (a repair looks through them for lost commits). */
  *allObjectIds(): Generator<string> {
    const objects = path.join(this.gitdir, 'objects');
    for (const dir of fs.readdirSync(objects)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const name of fs.readdirSync(path.join(objects, dir))) if (/^[0-9a-f]{38}$/.test(name)) yield dir + name;
    }
    yield* this.packs.ids();
  }

  /** Write one object (if absent) atomically; returns its id. */
  writeObject(type: ObjectType, content: Buffer, knownOid?: string): string {
    const oid = knownOid ?? hashObject(type, content);
    if (this.has(oid)) return oid;
    this.writeLoose(type, content, oid);
    return oid;
  }

  private writeLoose(type: ObjectType, content: Buffer, oid: string): void {
    try {
      this.loose.write(type, content, oid);
    } catch (err) {
      throw new StoreError(`cannot write object ${oid} to store ${this.gitdir}: ${(err as Error).message}`, { cause: err });
    }
    this.known.add(oid);
    if (type === 'commit' || type === 'tag') this.created.add(oid);
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
    return this.readObjectSync(oid);
  }

  /** One reader for every object: the loose file if there is one, else the packs (native git may have packed it). */
  readObjectSync(oid: string): RawObject {
    let raw: Buffer | undefined;
    try {
      raw = fs.readFileSync(this.loose.path(oid));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new ObjectError(`object ${oid} in store ${this.gitdir} cannot be read (${code ?? errorMessage(err)}): check the permissions of ${this.loose.path(oid)}`, 'unreadable', { cause: err });
    }
    if (raw) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(raw);
      } catch (err) {
        throw new ObjectError(`object ${oid} in store ${this.gitdir} is corrupt (${(err as Error).message}): ${REPAIR_HINT}`, 'corrupt');
      }
      const nul = inflated.indexOf(0);
      const [type] = inflated.toString('latin1', 0, nul).split(' ');
      return { type: type as ObjectType, content: inflated.subarray(nul + 1) };
    }
    let packed: RawObject | null;
    try {
      packed = this.packs.read(oid, (base) => {
        try {
          return this.readObjectSync(base);
        } catch {
          return null;
        }
      });
    } catch (err) {
      if (err instanceof PackReadError) throw new ObjectError(`object ${oid} in store ${this.gitdir} is corrupt (pack ${err.message}): ${REPAIR_HINT}`, 'corrupt');
      throw err;
    }
    if (!packed) throw new ObjectError(`object ${oid} is missing from store ${this.gitdir}: ${REPAIR_HINT}`, 'missing');
    return packed;
  }

  private async readTyped(oid: string, expected: ObjectType): Promise<Buffer> {
    const { type, content } = await this.readObject(oid);
    if (type !== expected) throw new ObjectError(`object ${oid} in store ${this.gitdir} is a ${type}, expected a ${expected}: ${REPAIR_HINT}`, 'corrupt');
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

  /** Resolve a full ref name (refs/heads/…) to an object id, or null. Loose and packed refs alike. */
  async readRef(ref: string): Promise<string | null> {
    return this.refs.read(ref);
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
      if (!ref.startsWith('refs/')) throw new StoreError(`refusing to write ref outside refs/: ${ref}`);
      await compareAndSwapRef(this.gitdir, ref, oid, expected, () => this.readRef(ref), this.fence);
    } catch (err) {
      for (const o of [oid, ...alsoDiscard]) {
        if (!this.created.delete(o)) continue;
        fs.rmSync(this.loose.path(o), { force: true });
        this.known.delete(o);
      }
      throw err;
    }
  }

  /** Remove temp files a killed writer left. Only called while holding the lock. */
  clearTmp(): void {
    this.loose.clearTmp();
  }

  /** Remove a loose ref file that holds no object id (a repair, after reporting it). */
  removeBrokenRef(ref: string): void {
    if (!ref.startsWith('refs/')) throw new StoreError(`refusing to remove ${ref}: not a ref`);
    fs.rmSync(path.join(this.gitdir, ref), { force: true });
  }

  /** Delete a ref, loose or packed (native `git pack-refs` may have packed it). */
  async deleteRef(ref: string): Promise<void> {
    fs.rmSync(path.join(this.gitdir, ref), { force: true });
    this.refs.deletePacked(ref);
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

  /** Full names of refs under a prefix such as `refs/tags/snapshot/`, loose and packed, sorted. */
  async listRefs(prefix: string): Promise<string[]> {
    return this.refs.list(prefix);
  }
}
