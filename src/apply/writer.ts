/**
 * Every write to a company folder goes through here (sync, push, rollback,
 * file merge, promote into the library folder), and every write is a
 * compare-and-swap against what the plan assumed the folder held:
 *
 *   1. the new skill is written whole into `.<skill>.library-sync-new-<hex>`;
 *   2. the current folder is moved aside (`…-old-<hex>`, or `…-del-<hex>` for a
 *      removal) and read back by content, not by stat;
 *   3. if it is not the tree the plan assumed, the company changed it while we
 *      ran: its content goes into the store, it is put back, and the skill is
 *      reported as changed during the run (an override for this run);
 *   4. otherwise the new folder is renamed in and the old one deleted.
 *
 * So whatever is deleted was, byte for byte, the tree already recorded in the
 * store. Each skill's steps run synchronously with the process's working
 * folder pinned to the company folder (chdir, then its device and inode
 * compared with the scan's): a `.claude` swapped for a symlink after the scan
 * cannot redirect a single write, since every path used is relative to the
 * folder we verified. Before each step the lock's fence is checked, so a run
 * that lost the lock writes nothing more.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { errorMessage, UnsafePathError } from '../errors.js';
import { isSafeEntryName } from '../names.js';
import { recordScanTree } from '../scan/record.js';
import { isUnrecorded, scanFolderTree, type IgnoreRules } from '../scan/scan.js';
import type { StatCache } from '../scan/stat-cache.js';
import type { Mode } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { checkpoint, injectWriteFault } from '../util/faults.js';
import type { BlobReader } from './blob-reader.js';
import { verifyIdentity, type FolderIdentity } from './identity.js';

const TEMP_PATTERN = /^\.(.+)\.library-sync-(new|old|del)-[0-9a-f]+$/;

/** Random per process, then counted: a temp name per write without a call into the random source for each. */
const RUN_TAG = randomBytes(4).toString('hex');
let tempCount = 0;

/** `litter` is never matched by TEMP_PATTERN: `recover` leaves such a folder for the user, as its error says. */
function tempName(skill: string, kind: 'new' | 'old' | 'del' | 'litter'): string {
  return `.${skill}.library-sync-${kind}-${RUN_TAG}${(tempCount++).toString(16)}`;
}

/** A file of a tree to write, read from the store before the synchronous part begins. */
interface PlannedFile {
  rel: string;
  mode: Exclude<Mode, '40000'>;
  content: Buffer;
  oid: string;
}

interface PlannedTree {
  dirs: string[];
  files: PlannedFile[];
}

async function readTreeFiles(store: Store, blobs: BlobReader, treeOid: string, rel = '', out: PlannedTree = { dirs: [], files: [] }): Promise<PlannedTree> {
  for (const entry of await store.readTree(treeOid)) {
    if (!isSafeEntryName(entry.name)) {
      throw new UnsafePathError(`refusing to write entry ${JSON.stringify(entry.name)} of tree ${treeOid}: unsafe name`);
    }
    const entryRel = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.mode === '40000') {
      out.dirs.push(entryRel);
      await readTreeFiles(store, blobs, entry.oid, entryRel, out);
    } else {
      out.files.push({ rel: entryRel, mode: entry.mode, content: await blobs.read(entry.oid), oid: entry.oid });
    }
  }
  return out;
}

/** A moved-aside folder read by content: its tree (undefined: not readable whole), and the unrecorded paths to carry over. */
interface ReadBack {
  tree: string | null | undefined;
  unrecorded: string[];
  why?: string;
}

/** What a write found. `expected` held: done as planned. Otherwise the folder was left as found. */
export type WriteResult = { done: true; leftover?: string } | { done: false; found: string | null; why: string };

export interface WriterOptions {
  store: Store;
  blobs: BlobReader;
  identity: FolderIdentity;
  cache: StatCache;
  /** Litter that is not part of any skill: never compared, and carried into the new folder (as `.git` always is). */
  ignore?: IgnoreRules;
  maxFileBytes: number;
}

