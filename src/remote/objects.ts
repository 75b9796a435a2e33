/**
 * Which objects a push must send: those reachable from the new tips and not
 * from what the remote already has. Commits the remote has are found by walking
 * the history of its advertised tips; trees and blobs it has, by walking the
 * trees of its tips and of the commits our new ones sit on. Skill trees shared
 * by the library and every company are therefore sent once, not per company.
 */
import { blobReader, refusedEntry } from '../store/refused.js';
import { ReservedNameError, type Store } from '../store/store.js';

export interface SendSet {
  oids: string[];
  commits: number;
}

interface Peeled {
  tags: string[];
  commits: string[];
  trees: string[];
  blobs: string[];
}

/** Follow annotated tags down to what they name. */
async function peel(store: Store, oids: readonly string[]): Promise<Peeled> {
  const out: Peeled = { tags: [], commits: [], trees: [], blobs: [] };
  for (let oid of oids) {
    for (;;) {
      const { type, content } = await store.readObject(oid);
      if (type !== 'tag') {
        out[`${type}s` as 'commits' | 'trees' | 'blobs'].push(oid);
        break;
      }
      out.tags.push(oid);
      const m = /^object ([0-9a-f]{40})$/m.exec(content.toString('utf8'));
      if (!m) throw new Error(`tag ${oid} names no object`);
      oid = m[1];
    }
  }
  return out;
}

/** Every commit in the history of `tips`. */
async function ancestry(store: Store, tips: readonly string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  const queue = [...tips];
  while (queue.length) {
    const oid = queue.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    queue.push(...(await store.readCommit(oid)).parents);
  }
  return seen;
}

/**
 * Add every tree and blob under `tree` to `into`, not descending into trees
 * already there. With `at` (the tree's path) what is sent is checked: an entry
 * git refuses would make the receiver reject the whole pack.
 */
async function addTree(store: Store, tree: string, into: Set<string>, skip: ReadonlySet<string> = new Set(), at?: string): Promise<void> {
  if (into.has(tree) || skip.has(tree)) return;
  into.add(tree);
  for (const e of await store.readTree(tree)) {
    const p = at === undefined ? undefined : at ? `${at}/${e.name}` : e.name;
    const refused = p === undefined ? null : refusedEntry(e, blobReader(store));
    if (refused) throw new ReservedNameError(p!, refused);
    if (e.mode === '40000') await addTree(store, e.oid, into, skip, p);
    else if (!skip.has(e.oid)) into.add(e.oid);
  }
}

/**
 * `wants`: the new values of the refs to update. `haves`: the remote's advertised
 * values that exist in this store.
 */
export async function objectsToSend(store: Store, wants: readonly string[], haves: readonly string[]): Promise<SendSet> {
  const have = await peel(store, haves);
  const want = await peel(store, wants);
  const remoteCommits = await ancestry(store, have.commits);

  const send = new Set<string>();
  const sendCommits: string[] = [];
  const boundary = new Set<string>();
  const queue = [...want.commits];
  while (queue.length) {
    const oid = queue.pop()!;
    if (remoteCommits.has(oid)) {
      boundary.add(oid);
      continue;
    }
    if (send.has(oid)) continue;
    send.add(oid);
    sendCommits.push(oid);
    queue.push(...(await store.readCommit(oid)).parents);
  }

  // What the remote has: the content of its tips and of the commits ours build on.
  const remoteObjects = new Set<string>([...have.tags, ...have.blobs]);
  for (const c of new Set([...have.commits, ...boundary])) await addTree(store, (await store.readCommit(c)).tree, remoteObjects);
  for (const t of have.trees) await addTree(store, t, remoteObjects);

  for (const t of want.tags) if (!remoteObjects.has(t)) send.add(t);
  for (const b of want.blobs) if (!remoteObjects.has(b)) send.add(b);
  for (const t of want.trees) await addTree(store, t, send, remoteObjects, '');
  for (const c of sendCommits) await addTree(store, (await store.readCommit(c)).tree, send, remoteObjects, '');
  return { oids: [...send], commits: sendCommits.length };
}
