/**
 * macOS compares file names form-insensitively: `résumé.md` spelled NFD (as
 * HFS+ stores it, and as a zip made on a Mac holds it) and spelled NFC (as an
 * app re-saving the file writes it) are one file there. Tree ids compare the
 * bytes of names, so such a copy would look like an override forever. Before
 * the plan, a company copy whose tree differs from the library's (or the
 * merge base's) only in the Unicode form of its names is read as that tree.
 * Only trees with a non-ASCII name are ever looked at: the usual run reads
 * nothing more.
 */
import { hashObject, serializeTree, type TreeEntry } from '../store/objects.js';
import type { ScanTree } from './scan.js';

export interface TreeSource {
  readTree(oid: string): Promise<TreeEntry[]>;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Whether any name in a scanned tree is outside ASCII (the only case where forms can differ). */
export function hasNonAsciiName(tree: ScanTree): boolean {
  return tree.entries.some((e) => NON_ASCII.test(e.name) || (e.tree !== undefined && hasNonAsciiName(e.tree)));
}

/** The id the tree would have with every name in NFC; null when two names become one (a name collision, never the same tree). */
async function nfcId(source: TreeSource, oid: string, memo: Map<string, string | null>): Promise<string | null> {
  const known = memo.get(oid);
  if (known !== undefined) return known;
  const out: TreeEntry[] = [];
  const names = new Set<string>();
  let id: string | null = null;
  collide: {
    for (const e of await source.readTree(oid)) {
      const name = e.name.normalize('NFC');
      if (names.has(name)) break collide;
      names.add(name);
      const child = e.mode === '40000' ? await nfcId(source, e.oid, memo) : e.oid;
      if (child === null) break collide;
      out.push({ name, mode: e.mode, oid: child });
    }
    id = hashObject('tree', serializeTree(out));
  }
  memo.set(oid, id);
  return id;
}

/** A scanned tree, readable by id without the store. */
function scanSource(tree: ScanTree, fallback: TreeSource): TreeSource {
  const trees = new Map<string, TreeEntry[]>();
  const add = (t: ScanTree) => {
    trees.set(t.oid, t.entries);
    for (const e of t.entries) if (e.tree) add(e.tree);
  };
  add(tree);
  return { readTree: (oid) => (trees.has(oid) ? Promise.resolve(trees.get(oid)!) : fallback.readTree(oid)) };
}

/**
 * For each company skill that differs from its library version and its base
 * only in the form of its names, the tree it is the same as (library first).
 * `candidates` are the trees to compare with, per skill.
 */
export async function sameUnderNfc(
  company: ReadonlyMap<string, ScanTree>,
  candidates: (skill: string) => Array<string | undefined>,
  source: TreeSource,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const memo = new Map<string, string | null>();
  for (const [skill, tree] of company) {
    const others = candidates(skill).filter((t): t is string => t !== undefined);
    if (others.length === 0 || others.includes(tree.oid) || !hasNonAsciiName(tree)) continue;
    const mine = await nfcId(scanSource(tree, source), tree.oid, memo);
    if (mine === null) continue;
    for (const other of others) {
      if ((await nfcId(source, other, memo)) === mine) {
        out.set(skill, other);
        break;
      }
    }
  }
  return out;
}
