/**
 * A company's merge base (`refs/bases/<company>`) rebuilt from its history:
 * replay its distribution commits, oldest first. Each names the library
 * commit it distributed (trailer `Library-Commit:`); a skill the company held
 * exactly as that library had it then has that library version as its base,
 * and an override keeps the base it had (the merge table's nextBase).
 */
import { baseRef, companyRef } from '../refs.js';
import { parseTrailers } from '../store/objects.js';
import type { Salvager } from '../store/salvage.js';
import type { Commit, Store } from '../store/store.js';

async function firstParentChain(store: Store, head: string): Promise<Commit[]> {
  const chain: Commit[] = [];
  for (let oid: string | undefined = head; oid; ) {
    let commit: Commit;
    try {
      commit = await store.readCommit(oid);
    } catch {
      break; // a damaged history: what was read so far
    }
    chain.push(commit);
    oid = commit.parents[0];
  }
  return chain;
}

const skills = async (store: Store, tree: string) => new Map((await store.readTree(tree)).filter((e) => e.mode === '40000').map((e) => [e.name, e.oid]));

/** A company with a head and distribution history but no base: every `behind` skill would look like an override. */
export async function needsBase(store: Store, company: string): Promise<boolean> {
  if ((await store.readRef(baseRef(company))) !== null) return false;
  const head = await store.readRef(companyRef(company));
  if (!head) return false;
  return (await firstParentChain(store, head)).some((c) => parseTrailers(c.message)['Library-Commit']);
}

export async function baseFromHistory(store: Store, company: string, salvager?: Salvager): Promise<Map<string, string>> {
  const head = await store.readRef(companyRef(company));
  const base = new Map<string, string>();
  if (!head) return base;
  let first = true;
  for (const c of (await firstParentChain(store, head)).reverse()) {
    const distributed = parseTrailers(c.message)['Library-Commit'];
    if (!distributed) continue;
    let library: Map<string, string>;
    let after: Map<string, string>;
    try {
      const commit = salvager?.salvaged(distributed) ?? distributed;
      library = await skills(store, (await store.readCommit(commit)).tree);
      after = await skills(store, c.tree);
    } catch {
      continue; // that library version cannot be read: the next distribution decides
    }
    if (first) {
      // The first distribution: every library skill's base is the library's version (overrides included).
      for (const [s, t] of library) base.set(s, t);
      first = false;
      continue;
    }
    for (const s of new Set([...library.keys(), ...after.keys(), ...base.keys()])) {
      if (after.get(s) !== library.get(s)) continue; // an override: its base stays
      if (library.has(s)) base.set(s, library.get(s)!);
      else base.delete(s);
    }
  }
  if (salvager) for (const [s, t] of base) if (!salvager.intact(t)) base.delete(s);
  return base;
}