export class SkillWriter {
  constructor(private readonly opts: WriterOptions) {}

  /**
   * Make `<folder>/<skill>` hold `next` (null: remove it), provided it holds
   * `expected` now (null: absent). Throws for a failure to write; returns
   * `{ done: false }` when the folder was not what the plan assumed.
   */
  async write(skill: string, expected: string | null, next: string | null): Promise<WriteResult> {
    const { store, blobs } = this.opts;
    const planned = next ? await readTreeFiles(store, blobs, next) : null;
    return this.inFolder(() => this.swap(skill, expected, planned));
  }

  /** Run `fn` synchronously with the working folder pinned to the verified company folder. */
  private inFolder<T>(fn: () => T): T {
    const previous = process.cwd();
    this.guard();
    try {
      process.chdir(this.opts.identity.dir);
      const here = fs.lstatSync('.');
      if (here.dev !== this.opts.identity.dev || here.ino !== this.opts.identity.ino) {
        throw new UnsafePathError(`${this.opts.identity.dir} is no longer the folder that was scanned (it was moved or replaced during the run): nothing written there`);
      }
      return fn();
    } finally {
      process.chdir(previous);
    }
  }

  /** The lock still ours, and the folder and its parents still the ones scanned. */
  private guard(): void {
    this.opts.store.fence?.check();
    verifyIdentity(this.opts.identity);
  }

  private swap(skill: string, expected: string | null, planned: PlannedTree | null): WriteResult {
    const fresh = planned ? this.writeFresh(skill, planned) : null;
    let incoming = fresh?.dir ?? null;
    try {
      const aside = this.moveAside(skill, planned ? 'old' : 'del');
      const found: ReadBack = aside ? this.contentOf(aside, skill) : { tree: null, unrecorded: [] };
      if (found.tree !== expected) {
        if (aside) this.putBack(aside, skill, found.tree !== undefined);
        return { done: false, found: found.tree ?? null, why: found.why ?? describe(expected, found.tree ?? null) };
      }
      // What the read-back did not record (a checkout's .git, litter of editors, Finder, Python) is never deleted: it stays where it was.
      if (found.unrecorded.length > 0) {
        if (!incoming) fs.mkdirSync((incoming = tempName(skill, 'new')), { mode: 0o755 });
        let stuck;
        try {
          stuck = carry(found.unrecorded, aside!, incoming);
        } catch (err) {
          // Moving litter back failed too: what was carried stays in a folder that `recover` leaves alone, and is named.
          const carried = incoming;
          incoming = null; // never deleted by the finally below: it holds some of the company's litter
          let kept = tempName(skill, 'litter');
          try {
            fs.renameSync(carried, kept);
          } catch {
            kept = carried;
          }
          throw new UnsafePathError(`${path.join(this.opts.identity.dir, skill)}: its litter could not be carried into the new version nor moved back (${errorMessage(err)}); the old version is in ${path.join(this.opts.identity.dir, aside!)} and some of its litter in ${path.join(this.opts.identity.dir, kept)}: move them back by hand`);
        }
        if (!stuck) checkpoint('litter carried into the new version');
        if (stuck) {
          // Nothing was carried (carry moved the others back): the old folder goes back whole, litter and all.
          this.putBack(aside!, skill, true);
          throw new UnsafePathError(
            `${path.join(this.opts.identity.dir, skill, stuck.rel)} is not part of the skill (litter or a checkout's .git) and cannot be moved into the new version (${stuck.code}): give it write permission (chmod u+w) or remove it; the skill keeps its old folder`,
          );
        }
      }
      if (incoming) {
        fs.renameSync(incoming, skill);
        incoming = null;
        checkpoint('new skill in place');
      }
      let leftover: string | undefined;
      if (aside) {
        try {
          removeMovedAside(aside);
        } catch (err) {
          // The write is done (the new version is in place): the old copy, a recorded tree, is only left over.
          leftover = `${path.join(this.opts.identity.dir, aside)} (the version replaced, recorded in the store) cannot be deleted (${errorMessage(err)}): delete it by hand`;
        }
        if (!fresh) checkpoint('skill removed');
      }
      // Not the new files' stats: each is newer than this run's scan, so the racy rule makes the next scan read it
      // anyway (an lstat per written file, and a larger cache to save, for nothing).
      this.opts.cache.forgetSkill(skill);
      return { done: true, leftover };
    } finally {
      if (incoming && fs.existsSync(incoming)) fs.rmSync(incoming, { recursive: true, force: true });
    }
  }

