/**
 * The ignore rules applied to trees that were not scanned from a folder: a
 * git library's committed skills, a library pushed to this store, merge bases
 * and history recorded before the rules existed, snapshot trees a rollback
 * writes. Without this a skill whose library commit holds a `.DS_Store` would
 * never equal its company copy (where the scan leaves it out), and a store
 * that recorded litter would keep calling clean copies overrides.
 *
 * Results are cached by rules, skill and tree id (`cache/ignored-trees.json`),
 * so a run whose trees did not change reads no tree at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashObject, serializeTree, type TreeEntry } from '../store/objects.js';
import type { ReadonlyStore, Store } from '../store/store.js';
import { readJsonIfExists, writeFileAtomic } from '../util/atomic.js';
import type { IgnoreMatcher } from './ignore.js';

interface CacheFile {
  rules: string;
  /** tree (or "skill/tree" when rules name paths) → the filtered tree, "" when nothing but litter remains. */
  trees: Record<string, string>;
}

export class TreeFilter {
  private readonly trees = new Map<string, string>();
  /** filtered tree → where it came from, so it can be read or written later without the caller keeping track. */
  private readonly origin = new Map<string, { src: ReadonlyStore; oid: string; skill: string }>();
  /** Trees computed in this process, readable before they are written anywhere. */
  private readonly built = new Map<string, TreeEntry[]>();
  private dirty = false;

  constructor(
    readonly rules: IgnoreMatcher,
    private readonly cacheFile: string | null,
  ) {
    let data: CacheFile | undefined;
    try {
      data = cacheFile ? readJsonIfExists<CacheFile>(cacheFile) : undefined;
    } catch {
      data = undefined; // a damaged cache costs one walk of each tree
    }
    if (data?.rules === rules.id) for (const [k, v] of Object.entries(data.trees)) this.trees.set(k, v);
  }

  /** Skill tree `oid` without its ignored paths (null: nothing left). Reads `src` only on a cache miss; writes nothing. */
  async filter(src: ReadonlyStore, oid: string, skill: string): Promise<string | null> {
    // With name-only rules (the usual case) the skill's name cannot change the answer: keyed by tree alone.
    const key = this.rules.pathDependent ? `${skill}/${oid}` : oid;
    let out = this.trees.get(key);
    if (out === undefined) {
      out = (await this.build(src, oid, skill, null)) ?? '';
      this.trees.set(key, out);
      this.dirty = true;
    }
    if (out && out !== oid) this.origin.set(out, { src, oid, skill });
    return out || null;
  }

  /** Make sure a tree this filter produced is in `dst` (with everything under it). No-op for trees it did not change. */
  async ensure(dst: Store, filtered: string): Promise<void> {
    const from = this.origin.get(filtered);
    if (from && !dst.has(filtered)) await this.build(from.src, from.oid, from.skill, dst);
  }

  /** Read a tree this filter produced, without it being in any store. */
  async readTree(oid: string): Promise<TreeEntry[] | undefined> {
    if (!this.built.has(oid) && this.origin.has(oid)) {
      const from = this.origin.get(oid)!;
      await this.build(from.src, from.oid, from.skill, null);
    }
    return this.built.get(oid);
  }

  /** As filter(), and make sure the result, with every object under it, is in `dst`. */
  async materialize(src: ReadonlyStore, dst: Store, oid: string, skill: string): Promise<string | null> {
    const filtered = await this.filter(src, oid, skill);
    if (filtered && !dst.has(filtered)) await this.build(src, oid, skill, dst);
    return filtered;
  }

  private async build(src: ReadonlyStore, oid: string, rel: string, dst: Store | null): Promise<string | null> {
    const kept: TreeEntry[] = [];
    for (const e of await src.readTree(oid)) {
      const childRel = `${rel}/${e.name}`;
      if (this.rules.ignores(childRel, e.mode === '40000')) continue;
      if (e.mode === '40000') {
        const sub = await this.build(src, e.oid, childRel, dst);
        if (sub) kept.push({ ...e, oid: sub });
      } else {
        kept.push(e);
        if (dst && dst !== src && !dst.has(e.oid)) dst.writeObject('blob', await src.readBlob(e.oid), e.oid);
      }
    }
    if (kept.length === 0) return null; // git holds no empty folder, and an empty skill is no skill
    const data = serializeTree(kept);
    const out = dst ? dst.writeObject('tree', data) : hashObject('tree', data);
    if (!dst && this.built.size < 50_000) this.built.set(out, kept);
    return out;
  }

  save(): void {
    if (!this.cacheFile || !this.dirty) return;
    fs.mkdirSync(path.dirname(this.cacheFile), { recursive: true });
    const out: CacheFile = { rules: this.rules.id, trees: Object.fromEntries(this.trees) };
    writeFileAtomic(this.cacheFile, JSON.stringify(out), 0o644, undefined, false);
    this.dirty = false;
  }
}

/** Filter every skill of a skill → tree map. */
export async function filterSkillMap(filter: TreeFilter, src: ReadonlyStore, map: ReadonlyMap<string, string>, dst: Store | null): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [skill, oid] of map) {
    const t = dst ? await filter.materialize(src, dst, oid, skill) : await filter.filter(src, oid, skill);
    if (t) out.set(skill, t);
  }
  return out;
}

const filters = new WeakMap<object, TreeFilter>();

/** One filter per store and process, its cache beside the stat caches. */
export function treeFilterFor(rules: IgnoreMatcher, store: ReadonlyStore | null): TreeFilter {
  const key = store ?? rules;
  let f = filters.get(key);
  if (!f) {
    f = new TreeFilter(rules, store ? path.join(store.dataDir, 'cache', 'ignored-trees.json') : null);
    filters.set(key, f);
  }
  return f;
}
