/**
 * Read-only access to objects that may not be in the store yet: the store
 * itself, the library's own git repository, and folders scanned just now
 * (company folders, a plain library folder), read from disk by blob id.
 * `diff` and `report` read through this so they never write to the store.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { StoreError } from '../errors.js';
import { findGitDir, repoObjects } from '../library/source.js';
import type { ScanTree } from '../scan/scan.js';
import { scanSkillsFolder } from '../scan/scan.js';
import { StatCache } from '../scan/stat-cache.js';
import { statCacheFile } from '../scan/stat-cache-file.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import type { TreeEntry } from '../store/objects.js';
import type { ReadonlyStore } from '../store/store.js';
import type { TreeReader } from '../store/tree-files.js';

export class ObjectOverlay implements TreeReader {
  private readonly trees = new Map<string, TreeEntry[]>();
  private readonly files = new Map<string, { abs: string; link: boolean }>();
  constructor(
    private readonly stores: ReadonlyStore[],
    /** Trees computed but not written yet (ignore-filtered ones). */
    private readonly computed?: { readTree(oid: string): Promise<TreeEntry[] | undefined> },
  ) {}

  /** Make a scanned folder's trees and files readable without recording them. */
  addScan(tree: ScanTree, absDir: string): void {
    this.trees.set(tree.oid, tree.entries.map(({ name, mode, oid }) => ({ name, mode, oid })));
    for (const e of tree.entries) {
      const abs = path.join(absDir, e.name);
      if (e.tree) this.addScan(e.tree, abs);
      else if (!this.files.has(e.oid)) this.files.set(e.oid, { abs, link: e.mode === '120000' });
    }
  }

  /** Scan a folder (a company's, or a plain library) into the overlay, using its stat cache read-only. */
  addFolder(dir: string, cacheFile: string | null, config: Pick<Config, 'maxFileBytes' | 'ignore' | 'libraryDir'>): Map<string, string> {
    const scan = scanSkillsFolder(dir, { cache: new StatCache(cacheFile), maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
    this.addScan(scan.root, dir);
    return scan.skills;
  }

  private async storeWith(oid: string): Promise<ReadonlyStore | undefined> {
    for (const s of this.stores) if (await s.hasAnywhere(oid)) return s;
    return undefined;
  }

  async readTree(oid: string): Promise<TreeEntry[]> {
    const t = this.trees.get(oid) ?? (await this.computed?.readTree(oid));
    if (t) return t;
    const s = await this.storeWith(oid);
    if (!s) throw new StoreError(`tree ${oid} is neither in the store nor in a folder read this run`);
    return s.readTree(oid);
  }

  async readBlob(oid: string): Promise<Buffer> {
    const s = await this.storeWith(oid);
    if (s) return s.readBlob(oid);
    const f = this.files.get(oid);
    if (!f) throw new StoreError(`file ${oid} is neither in the store nor in a folder read this run`);
    return f.link ? Buffer.from(fs.readlinkSync(f.abs)) : fs.readFileSync(f.abs);
  }
}

/** An overlay over the store and the library as configured (its git repository, or its folder scanned now). */
export function libraryOverlay(config: Config, store: ReadonlyStore | null): ObjectOverlay {
  const stores: ReadonlyStore[] = store ? [store] : [];
  const repo = config.libraryDir ? findGitDir(config.libraryDir) : null;
  if (repo) stores.push(repoObjects(repo));
  const overlay = new ObjectOverlay(stores);
  if (config.libraryDir && !repo) {
    overlay.addFolder(config.libraryDir, store ? statCacheFile(store.dataDir, 'library') : null, config);
  }
  return overlay;
}