  private writeFresh(skill: string, planned: PlannedTree): { dir: string } {
    const dir = tempName(skill, 'new');
    fs.mkdirSync(dir, { mode: 0o755 });
    try {
      for (const d of planned.dirs) fs.mkdirSync(path.join(dir, d), { mode: 0o755 });
      for (const f of planned.files) {
        const p = path.join(dir, f.rel);
        injectWriteFault(path.join(this.opts.identity.dir, skill, f.rel));
        if (f.mode === '120000') {
          fs.symlinkSync(f.content.toString('utf8'), p); // written as a link, never followed
        } else {
          fs.writeFileSync(p, f.content, { flag: 'wx', mode: f.mode === '100755' ? 0o755 : 0o644 });
          checkpoint('skill file written');
        }
      }
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { dir };
  }

  /** Rename the skill's folder aside; null when there is none. */
  private moveAside(skill: string, kind: 'old' | 'del'): string | null {
    const st = fs.lstatSync(skill, { throwIfNoEntry: false }); // a thrown ENOENT per new skill cost more than the write
    if (!st) return null;
    const abs = path.join(this.opts.identity.dir, skill);
    if (st.isSymbolicLink()) throw new UnsafePathError(`${abs} is a symlink: refusing to write through it`);
    if (!st.isDirectory()) throw new UnsafePathError(`${abs} exists and is not a folder: move it away`);
    const aside = tempName(skill, kind);
    this.opts.store.fence?.check();
    fs.renameSync(skill, aside);
    checkpoint(kind === 'old' ? 'old skill moved aside' : 'skill moved to removal');
    return aside;
  }

  /**
   * The tree a folder holds, read by content (no stat cache), ignored files
   * left out. `undefined` tree: it could not be read whole (a file over the
   * size limit, an unreadable file), so it is certainly not what was planned.
   * A differing tree is written into the store before anything else happens.
   */
  private contentOf(dir: string, skill: string): ReadBack {
    const { store, ignore, maxFileBytes } = this.opts;
    for (let attempt = 0; ; attempt++) {
      let tree;
      try {
        tree = scanFolderTree(dir, skill, { maxFileBytes, ignore });
      } catch (err) {
        return { tree: undefined, unrecorded: [], why: `it cannot be read whole now (${(err as Error).message})` };
      }
      if (tree.entries.length === 0) return { tree: null, unrecorded: tree.unrecorded };
      try {
        recordScanTree(store, tree, dir);
        return { tree: tree.oid, unrecorded: tree.unrecorded };
      } catch (err) {
        // Still being written: read it again, so what is recorded is what is there.
        if (attempt >= 2) return { tree: undefined, unrecorded: [], why: `it kept changing while it was read (${(err as Error).message})` };
      }
    }
  }

  /** Undo moveAside. If a new folder took the name meanwhile, keep both: the moved copy stays for `recover`. */
  private putBack(aside: string, skill: string, recorded: boolean): void {
    try {
      fs.renameSync(aside, skill);
      checkpoint('changed skill put back');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      throw new UnsafePathError(
        `${path.join(this.opts.identity.dir, skill)} was replaced during the run; the version found before is in ${path.join(this.opts.identity.dir, aside)}${recorded ? ' and in the store' : ''}: move it back by hand`,
      );
    }
  }
}

/**
 * Move unrecorded paths from the old folder into the new one; a path the new version ships itself is the library's.
 * All or none: when one cannot be moved (a folder without write permission cannot change parent), those moved are
 * moved back and that path is returned, so the old folder can be put back whole. Nothing here is in the store.
 */
function carry(paths: string[], from: string, to: string): { rel: string; code: string } | null {
  const moved: string[] = [];
  for (const rel of paths) {
    const target = path.join(to, rel);
    if (fs.existsSync(target)) continue;
    try {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(path.join(from, rel), target);
    } catch (err) {
      for (const back of moved.reverse()) fs.renameSync(path.join(to, back), path.join(from, back));
      return { rel, code: (err as NodeJS.ErrnoException).code ?? errorMessage(err) };
    }
    moved.push(rel);
  }
  return null;
}

/**
 * Delete a folder this run moved aside and read back: each entry by the type
 * readdir gives (a symlink is unlinked, never followed), then the folder.
 * fs.rmSync lstat-s every entry and tries rmdir on every folder first, twice
 * the system calls; it stays the fallback for anything unexpected.
 */
function removeMovedAside(dir: string): void {
  try {
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(`${d}/${e.name}`);
        else fs.unlinkSync(`${d}/${e.name}`);
      }
      fs.rmdirSync(d);
    };
    walk(dir);
  } catch (err) {
    // A folder the company made read-only (chmod 555) keeps its entries: ours to delete (it is a recorded tree), so
    // its folders are made writable first. Folders only: a symlink is never followed, a file's mode never matters.
    if ((err as NodeJS.ErrnoException).code === 'EACCES' || (err as NodeJS.ErrnoException).code === 'EPERM') makeFoldersWritable(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function makeFoldersWritable(dir: string): void {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) return;
  fs.chmodSync(dir, st.mode | 0o700);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) makeFoldersWritable(`${dir}/${e.name}`);
}

