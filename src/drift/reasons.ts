/**
 * Override reasons: why a company's version of a skill is meant to differ
 * from the library. Stored as git notes (`refs/notes/overrides`) on the
 * company commit that holds the explained version, so native
 * `git log --notes=overrides companies/<name>` (and plain `git log`, via the
 * store's notes.displayRef) shows them beside the history they explain.
 *
 * A reason explains one version: the skill's tree id when it was recorded. If
 * the company edits the skill again, the new version is unexplained drift
 * until someone records a reason for it.
 */
import { UsageError } from '../errors.js';
import { recordCommit } from '../refs.js';
import type { TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';

export const NOTES_REF = 'refs/notes/overrides';
export const MAX_REASON_LENGTH = 500;

export interface OverrideReason {
  company: string;
  skill: string;
  /** The explained version of the skill; null when the override is a deletion. */
  tree: string | null;
  reason: string;
  /** ISO-8601. */
  recorded: string;
  /** The company commit the note is attached to. */
  commit: string;
}

/** One line, printable, not empty: it goes into git notes and one-line reports. */
export function checkReason(text: string | undefined): string {
  const reason = (text ?? '').trim();
  if (!reason) throw new UsageError('override needs --reason "why this company\'s version differs" (one line)');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(reason)) throw new UsageError('--reason must be one line of text: no newlines or control characters');
  if (reason.length > MAX_REASON_LENGTH) throw new UsageError(`--reason is ${reason.length} characters; keep it under ${MAX_REASON_LENGTH}`);
  return reason;
}

/** A note holds one block per explained skill: `Key: value` lines, blocks separated by a blank line. */
export function formatNote(reasons: readonly OverrideReason[]): string {
  return reasons
    .map((r) => [`Override: ${r.skill}`, `Company: ${r.company}`, `Reason: ${r.reason}`, `Skill-Tree: ${r.tree ?? 'deleted'}`, `Recorded: ${r.recorded}`].join('\n'))
    .join('\n\n')
    .concat('\n');
}

export function parseNote(text: string, commit: string): OverrideReason[] {
  const out: OverrideReason[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const m = /^([A-Za-z-]+): (.*)$/.exec(line);
      if (m) fields[m[1]] = m[2];
    }
    if (!fields.Override || !fields.Company || fields.Reason === undefined) continue;
    const tree = fields['Skill-Tree'];
    out.push({
      company: fields.Company,
      skill: fields.Override,
      tree: tree && tree !== 'deleted' ? tree : null,
      reason: fields.Reason,
      recorded: fields.Recorded ?? '',
      commit,
    });
  }
  return out;
}

/** Every note under a notes tree; native git may fan the names out as `ab/cdef…`. */
async function noteEntries(store: Store, tree: string, prefix = ''): Promise<{ commit: string; blob: string }[]> {
  const out: { commit: string; blob: string }[] = [];
  for (const e of await store.readTree(tree)) {
    if (e.mode === '40000') out.push(...(await noteEntries(store, e.oid, prefix + e.name)));
    else if (/^[0-9a-f]{40}$/.test(prefix + e.name)) out.push({ commit: prefix + e.name, blob: e.oid });
  }
  return out;
}

export async function readReasons(store: Store | null): Promise<OverrideReason[]> {
  const tip = store ? await store.readRef(NOTES_REF) : null;
  if (!store || !tip) return [];
  const out: OverrideReason[] = [];
  for (const n of await noteEntries(store, (await store.readCommit(tip)).tree)) {
    out.push(...parseNote((await store.readBlob(n.blob)).toString('utf8'), n.commit));
  }
  return out;
}

export const reasonKey = (company: string, skill: string) => `${company}/${skill}`;

/** The newest reason per company and skill. */
export function latestReasons(reasons: readonly OverrideReason[]): Map<string, OverrideReason> {
  const map = new Map<string, OverrideReason>();
  for (const r of reasons) {
    const key = reasonKey(r.company, r.skill);
    const old = map.get(key);
    if (!old || old.recorded < r.recorded) map.set(key, r);
  }
  return map;
}

/** Attach a reason to `commit` (a company commit holding the explained version). Returns the notes commit. */
export async function writeReason(store: Store, r: OverrideReason): Promise<string> {
  const tip = await store.readRef(NOTES_REF);
  const entries: TreeEntry[] = tip ? await store.readTree((await store.readCommit(tip)).tree) : [];
  const existing = entries.find((e) => e.name === r.commit && e.mode !== '40000');
  const others = existing ? parseNote((await store.readBlob(existing.oid)).toString('utf8'), r.commit) : [];
  const blocks = [...others.filter((o) => !(o.company === r.company && o.skill === r.skill)), r];
  const blob = store.writeObject('blob', Buffer.from(formatNote(blocks)));
  const tree = store.writeTree([...entries.filter((e) => e.name !== r.commit), { name: r.commit, mode: '100644', oid: blob }]);
  const message = `override ${r.skill} in ${r.company}: ${r.reason}\n`;
  const commit = await recordCommit(store, NOTES_REF, tip, { tree, message });
  // Plain `git log` on the store shows these notes too.
  store.addConfigValue('notes', 'displayRef', NOTES_REF);
  return commit;
}
