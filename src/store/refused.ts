/**
 * What git's fsck refuses in a tree entry, and so what no host that checks
 * objects accepts in a push: a name git refuses (a spelling of `.git`,
 * src/names.ts), a folder git reads as `.gitmodules`, or a `.gitmodules`
 * whose content fails fsck's submodule checks (src/scan/gitmodules.ts). A scan
 * never records one; an older version did, so forge-sync refuses to send such
 * history, `doctor` names it and `doctor --repair` rewrites it without them.
 */
import { isGitmodulesName, isGitReservedName } from '../names.js';
import { gitmodulesRefusal } from '../scan/gitmodules.js';
import type { TreeEntry } from './objects.js';

/** Why git refuses this entry, or null. `blob` reads a blob's content (undefined when it cannot). */
export function refusedEntry(e: Pick<TreeEntry, 'name' | 'mode' | 'oid'>, blob: (oid: string) => Buffer | undefined): string | null {
  if (isGitReservedName(e.name, e.mode === '120000')) return 'a name git refuses (a spelling of .git)';
  if (e.mode === '120000' || (e.mode as string) === '160000' || !isGitmodulesName(e.name)) return null;
  if (e.mode === '40000') return 'a folder git reads as .gitmodules and refuses';
  const content = blob(e.oid);
  const why = content ? gitmodulesRefusal(content) : null;
  return why ? `a .gitmodules git refuses (${why})` : null;
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