function describe(expected: string | null, found: string | null): string {
  if (expected === null) return 'it was created during the run';
  if (found === null) return 'it was deleted during the run';
  return 'it was changed during the run';
}

/**
 * Finish what a killed run left in a company folder: a skill caught between
 * its renames gets its moved-aside folder back (`old` or `del`: the next run
 * decides again, from what is there); new folders never swapped in are
 * deleted, as are moved-aside copies whose skill is back in place (those were
 * verified equal to the recorded tree before anything else happened).
 * Returns one line per action taken.
 */
export function recoverLeftovers(companyDir: string, ignore?: IgnoreRules): string[] {
  const actions: string[] = [];
  const leftovers = fs.readdirSync(companyDir).filter((n) => TEMP_PATTERN.test(n));
  for (const name of leftovers.sort((a, b) => rank(a) - rank(b))) {
    const [, skill, kind] = TEMP_PATTERN.exec(name)!;
    const abs = path.join(companyDir, name);
    const target = path.join(companyDir, skill);
    if (kind !== 'new' && !fs.existsSync(target)) {
      fs.renameSync(abs, target);
      actions.push(`restored ${target} from an interrupted ${kind === 'old' ? 'update' : 'removal'}`);
    } else {
      // A new folder killed before its rename may hold litter already carried out of the old one: it goes back first.
      if (kind === 'new' && fs.existsSync(target)) for (const rel of returnCarried(abs, target, skill, ignore)) actions.push(`moved ${rel} back into ${target}`);
      removeMovedAside(abs);
      actions.push(`removed leftover ${abs}`);
    }
  }
  return actions;
}

/** Move what the scan never records (litter, a .git) from `from` into the skill folder `to` where it is absent there. */
function returnCarried(from: string, to: string, skill: string, ignore: IgnoreRules | undefined, sub = ''): string[] {
  const moved: string[] = [];
  for (const e of fs.readdirSync(path.join(from, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (isUnrecorded(`${skill}/${rel}`, e.name, e.isDirectory(), e.isSymbolicLink(), ignore)) {
      const target = path.join(to, rel);
      if (fs.lstatSync(target, { throwIfNoEntry: false })) continue;
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.renameSync(path.join(from, rel), target);
      moved.push(rel);
    } else if (e.isDirectory()) moved.push(...returnCarried(from, to, skill, ignore, rel));
  }
  return moved;
}

function rank(name: string): number {
  return name.includes('.library-sync-new-') ? 1 : 0;
}
