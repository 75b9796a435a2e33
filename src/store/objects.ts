/**
 * Git object encoding: pure functions, no I/O. We hash and serialize here
 * rather than through isomorphic-git so that a no-op scan can compute tree
 * ids in memory without touching the store (and at node-crypto speed).
 */
import { createHash } from 'node:crypto';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
export type Mode = '100644' | '100755' | '120000' | '40000';

export interface TreeEntry {
  name: string;
  mode: Mode;
  oid: string;
}

export const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export function wrapObject(type: ObjectType, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
}

export function hashObject(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/** Git orders tree entries by name, comparing a folder's name as if it ended in '/'. */
function sortKey(entry: TreeEntry): string {
  return entry.mode === '40000' ? `${entry.name}/` : entry.name;
}

/**
 * Entries in git's order: by the UTF-8 bytes of their keys. JavaScript compares
 * strings by UTF-16 unit, which is the same order for every key without a
 * surrogate pair (below U+D800 and from U+E000 code points sort alike in
 * both); a key with one falls back to comparing bytes.
 */
function inGitOrder(entries: readonly TreeEntry[]): readonly TreeEntry[] {
  const keyed = entries.map((e) => ({ e, key: sortKey(e) }));
  if (keyed.some(({ key }) => /[\uD800-\uDFFF]/.test(key))) {
    return keyed.map(({ e, key }) => ({ e, bytes: Buffer.from(key) })).sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map(({ e }) => e);
  }
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map(({ e }) => e);
}

/** A tree object's content, written into one buffer (a no-op serializes a tree per company: small buffers per entry cost more than the hash). */
export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const sorted = inGitOrder(entries);
  let size = 0;
  for (const e of sorted) size += e.mode.length + Buffer.byteLength(e.name) + 22;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const e of sorted) {
    at += out.write(e.mode, at, 'latin1');
    out[at++] = 0x20;
    at += out.write(e.name, at, 'utf8');
    out[at++] = 0;
    at += out.write(e.oid, at, 'hex');
  }
  return out;
}

export function parseTree(content: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < content.length) {
    const space = content.indexOf(0x20, i);
    const nul = content.indexOf(0, space);
    const rawMode = content.toString('latin1', i, space);
    const mode = (rawMode === '040000' ? '40000' : rawMode) as Mode;
    const name = content.toString('utf8', space + 1, nul);
    const oid = content.toString('hex', nul + 1, nul + 21);
    entries.push({ name, mode, oid });
    i = nul + 21;
  }
  return entries;
}

export interface Signature {
  name: string;
  email: string;
  /** seconds since the epoch */
  timestamp: number;
}

export interface CommitData {
  tree: string;
  parents: string[];
  author: Signature;
  message: string;
}

function formatSignature(s: Signature): string {
  return `${s.name} <${s.email}> ${s.timestamp} +0000`;
}

export function serializeCommit(c: CommitData): Buffer {
  const lines = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`)];
  lines.push(`author ${formatSignature(c.author)}`, `committer ${formatSignature(c.author)}`);
  const message = c.message.endsWith('\n') ? c.message : `${c.message}\n`;
  return Buffer.from(`${lines.join('\n')}\n\n${message}`);
}

export interface TagData {
  object: string;
  type: ObjectType;
  tag: string;
  tagger: Signature;
  message: string;
}

export function serializeTag(t: TagData): Buffer {
  const message = t.message.endsWith('\n') ? t.message : `${t.message}\n`;
  return Buffer.from(`object ${t.object}\ntype ${t.type}\ntag ${t.tag}\ntagger ${formatSignature(t.tagger)}\n\n${message}`);
}

/** Trailers are `Key: value` lines in the last paragraph of a message. */
export function parseTrailers(message: string): Record<string, string> {
  const paragraphs = message.trimEnd().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  const out: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9-]*): (.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

export function parseTag(content: Buffer): TagData {
  const text = content.toString('utf8');
  const split = text.indexOf('\n\n');
  const header = split === -1 ? text : text.slice(0, split);
  const fields: Record<string, string> = {};
  for (const line of header.split('\n')) {
    const space = line.indexOf(' ');
    fields[line.slice(0, space)] = line.slice(space + 1);
  }
  const m = /^(.*) <(.*)> (\d+) [+-]\d{4}$/.exec(fields.tagger ?? '');
  return {
    object: fields.object,
    type: fields.type as ObjectType,
    tag: fields.tag,
    tagger: m ? { name: m[1], email: m[2], timestamp: Number(m[3]) } : { name: '', email: '', timestamp: 0 },
    message: split === -1 ? '' : text.slice(split + 2),
  };
}
