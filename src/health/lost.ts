/**
 * A head whose commit cannot be read (lost with the page cache before it
 * reached the disk) usually has a parent that can: look through every object
 * in the store for the newest intact commit of that ref, by the subjects this
 * tool writes (SPEC.md, "The store"). Slow (it reads every object), and only
 * `doctor --repair` does it, only for such a head.
 */
import { LIBRARY_REF } from '../refs.js';
import { parseTrailers } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { damaged, walkObjects } from '../store/verify.js';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function subjectPattern(ref: string): RegExp | null {
  if (ref === LIBRARY_REF) return /^library: /;
  const m = /^refs\/heads\/companies\/(.+)$/.exec(ref);
  if (!m) return null;
  const name = escape(m[1]);
  return new RegExp(`^(observe ${name}: |distribute library [0-9a-f]+ to ${name}: |push \\S+ to ${name}: |repair ${name}: )`);
}

/** The newest readable commit of `ref` among the store's objects, and the damaged objects its history reaches. */
export function findLostTip(store: Store, ref: string, bad: ReadonlySet<string>): { tip: string; damaged: string[] } | null {
  const pattern = subjectPattern(ref);
  if (!pattern) return null;
  const candidates: { oid: string; time: number; parents: string[] }[] = [];
  for (const oid of store.allObjectIds()) {
    if (bad.has(oid)) continue;
    let obj;
    try {
      obj = store.readObjectSync(oid);
    } catch {
      continue;
    }
    if (obj.type !== 'commit') continue;
    const text = obj.content.toString('utf8');
    const split = text.indexOf('\n\n');
    const message = text.slice(split + 2);
    if (!pattern.test(message)) continue;
    if (ref === LIBRARY_REF && !parseTrailers(message)['Library-Source']) continue;
    const header = text.slice(0, split).split('\n');
    const time = Number(/ (\d+) [+-]\d{4}$/.exec(header.find((l) => l.startsWith('committer ')) ?? '')?.[1] ?? 0);
    candidates.push({ oid, time, parents: header.filter((l) => l.startsWith('parent ')).map((l) => l.slice(7)) });
  }
  // Newest first; of two in the same second, the child (a distribution right after its observe).
  const parentsOfOthers = new Set(candidates.flatMap((c) => c.parents));
  candidates.sort((a, b) => b.time - a.time || Number(parentsOfOthers.has(a.oid)) - Number(parentsOfOthers.has(b.oid)));
  const tip = candidates[0]?.oid;
  return tip ? { tip, damaged: damaged(walkObjects(store, [[tip, ref]])) } : null;
}
