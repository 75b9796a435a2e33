/**
 * Keep whatever history can still be read. Given the set of damaged objects
 * (missing, corrupt, unreadable), rewrite a ref's history so that it reaches
 * none of them: a tree loses the entries that reach a damaged object (whole
 * skills, not single files, where `keepWhole` says so), a commit whose
 * content and ancestors are intact keeps its id, and one that cannot be read
 * ends the history there. Everything dropped is described in `lost`.
 */
import { blobReader, refusedEntry } from './refused.js';
import { EMPTY_TREE_OID, type ObjectType } from './objects.js';
import { parseTag, parseTree } from './objects.js';
import type { Commit, Store } from './store.js';

/** Whether the entry at `path` (e.g. `companies/Acme`) is looked into, or dropped whole when damaged. */
export type Descend = (path: string) => boolean;

/** Company and library trees: the root's entries are skills, dropped whole. */
export const SKILLS: Descend = () => false;
/** Snapshot trees: `companies/<name>/<skill>` and `library/<skill>`, skills dropped whole. */
export const SNAPSHOT: Descend = (p) => p === 'companies' || p === 'library' || /^companies\/[^/]+$/.test(p);
/** Notes and conflict trees: single files. */
export const FILES: Descend = () => true;

const short = (oid: string) => oid.slice(0, 7);

export class Salvager {
  private readonly intactMemo = new Map<string, boolean>();
  private readonly cleanMemo = new Map<string, boolean>();
  private readonly commits = new Map<string, string | null>();
  /** Commits given new ids because their content or ancestry changed. */
  rewritten = 0;

  /** `dropReserved`: also drop every entry git refuses (src/store/refused.ts), file by file. */
  constructor(
    private readonly store: Store,
    private readonly bad: ReadonlySet<string>,
    private readonly dropReserved = false,
  ) {
    this.blob = blobReader(store);
  }

  private readonly blob: (oid: string) => Buffer | undefined;

  private readable(oid: string, type?: ObjectType): boolean {
    if (this.bad.has(oid)) return false;
    try {
      const o = this.store.readObjectSync(oid);
      return type === undefined || o.type === type;
    } catch {
      return false;
    }
  }

  commitReadable(oid: string): boolean {
    return this.readable(oid, 'commit');
  }

  /** A tree (or blob) that can be kept as it is: all of it readable, and no name in it that git refuses. */
  private keepable(oid: string, mode: string): boolean {
    return this.intact(oid, mode) && (!this.dropReserved || mode !== '40000' || this.clean(oid));
  }

  /** A tree with no entry git refuses anywhere under it (read only when it is intact). */
  private clean(oid: string): boolean {
    let ok = this.cleanMemo.get(oid);
    if (ok === undefined) {
      ok = this.treeEntries(oid)!.every((e) => !refusedEntry(e, this.blob) && (e.mode !== '40000' || this.clean(e.oid)));
      this.cleanMemo.set(oid, ok);
    }
    return ok;
  }

  /** A tree (or blob) whose whole content can be read. */
  intact(oid: string, mode = '40000'): boolean {
    if (mode === '160000') return true;
    let ok = this.intactMemo.get(oid);
    if (ok !== undefined) return ok;
    if (mode !== '40000') ok = !this.bad.has(oid) && this.store.has(oid);
    else {
      ok = this.readable(oid, 'tree');
      if (ok) {
        for (const e of this.treeEntries(oid)!) {
          if (!this.intact(e.oid, e.mode)) {
            ok = false;
            break;
          }
        }
      }
    }
    this.intactMemo.set(oid, ok);
    return ok;
  }

  private treeEntries(oid: string) {
    try {
      if (this.bad.has(oid)) return null;
      const { type, content } = this.store.readObjectSync(oid);
      return type === 'tree' ? parseTree(content) : null;
    } catch {
      return null;
    }
  }

  /** The tree without what reaches a damaged object (or a name git refuses); null when the tree itself cannot be read. */
  pruneTree(oid: string, descend: Descend, lost: string[], at = '', refused: string[] = []): string | null {
    if (this.keepable(oid, '40000')) return oid;
    const entries = this.treeEntries(oid);
    if (!entries) return null;
    const kept = [];
    for (const e of entries) {
      const p = at ? `${at}/${e.name}` : e.name;
      if (this.dropReserved && refusedEntry(e, this.blob)) refused.push(p);
      else if (this.keepable(e.oid, e.mode)) kept.push(e);
      // Damage drops what `descend` says is whole (a skill); a refused name drops only itself.
      else if (e.mode === '40000' && (descend(p) || this.intact(e.oid))) {
        const sub = this.pruneTree(e.oid, descend, lost, p, refused);
        if (sub === EMPTY_TREE_OID) continue; // it held only entries git refuses: git keeps no empty folder
        if (sub) kept.push({ ...e, oid: sub });
        else lost.push(p);
      } else lost.push(p);
    }
    return this.store.writeTree(kept);
  }

