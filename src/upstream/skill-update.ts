/**
 * One vendored skill brought to an upstream commit: read the three versions
 * (base from the lock, ours from the library folder, theirs from the cache),
 * decide and merge (pure, src/upstream/merge.ts), validate what would be
 * written, write it, and keep the upstream's version of each conflicting file
 * for review. `add --ref` moving a pin runs the same steps.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { pathsToMergeByLine, type FileMap } from '../merge/file-merge.js';
import type { TreeFilter } from '../scan/filter-tree.js';
import type { IgnoreMatcher } from '../scan/ignore.js';
import { writePlanned, flattenTree } from '../store/tree-files.js';
import { listTree } from '../validate/listing.js';
import { folderCollisions, formatFinding } from '../validate/library.js';
import { applyStrict, validateSkill, type Finding } from '../validate/rules.js';
import type { UpstreamCache } from './cache.js';
import type { VendoredSkill } from './lock.js';
import { CONFLICTS_DIR, readLibrarySkill, recordLibrarySkill, writeConflictCopies, type libraryWriter } from './library-folder.js';
import { changedPaths, decideUpstreamSkill, mergeUpstreamSkill } from './merge.js';

export interface UpstreamSettings {
  libraryDir: string;
  configFile: string;
  maxFileBytes: number;
  /** `validation: "strict"`: warnings block a skill too. */
  strict: boolean;
  ignore: IgnoreMatcher;
  timeoutMs: number;
}

export type SkillOutcome =
  | 'added'
  | 'up-to-date'
  | 'updated'
  | 'merged'
  | 'conflict'
  | 'removed-upstream'
  | 'deleted-in-library'
  | 'invalid'
  | 'unreadable'
  | 'changed-during-run'
  | 'failed';

export interface ConflictReport {
  path: string;
  reason: string;
  /** Where the upstream's version of the file is kept for review (relative to the library folder), or null (deleted upstream). */
  upstreamCopy: string | null;
}

export interface SkillReport {
  skill: string;
  from: string;
  outcome: SkillOutcome;
  /** The upstream commit of the version taken (or looked at). */
  commit: string;
  /** The skill's tree in the library after this run (null: absent or unchanged and unknown). */
  tree: string | null;
  fromUpstream: string[];
  lineMerged: string[];
  conflicts: ConflictReport[];
  /** Validation findings that kept it from being written (invalid), or warnings of what was written. */
  findings: Finding[];
  /** Why, for outcomes that need a word (invalid, unreadable, changed-during-run, removed-upstream…). */
  message: string | null;
}

export interface SkillUpdateIO {
  settings: UpstreamSettings;
  cache: UpstreamCache;
  filter: TreeFilter;
  /** Null: a dry run, nothing is written. */
  write: ReturnType<typeof libraryWriter> | null;
}

const blank = (skill: string, from: string, commit: string): Omit<SkillReport, 'outcome'> => ({
  skill,
  from,
  commit,
  tree: null,
  fromUpstream: [],
  lineMerged: [],
  conflicts: [],
  findings: [],
  message: null,
});

export function removedMessage(url: string, dir: string, from: string, name: string, commit: string): string {
  const where = [dir, from].filter(Boolean).join('/') || 'the skill';
  return `${where} is no longer in ${url} at ${commit.slice(0, 7)}: the library's ${name} is kept; to stop following it: \`library upstream forget ${name}\``;
}

/** Validation of a version before it is written: errors (after strict) block it; `others` are the library's other skill names. */
export async function checkVersion(io: Pick<SkillUpdateIO, 'settings' | 'cache'>, name: string, tree: string, others: string[] = []): Promise<{ errors: Finding[]; warnings: Finding[] }> {
  const listing = await listTree(io.cache.store, tree, name, io.settings.maxFileBytes);
  const findings = applyStrict([...folderCollisions([name, ...others]).filter((f) => f.skill === name), ...validateSkill(listing, { maxFileBytes: io.settings.maxFileBytes })], io.settings.strict);
  return { errors: findings.filter((f) => f.severity === 'error'), warnings: findings.filter((f) => f.severity === 'warning') };
}

export const describeFindings = (findings: Finding[], libraryDir: string): string => findings.map((f) => formatFinding(f, libraryDir)).join('; ');

/**
 * The base of a vendored skill: its tree in the cache, or rebuilt from its commit (a lost cache) and checked
 * against the lock's tree id.
 */
async function baseOf(io: SkillUpdateIO, name: string, dir: string, old: VendoredSkill): Promise<string> {
  if (io.cache.store.has(old.tree)) return old.tree;
  await io.cache.ensureCommit(old.commit);
  const rebuilt = await io.cache.vendor(old.commit, dir, old.from, name, io.filter);
  if (rebuilt !== old.tree) {
    throw new UsageError(
      `the vendored version of ${name} (tree ${old.tree.slice(0, 7)} in the lock) cannot be rebuilt from ${io.cache.url} at ${old.commit.slice(0, 7)} (${rebuilt ? `got ${rebuilt.slice(0, 7)}: the config's "ignore" rules changed?` : `no ${dir ? `${dir}/` : ''}${old.from} there`})`,
    );
  }
  return rebuilt;
}

