/**
 * PURE: what a push to a receiving store may do, whatever carried it (ssh or
 * `library serve`): only `refs/heads/library` and `refs/hosts/<host>/…`, never
 * a deletion, branches fast-forward only, tags never moved. git's own
 * receive.denyDeletes and receive.denyNonFastForwards only guard refs/heads/,
 * so the pre-receive hook applies these rules to every ref.
 */
import { isValidName } from '../names.js';

export const ZERO_OID = '0000000000000000000000000000000000000000';

export interface RefCommand {
  old: string;
  new: string;
  ref: string;
}

/** What the rules need to know about objects; asked only for updates of an existing ref. */
export interface ObjectFacts {
  /** `commit`, `tag`, … (null when unreadable). */
  typeOf(oid: string): string | null;
  isAncestor(ancestor: string, oid: string): boolean;
}

const short = (oid: string) => oid.slice(0, 7);
const HOSTS = /^refs\/hosts\/([^/]+)\/(.+)$/;

export function isPushableRef(ref: string): boolean {
  if (ref === 'refs/heads/library') return true;
  const m = HOSTS.exec(ref);
  return m !== null && isValidName(m[1]);
}

/** Why this command is refused, or null when it is allowed. */
export function refusal(cmd: RefCommand, facts: ObjectFacts): string | null {
  if (!isPushableRef(cmd.ref)) return 'only refs/heads/library and refs/hosts/<host>/… may be pushed here';
  if (cmd.new === ZERO_OID) return 'deleting a ref is refused: nothing pushed here is ever deleted';
  if (cmd.old === ZERO_OID) return null;
  if (/^refs\/hosts\/[^/]+\/tags\//.test(cmd.ref) || facts.typeOf(cmd.old) === 'tag') {
    return `a tag is never moved: it is ${short(cmd.old)} here`;
  }
  if (!facts.isAncestor(cmd.old, cmd.new)) return `not a fast-forward: ${short(cmd.old)} here is not an ancestor of ${short(cmd.new)}`;
  return null;
}

/** The pre-receive hook's input: one `<old> <new> <ref>` line per ref. */
export function parseCommands(input: string): RefCommand[] | string {
  const out: RefCommand[] = [];
  for (const line of input.split('\n')) {
    if (!line.trim()) continue;
    const m = /^([0-9a-f]{40}) ([0-9a-f]{40}) (\S+)$/.exec(line.trim());
    if (!m) return `not a ref update: ${JSON.stringify(line.slice(0, 100))}`;
    out.push({ old: m[1], new: m[2], ref: m[3] });
  }
  return out;
}