  private readCommit(oid: string): Commit | null {
    if (!this.readable(oid, 'commit')) return null;
    const { content } = this.store.readObjectSync(oid);
    const text = content.toString('utf8');
    const split = text.indexOf('\n\n');
    const header = text.slice(0, split).split('\n');
    const m = /^author (.*) <(.*)> (\d+) [+-]\d{4}$/.exec(header.find((l) => l.startsWith('author ')) ?? '');
    return {
      oid,
      tree: (header.find((l) => l.startsWith('tree ')) ?? '').slice(5),
      parents: header.filter((l) => l.startsWith('parent ')).map((l) => l.slice(7)),
      author: m ? { name: m[1], email: m[2], timestamp: Number(m[3]) } : { name: 'library-sync', email: 'library-sync@localhost', timestamp: 0 },
      message: text.slice(split + 2),
      // Our own commits have committer = author (+0000); those of any other writer are rewritten only if damaged.
    };
  }

  /**
   * The commit's history without damage: the same id when nothing under it is
   * damaged, a rewritten commit otherwise, null when nothing is left.
   * Iterative: a library history can be thousands of commits deep.
   */
  commit(tip: string, descend: Descend, lost: string[]): string | null {
    const stack = [tip];
    while (stack.length) {
      const oid = stack[stack.length - 1];
      if (this.commits.has(oid)) {
        stack.pop();
        continue;
      }
      const c = this.readCommit(oid);
      if (!c) {
        this.commits.set(oid, null);
        lost.push(`commit ${short(oid)} cannot be read: the history before it is lost`);
        stack.pop();
        continue;
      }
      const pending = c.parents.filter((p) => !this.commits.has(p));
      if (pending.length) {
        stack.push(...pending);
        continue;
      }
      stack.pop();
      const parents = [...new Set(c.parents.map((p) => this.commits.get(p)).filter((p): p is string => !!p))];
      const dropped: string[] = [];
      const refused: string[] = [];
      const tree = this.pruneTree(c.tree, descend, dropped, '', refused);
      const subject = c.message.split('\n')[0];
      if (tree === null) {
        lost.push(`commit ${short(oid)} (${subject}) dropped: its tree ${short(c.tree)} cannot be read`);
        this.commits.set(oid, parents[0] ?? null);
        continue;
      }
      if (dropped.length) lost.push(`commit ${short(oid)} (${subject}) kept without ${dropped.join(', ')} (unreadable)`);
      if (refused.length) lost.push(`commit ${short(oid)} (${subject}) kept without ${refused.join(', ')} (entries git refuses)`);
      if (tree === c.tree && parents.length === c.parents.length && parents.every((p, i) => p === c.parents[i])) {
        this.commits.set(oid, oid);
        continue;
      }
      this.rewritten++;
      this.commits.set(oid, this.store.writeCommit({ tree, parents, author: c.author, message: c.message }));
    }
    return this.commits.get(tip) ?? null;
  }

  /** What became of a commit already salvaged (undefined: not seen). */
  salvaged(oid: string): string | null | undefined {
    return this.commits.get(oid);
  }

  /** An annotated tag with its commit salvaged; null when nothing is left. */
  tag(oid: string, descend: Descend, lost: string[]): string | null {
    if (!this.readable(oid, 'tag')) {
      lost.push(`tag object ${short(oid)} cannot be read`);
      return null;
    }
    const tag = parseTag(this.store.readObjectSync(oid).content);
    if (tag.type !== 'commit') return this.intact(tag.object, tag.type === 'tree' ? '40000' : '100644') ? oid : null;
    const commit = this.commit(tag.object, descend, lost);
    if (commit === tag.object) return oid;
    if (commit === null) return null;
    const note = `\nRepaired by \`library doctor --repair\`: ${lost.join('; ')}\n`;
    return this.store.writeTag({ ...tag, object: commit, message: `${tag.message.trimEnd()}\n${note}` });
  }
}