/** Bring library skill `name` (vendored as `old`, from folder `dir` of the upstream) to `commit`. */
export async function updateSkill(io: SkillUpdateIO, name: string, dir: string, old: VendoredSkill, commit: string): Promise<{ report: SkillReport; next: VendoredSkill }> {
  const { settings, cache } = io;
  const base = await baseOf(io, name, dir, old);
  const theirs = await cache.vendor(commit, dir, old.from, name, io.filter);
  const lib = readLibrarySkill(settings.libraryDir, name, settings);
  const r = blank(name, old.from, commit);
  if (lib.kind === 'unreadable') return { report: { ...r, outcome: 'unreadable', message: lib.why }, next: old };
  const ours = lib.kind === 'ok' ? lib.tree.oid : null;
  const row = decideUpstreamSkill(base, ours, theirs);
  const taken: VendoredSkill = { from: old.from, commit, tree: theirs ?? old.tree };

  if (row === 'removed-upstream') {
    return { report: { ...r, outcome: 'removed-upstream', tree: ours, message: removedMessage(cache.url, dir, old.from, name, commit) }, next: { ...old, removedUpstream: commit } };
  }
  if (row === 'deleted-in-library') {
    return { report: { ...r, outcome: 'deleted-in-library', message: `${path.join(settings.libraryDir, name)} was deleted in the library: not brought back; to stop following it: \`library upstream forget ${name}\`` }, next: old };
  }
  if (row === 'up-to-date') return { report: { ...r, outcome: 'up-to-date', tree: ours }, next: taken };

  // Rows "updated" and "merge": both the library's and the upstream's versions exist.
  if (lib.kind !== 'ok' || theirs === null) throw new Error(`internal: row ${row} of ${name} without both versions`);
  recordLibrarySkill(cache.store, settings.libraryDir, name, lib.tree);
  const [b, o, t] = await Promise.all([base, lib.tree.oid, theirs].map((oid) => flattenTree(cache.store, oid)));
  let tree = theirs;
  let merged: ReturnType<typeof mergeUpstreamSkill> | null = null;
  if (row === 'merge') {
    merged = mergeUpstreamSkill(name, { base: b, ours: o, theirs: t, texts: await textsOf(io, b, o, t) });
    writePlanned(cache.store, merged.objects);
    tree = merged.tree;
  }
  const report: SkillReport = {
    ...r,
    outcome: row === 'updated' ? 'updated' : merged!.conflicts.length > 0 ? 'conflict' : 'merged',
    tree,
    fromUpstream: merged ? merged.fromUpstream : changedPaths(b, t),
    lineMerged: merged?.lineMerged ?? [],
    conflicts: (merged?.conflicts ?? []).map((c) => ({ ...c, upstreamCopy: t.has(c.path) ? `${CONFLICTS_DIR}/${name}/${c.path}` : null })),
  };

  if (tree !== ours) {
    const { errors, warnings } = await checkVersion(io, name, tree);
    if (errors.length > 0) {
      return { report: { ...report, outcome: 'invalid', tree: ours, findings: errors, message: `not written: ${describeFindings(errors, settings.libraryDir)}` }, next: old };
    }
    report.findings = warnings;
    if (io.write) {
      const written = await io.write(name, ours, tree);
      if (!written.done) return { report: { ...report, outcome: 'changed-during-run', tree: ours, message: `${path.join(settings.libraryDir, name)}: ${written.why}; nothing was overwritten, run the command again` }, next: old };
    }
  }
  if (io.write && report.conflicts.length > 0) await keepUpstreamVersions(io, name, report.conflicts, t);
  return { report, next: taken };
}

/** The texts a line merge needs: every path both sides changed (neither a symlink). */
async function textsOf(io: SkillUpdateIO, base: FileMap, ours: FileMap, theirs: FileMap) {
  const texts = new Map<string, { base?: Buffer; library: Buffer; company: Buffer }>();
  const read = (oid: string) => io.cache.store.readBlob(oid);
  for (const p of pathsToMergeByLine(base, theirs, ours)) {
    const b = base.get(p);
    texts.set(p, { base: b ? await read(b.oid) : undefined, library: await read(theirs.get(p)!.oid), company: await read(ours.get(p)!.oid) });
  }
  return texts;
}

async function keepUpstreamVersions(io: SkillUpdateIO, name: string, conflicts: ConflictReport[], theirs: FileMap): Promise<void> {
  const files = [];
  for (const c of conflicts) {
    const e = theirs.get(c.path);
    if (e) files.push({ path: c.path, content: await io.cache.store.readBlob(e.oid), executable: e.mode === '100755', symlink: e.mode === '120000' });
  }
  writeConflictCopies(io.settings.libraryDir, name, files);
}
