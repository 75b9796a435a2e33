/**
 * Plan → folder. Each skill is written whole into a temp folder beside it (same
 * filesystem) and swapped in with renames, so an agent loading the folder sees
 * the old skill or the new one, never a mix. Leftovers of a killed run are
 * resolved by recoverLeftovers() at the start of the next.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { UnsafePathError } from '../errors.js';
import { isSafeEntryName } from '../names.js';
import type { Store } from '../store/store.js';
import type { StatCache } from '../scan/stat-cache.js';
import { checkpoint, injectWriteFault } from '../util/faults.js';

const TEMP_PATTERN = /^\.(.+)\.library-sync-(new|old|del)-[0-9a-f]+$/;

function tempName(skill: string, kind: 'new' | 'old' | 'del'): string {
  return `.${skill}.library-sync-${kind}-${randomBytes(4).toString('hex')}`;
}

/** Reads blobs once per run however many companies receive them. */
export class BlobReader {
  private readonly cache = new Map<string, Buffer>();
  private bytes = 0;
  constructor(
    private readonly store: Store,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  async read(oid: string): Promise<Buffer> {
    const hit = this.cache.get(oid);
    if (hit) return hit;
    const content = await this.store.readBlob(oid);
    if (this.bytes + content.length <= this.maxBytes) {
      this.cache.set(oid, content);
      this.bytes += content.length;
    }
    return content;
  }
}

/** Write a tree from the store into a fresh folder; report each file's stat for the cache. */
export async function writeTree(
  store: Store,
  blobs: BlobReader,
  treeOid: string,
  absDir: string,
  rel: string,
  onFile: (rel: string, st: fs.Stats, oid: string) => void,
): Promise<void> {
  fs.mkdirSync(absDir, { mode: 0o755 });
  for (const entry of await store.readTree(treeOid)) {
    if (!isSafeEntryName(entry.name)) {
      throw new UnsafePathError(`refusing to write entry ${JSON.stringify(entry.name)} of tree ${treeOid}: unsafe name`);
    }
    const abs = path.join(absDir, entry.name);
    const entryRel = `${rel}/${entry.name}`;
    if (entry.mode === '40000') {
      await writeTree(store, blobs, entry.oid, abs, entryRel, onFile);
    } else if (entry.mode === '120000') {
      injectWriteFault(abs);
      // Written as a link, never followed.
      fs.symlinkSync((await blobs.read(entry.oid)).toString('utf8'), abs);
    } else {
      injectWriteFault(abs);
      fs.writeFileSync(abs, await blobs.read(entry.oid), { flag: 'wx', mode: entry.mode === '100755' ? 0o755 : 0o644 });
      onFile(entryRel, fs.lstatSync(abs), entry.oid);
      checkpoint('skill file written');
    }
  }
}

function assertNotSymlink(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) throw new UnsafePathError(`${p} is a symlink: refusing to write through it`);
  if (!st.isDirectory()) throw new UnsafePathError(`${p} exists and is not a folder: move it away`);
}

/** Replace (or create) `companyDir/skill` with the tree `treeOid`, atomically. */
export async function writeSkill(store: Store, blobs: BlobReader, companyDir: string, skill: string, treeOid: string, cache: StatCache): Promise<void> {
  const target = path.join(companyDir, skill);
  assertNotSymlink(target);
  const fresh = path.join(companyDir, tempName(skill, 'new'));
  const stats: Array<[string, fs.Stats, string]> = [];
  try {
    await writeTree(store, blobs, treeOid, fresh, skill, (rel, st, oid) => stats.push([rel, st, oid]));
  } catch (err) {
    fs.rmSync(fresh, { recursive: true, force: true });
    throw err;
  }
  const old = path.join(companyDir, tempName(skill, 'old'));
  const hadOld = fs.existsSync(target);
  if (hadOld) {
    fs.renameSync(target, old);
    checkpoint('old skill moved aside');
  }
  fs.renameSync(fresh, target);
  checkpoint('new skill in place');
  if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  cache.deletePrefix(`${skill}/`);
  for (const [rel, st, oid] of stats) cache.set(rel, st, oid);
}

export function removeSkill(companyDir: string, skill: string, cache: StatCache): void {
  const target = path.join(companyDir, skill);
  assertNotSymlink(target);
  const doomed = path.join(companyDir, tempName(skill, 'del'));
  fs.renameSync(target, doomed);
  checkpoint('skill moved to removal');
  fs.rmSync(doomed, { recursive: true, force: true });
  cache.deletePrefix(`${skill}/`);
}

/**
 * Finish what a killed run left: a skill caught between its two renames gets
 * its old folder back (the next sync writes the new one again); every other
 * temp folder is deleted. Returns one line per action taken.
 */
export function recoverLeftovers(companyDir: string): string[] {
  const actions: string[] = [];
  const leftovers = fs.readdirSync(companyDir).filter((n) => TEMP_PATTERN.test(n));
  for (const name of leftovers.sort((a, b) => rank(a) - rank(b))) {
    const [, skill, kind] = TEMP_PATTERN.exec(name)!;
    const abs = path.join(companyDir, name);
    const target = path.join(companyDir, skill);
    if (kind === 'old' && !fs.existsSync(target)) {
      fs.renameSync(abs, target);
      actions.push(`restored ${target} from an interrupted update`);
    } else {
      fs.rmSync(abs, { recursive: true, force: true });
      actions.push(`removed leftover ${abs}`);
    }
  }
  return actions;
}

function rank(name: string): number {
  return name.includes('.library-sync-old-') ? 0 : 1;
}
