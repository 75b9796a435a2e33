/**
 * What git's fsck refuses in a tree entry, and so what no host that checks
 * objects accepts in a push: a name git refuses (a spelling of `.git`,
 * src/names.ts), a folder git reads as `.gitmodules`, or a `.gitmodules`
 * whose content fails fsck's submodule checks (src/scan/gitmodules.ts). A scan
 * never records one; an older version did, so forge-sync refuses to send such
 * history, `doctor` names it and `doctor --repair` rewrites it without them.
 */
import { isGitReservedName } from '../names.js';
import { gitmodulesEntryRefusal } from '../scan/gitmodules.js';
import type { TreeEntry } from './objects.js';

/** Why git refuses this entry, or null. `blob` reads a blob's content (undefined when it cannot). */
export function refusedEntry(e: Pick<TreeEntry, 'name' | 'mode' | 'oid'>, blob: (oid: string) => Buffer | undefined): string | null {
  if (isGitReservedName(e.name, e.mode === '120000')) return 'a name git refuses (a spelling of .git)'; // a symlinked .gitmodules among them
  const kind = e.mode === '40000' ? 'folder' : e.mode === '100644' || e.mode === '100755' ? 'file' : 'other';
  const why = gitmodulesEntryRefusal(e.name, kind, () => blob(e.oid));
  if (why === null) return null;
  return kind === 'file' ? `a .gitmodules git refuses (${why})` : `${why} git reads as .gitmodules and refuses`;
}

/** `refusedEntry`'s reader over a store's objects. */
export function blobReader(store: { readObjectSync(oid: string): { type: string; content: Buffer } }): (oid: string) => Buffer | undefined {
  return (oid) => {
    try {
      const o = store.readObjectSync(oid);
      return o.type === 'blob' ? o.content : undefined;
    } catch {
      return undefined;
    }
  };
}
