/**
 * Unified diffs between two versions of a skill, file by file, in git's
 * format. The line diff itself is the `diff` package's; binaries and mode
 * changes are reported the way git does.
 */
import { createTwoFilesPatch } from 'diff';
import { isText, type FileEntry } from '../merge/file-merge.js';
import { flattenTree, type TreeReader } from '../store/tree-files.js';

export interface BlobSource extends TreeReader {
  readBlob(oid: string): Promise<Buffer>;
}

const sameEntry = (a?: FileEntry, b?: FileEntry) => a?.oid === b?.oid && a?.mode === b?.mode;

/** The diff from tree `from` to tree `to` (either may be absent), paths shown under `prefix/`. */
export async function diffTrees(src: BlobSource, from: string | undefined, to: string | undefined, prefix: string): Promise<string> {
  if (from === to) return '';
  const [a, b] = await Promise.all([flattenTree(src, from), flattenTree(src, to)]);
  const out: string[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const [ea, eb] = [a.get(p), b.get(p)];
    if (sameEntry(ea, eb)) continue;
    const name = `${prefix}/${p}`;
    const head = [`diff --git a/${name} b/${name}`];
    if (!ea) head.push(`new file mode ${eb!.mode}`);
    else if (!eb) head.push(`deleted file mode ${ea.mode}`);
    else if (ea.mode !== eb.mode) head.push(`old mode ${ea.mode}`, `new mode ${eb.mode}`);
    if (ea?.oid === eb?.oid) {
      out.push(head.join('\n'));
      continue;
    }
    const [ca, cb] = await Promise.all([ea ? src.readBlob(ea.oid) : Buffer.alloc(0), eb ? src.readBlob(eb.oid) : Buffer.alloc(0)]);
    const [na, nb] = [ea ? `a/${name}` : '/dev/null', eb ? `b/${name}` : '/dev/null'];
    if (!isText(ca) || !isText(cb)) {
      head.push(`Binary files ${na} and ${nb} differ`);
      out.push(head.join('\n'));
      continue;
    }
    const patch = createTwoFilesPatch(na, nb, ca.toString('utf8'), cb.toString('utf8'), undefined, undefined, { context: 3 });
    // Drop the package's "=====" separator line; git's header replaces it.
    out.push(`${head.join('\n')}\n${patch.split('\n').slice(1).join('\n').trimEnd()}`);
  }
  return out.join('\n');
}
