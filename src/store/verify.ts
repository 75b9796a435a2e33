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
  const report: VerifyReport = { refs: refs.length, objects: 0, missing: [], corrupt: [] };
  const stack: string[] = [];
  for (const ref of refs) {
    const oid = await store.readRef(ref);
    if (oid) stack.push(oid);
  }
  while (stack.length) {
    const oid = stack.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    report.objects++;
    let obj;
    try {
      obj = await store.readObject(oid);
    } catch (err) {
      (/corrupt/.test((err as Error).message) ? report.corrupt : report.missing).push(oid);
      continue;
    }
    if (hashObject(obj.type, obj.content) !== oid) {
      report.corrupt.push(oid);
      continue;
    }
    if (obj.type === 'tree') for (const e of parseTree(obj.content)) stack.push(e.oid);
    else if (obj.type === 'tag') stack.push(parseTag(obj.content).object);
    else if (obj.type === 'commit') {
      const header = obj.content.toString('utf8').split('\n\n')[0];
      for (const line of header.split('\n')) {
        if (line.startsWith('tree ') || line.startsWith('parent ')) stack.push(line.split(' ')[1]);
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
