/**
 * Check that every object reachable from the store's refs is present and
 * hashes to its id, and repair what the folders on disk can still provide.
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashObject, parseTag, parseTree } from './objects.js';
import type { Store } from './store.js';

export interface VerifyReport {
  refs: number;
  objects: number;
  missing: string[];
  corrupt: string[];
  /** For each missing or corrupt object, the first ref it was reached from. */
  reachedFrom: Record<string, string>;
}

export async function listAllRefs(store: Store): Promise<string[]> {
  const out: string[] = [];
  for (const prefix of ['refs/heads/', 'refs/bases/', 'refs/tags/', 'refs/notes/', 'refs/hosts/', 'refs/conflicts/']) {
    out.push(...(await store.listRefs(prefix)));
  }
  return out;
}

export async function verifyStore(store: Store): Promise<VerifyReport> {
  const refs = await listAllRefs(store);
  const seen = new Set<string>();
  const report: VerifyReport = { refs: refs.length, objects: 0, missing: [], corrupt: [], reachedFrom: {} };
  const stack: Array<[string, string]> = [];
  for (const ref of refs) {
    const oid = await store.readRef(ref);
    if (oid) stack.push([oid, ref]);
  }
  while (stack.length) {
    const [oid, ref] = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    report.objects++;
    let obj;
    try {
      obj = await store.readObject(oid);
    } catch (err) {
      (/corrupt/.test((err as Error).message) ? report.corrupt : report.missing).push(oid);
      report.reachedFrom[oid] = ref;
      continue;
    }
    if (hashObject(obj.type, obj.content) !== oid) {
      report.corrupt.push(oid);
      report.reachedFrom[oid] = ref;
      continue;
    }
    if (obj.type === 'tree') for (const e of parseTree(obj.content)) stack.push([e.oid, ref]);
    else if (obj.type === 'tag') stack.push([parseTag(obj.content).object, ref]);
    else if (obj.type === 'commit') {
      const header = obj.content.toString('utf8').split('\n\n')[0];
      for (const line of header.split('\n')) {
        if (line.startsWith('tree ') || line.startsWith('parent ')) stack.push([line.split(' ')[1], ref]);
      }
    }
  }
  return report;
}

/** Delete corrupt loose objects so that they can be written again. */
export function removeLooseObjects(store: Store, oids: string[]): void {
  for (const oid of oids) fs.rmSync(path.join(store.gitdir, 'objects', oid.slice(0, 2), oid.slice(2)), { force: true });
  store.forget(oids);
}
