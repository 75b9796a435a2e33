/**
 * Check that every object reachable from the store's refs is present,
 * readable and hashes to its id. Every ref under refs/ is walked (loose and
 * packed), each distinct object read once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { blobReader, refusedEntry } from './refused.js';
import { hashObject, parseTag, parseTree } from './objects.js';
import { ObjectError, type Store } from './store.js';

export interface VerifyReport {
  refs: number;
  objects: number;
  missing: string[];
  corrupt: string[];
  /** Present but not readable by this user (permissions). */
  unreadable: string[];
  /** For each damaged object, the first ref it was reached from. */
  reachedFrom: Record<string, string>;
  /** Entries git refuses (src/store/refused.ts, written by an older version): the first ref and path each tree was reached by, and why. */
  reserved: { ref: string; path: string; tree: string; why: string }[];
  /** Ref files that do not hold an object id. */
  brokenRefs: { ref: string; error: string }[];
}

export async function listAllRefs(store: Store): Promise<string[]> {
  return store.listRefs('refs/');
}

/** The ids an object points at: a tree's entries, a tag's object, a commit's tree and parents. */
export function childrenOf(type: string, content: Buffer): string[] {
  if (type === 'tree') return parseTree(content).filter((e) => e.mode !== '160000' as string).map((e) => e.oid);
  if (type === 'tag') return [parseTag(content).object];
  if (type === 'commit') {
    const header = content.toString('utf8').split('\n\n')[0];
    return header.split('\n').filter((l) => l.startsWith('tree ') || l.startsWith('parent ')).map((l) => l.split(' ')[1]);
  }
  return [];
}

/** Walk everything reachable from `roots` ([object, label]); `seen` may be shared between walks. */
export function walkObjects(store: Store, roots: Array<[string, string]>, seen = new Set<string>()): Omit<VerifyReport, 'refs' | 'brokenRefs'> {
  const report = { objects: 0, missing: [] as string[], corrupt: [] as string[], unreadable: [] as string[], reachedFrom: {} as Record<string, string>, reserved: [] as VerifyReport['reserved'] };
  // [object, ref label, path of a tree within its commit ('' for a commit's root)]
  const stack: Array<[string, string, string]> = roots.map(([oid, label]) => [oid, label, '']);
  const read = blobReader(store);
  while (stack.length) {
    const [oid, label, at] = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    report.objects++;
    let obj;
    try {
      obj = store.readObjectSync(oid);
    } catch (err) {
      report[err instanceof ObjectError ? err.problem : 'unreadable'].push(oid);
      report.reachedFrom[oid] = label;
      continue;
    }
    if (hashObject(obj.type, obj.content) !== oid) {
      report.corrupt.push(oid);
      report.reachedFrom[oid] = label;
      continue;
    }
    if (obj.type === 'tree') {
      for (const e of parseTree(obj.content)) {
        if ((e.mode as string) === '160000') continue;
        const p = at ? `${at}/${e.name}` : e.name;
        const why = refusedEntry(e, read);
        if (why) report.reserved.push({ ref: label, path: p, tree: oid, why });
        stack.push([e.oid, label, p]);
      }
    } else for (const child of childrenOf(obj.type, obj.content)) stack.push([child, label, '']);
  }
  return report;
}

export async function verifyStore(store: Store): Promise<VerifyReport> {
  const refs = await listAllRefs(store);
  const roots: Array<[string, string]> = [];
  const brokenRefs: VerifyReport['brokenRefs'] = [];
  for (const ref of refs) {
    try {
      const oid = await store.readRef(ref);
      if (oid) roots.push([oid, ref]);
    } catch (err) {
      brokenRefs.push({ ref, error: errorMessage(err) });
    }
  }
  return { refs: refs.length, brokenRefs, ...walkObjects(store, roots) };
}

export const damaged = (r: Omit<VerifyReport, 'refs' | 'brokenRefs'>): string[] => [...r.missing, ...r.corrupt, ...r.unreadable];

/** Delete damaged loose objects so that they can be written again. */
export function removeLooseObjects(store: Store, oids: string[]): void {
  for (const oid of oids) fs.rmSync(path.join(store.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)), { force: true });
  store.forget(oids);
}
