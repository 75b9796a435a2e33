/**
 * Promote: copy one company's version of a skill into the library folder, for
 * review. The library's history is the operators' to write: this never
 * commits. It returns the diff to review and the commands to commit it.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { LibrarySyncError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import { BlobReader } from '../apply/blob-reader.js';
import { captureIdentity } from '../apply/identity.js';
import { SkillWriter } from '../apply/writer.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { findGitDir } from '../library/source.js';
import { StatCache } from '../scan/stat-cache.js';
import type { Store } from '../store/store.js';
import type { SyncResult } from '../sync.js';
import { diffTrees } from './diff.js';
import { observeVersion, plannedSkillOf } from './observe.js';
import { latestReasons, readReasons, reasonKey } from './reasons.js';

export interface PromoteResult {
  skill: string;
  from: string;
  /** The promoted version (tree id), now in the library folder. */
  tree: string;
  /** The library version it replaced (kept in the store), or null for a skill new to the library. */
  replaced: string | null;
  target: string;
  libraryKind: 'git' | 'folder';
  /** Companies that have exactly this version (they are in sync once it is distributed). */
  sameIn: string[];
  reason: string | null;
  diff: string;
  /** Shell commands: review, then commit (git library only). */
  review: string | null;
  commit: string | null;
}

const sh = (s: string) => (/^[A-Za-z0-9_./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `result`: the plan as the folders are now, read under the lock this runs in. */
export async function promoteSkill(ctx: { config: Config; log: Logger }, store: Store, result: SyncResult, skill: string, from: string, force = false): Promise<PromoteResult> {
  const { config } = ctx;
  if (!config.libraryDir) {
    throw new UsageError(
      config.libraryUrl
        ? `the library is the git URL ${config.libraryUrl.url} (branch ${config.libraryUrl.branch}): promote into a clone of it (on a machine whose library is that clone's folder), then push`
        : `the library is the store ref ${config.libraryRef}: promote on the machine that has the library folder`,
    );
  }
  const repo = findGitDir(config.libraryDir);
  if (!repo && !force) {
    throw new UsageError(
      `library ${config.libraryDir} is a plain folder, not in git: there is no review step, and the next \`sync --fix\` would distribute the copy to every company; pass --force to copy anyway`,
    );
  }
  const { outcome: o, planned } = plannedSkillOf(result, from, skill);
  if (!planned || planned.company === undefined) {
    const what = planned ? `${from} deleted ${skill}: to remove it from the library, delete ${path.join(config.libraryDir, skill)} there` : `${from} has no skill ${skill}`;
    throw new UsageError(what);
  }
  if (planned.state === 'in-sync') throw new UsageError(`${from}'s ${skill} is already the library's version: nothing to promote`);
  if (result.library.uncommitted.includes(skill)) {
    throw new UsageError(`library skill ${skill} has uncommitted edits in ${config.libraryDir}: commit or discard them first, so promote overwrites nothing unsaved`);
  }

  // The company's version and the library's current one both go into the store first: nothing is lost.
  const tree = (await observeVersion(store, o, skill, planned.company, config, 'it was being promoted')).tree!;
  await result.library.copyInto(store);
  const diff = await diffTrees(store, planned.library, tree, skill);

  const target = path.join(config.libraryDir, skill);
  // The library folder is written like a company's: compare-and-swap against what was read, never through a symlink.
  const writer = new SkillWriter({
    store,
    blobs: new BlobReader(store),
    identity: captureIdentity(config.libraryDir, undefined, true, config.file),
    cache: new StatCache(null),
    maxFileBytes: config.maxFileBytes,
    ignore: ignoreRulesOf(config),
  });
  const written = await writer.write(skill, planned.library ?? null, tree);
  if (!written.done) throw new LibrarySyncError(`library skill ${target}: ${written.why}; nothing was overwritten, run the command again`);
  ctx.log.info({ company: from, skill, action: 'promote', tree, replaced: planned.library ?? null }, `promoted ${from}'s ${skill} into ${target}`);

  const reason = latestReasons(await readReasons(store)).get(reasonKey(from, skill));
  const sameIn = result.companies.filter((c) => c.skills.some((s) => s.name === skill && s.company === tree)).map((c) => c.name);
  let review: string | null = null;
  let commit: string | null = null;
  if (repo) {
    const rel = path.relative(repo.workTree, path.join(fs.realpathSync(config.libraryDir), skill));
    const message = `${skill}: promote ${from}'s version${reason?.tree === tree ? ` (${reason.reason})` : ''}`;
    review = `git -C ${sh(repo.workTree)} diff -- ${sh(rel)}; git -C ${sh(repo.workTree)} status --short -- ${sh(rel)}`;
    commit = `git -C ${sh(repo.workTree)} add -A -- ${sh(rel)} && git -C ${sh(repo.workTree)} commit -m ${sh(message)} -- ${sh(rel)}`;
  }
  return {
    skill,
    from,
    tree,
    replaced: planned.library ?? null,
    target,
    libraryKind: repo ? 'git' : 'folder',
    sameIn,
    reason: reason?.tree === tree ? reason.reason : null,
    diff,
    review,
    commit,
  };
}
