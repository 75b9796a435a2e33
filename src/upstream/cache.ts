/**
 * One bare git repository per upstream URL, under the store's data folder
 * (`<store>/library-sync/upstreams/<host-path>-<hash>.git`): system git fetches
 * into it (shallow, one commit at a time), and the project's own Store reader
 * reads its objects. The versions vendored (ignored files left out, renamed by
 * `--as`) are written into it too, so the next update finds its merge base
 * without the network. It is only a cache: deleted, it is fetched again (the
 * vendored commit by its id) and each base rebuilt and checked against the
 * lock's tree id. `gc.auto` is off, so git never prunes what we wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RemoteError, UsageError } from '../errors.js';
import type { TreeFilter } from '../scan/filter-tree.js';
import type { TreeEntry } from '../store/objects.js';
import { Store } from '../store/store.js';
import { fetchInto, gitFailureCause, runGit, type ResolvedRef } from './git.js';
import { renameSkillMd } from './rename.js';
import { cacheName, repoName } from './url.js';

export interface UpstreamSkillFolder {
  name: string;
  tree: string;
  /** Holds a SKILL.md (any case): a skill rather than some other folder. */
  isSkill: boolean;
}

export class UpstreamCache {
  private constructor(
    readonly url: string,
    readonly gitdir: string,
    readonly store: Store,
    private readonly timeoutMs: number,
  ) {}

  static async open(dataDir: string, url: string, timeoutMs: number, fence: Store['fence']): Promise<UpstreamCache> {
    const gitdir = path.join(dataDir, 'upstreams', cacheName(url));
    if (!fs.existsSync(path.join(gitdir, 'HEAD'))) {
      fs.rmSync(gitdir, { recursive: true, force: true }); // a creation that was cut off
      fs.mkdirSync(path.dirname(gitdir), { recursive: true });
      const init = await runGit(['init', '--quiet', '--bare', '--template=', gitdir], { timeoutMs, what: `cache ${gitdir}` });
      if (init.code !== 0) throw new UsageError(`cannot create the upstream cache ${gitdir}: ${gitFailureCause(init.stderr, init.code)}`);
      for (const [k, v] of [['gc.auto', '0'], ['core.logAllRefUpdates', 'false']]) {
        await runGit(['--git-dir', gitdir, 'config', k, v], { timeoutMs, what: `cache ${gitdir}` });
      }
    }
    const store = Store.open(gitdir);
    store.fence = fence; // a run that lost the store's lock writes nothing more, here or into the library
    return new UpstreamCache(url, gitdir, store, timeoutMs);
  }

  /** The commit `ref` points at, fetched if the cache lacks it. */
  async fetchRef(ref: ResolvedRef): Promise<string> {
    if (this.store.has(ref.commit)) return ref.commit;
    return fetchInto(this.gitdir, this.url, ref.fetch, this.timeoutMs);
  }

  /**
   * A commit by its id (an earlier vendored version, when the cache was lost). A server that refuses to
   * send an unadvertised commit gets a second try: every branch and tag, whole.
   */
  async ensureCommit(commit: string): Promise<void> {
    if (this.store.has(commit)) return;
    try {
      await fetchInto(this.gitdir, this.url, commit, this.timeoutMs);
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      const shallow = fs.existsSync(path.join(this.gitdir, 'shallow')) ? ['--unshallow'] : [];
      const args = ['--git-dir', this.gitdir, 'fetch', '--quiet', '--no-tags', '--no-auto-gc', ...shallow, '--', this.url, '+refs/heads/*:refs/fetched/heads/*', '+refs/tags/*:refs/fetched/tags/*'];
      const r = await runGit(args, { timeoutMs: this.timeoutMs, what: `upstream ${this.url}` });
      if (r.code !== 0) throw new RemoteError(`upstream ${this.url}: cannot fetch ${commit}: ${gitFailureCause(r.stderr, r.code)}`);
    }
    if (!this.store.has(commit)) {
      throw new RemoteError(`upstream ${this.url}: commit ${commit} (in the lock) is no longer there: its history was rewritten; re-vendor the skill with \`library upstream add\` under another name, or restore the commit upstream`);
    }
  }

  /** The tree of folder `dir` ("" = the root, "a/b") at `commit`; null when there is no such folder. */
  async treeAt(commit: string, dir: string): Promise<string | null> {
    let tree = (await this.store.readCommit(commit)).tree;
    for (const seg of dir.split('/').filter(Boolean)) {
      const e = (await this.store.readTree(tree)).find((x) => x.name === seg && x.mode === '40000');
      if (!e) return null;
      tree = e.oid;
    }
    return tree;
  }

  async folder(commit: string, dir: string): Promise<TreeEntry[] | null> {
    const tree = await this.treeAt(commit, dir);
    return tree ? this.store.readTree(tree) : null;
  }

  /** The sub-folders of `dir` at `commit`, each marked whether it holds a SKILL.md. */
  async skillFolders(commit: string, dir: string): Promise<UpstreamSkillFolder[] | null> {
    const entries = await this.folder(commit, dir);
    if (!entries) return null;
    const out: UpstreamSkillFolder[] = [];
    for (const e of entries) {
      if (e.mode !== '40000' || e.name.startsWith('.')) continue;
      const isSkill = (await this.store.readTree(e.oid)).some((x) => x.name.toLowerCase() === 'skill.md');
      out.push({ name: e.name, tree: e.oid, isSkill });
    }
    return out;
  }

  /**
   * The version of upstream skill `from` (a sub-folder of `dir`; "" for `dir` itself) at `commit` as the library
   * holds it under `name`: without its ignored files, renamed when `name` differs, every object written into the
   * cache. Null when it is not there (or nothing but ignored files is).
   */
  async vendor(commit: string, dir: string, from: string, name: string, filter: TreeFilter): Promise<string | null> {
    const raw = from === '' ? await this.treeAt(commit, dir) : ((await this.folder(commit, dir))?.find((e) => e.name === from && e.mode === '40000')?.oid ?? null);
    if (!raw) return null;
    const filtered = await filter.materialize(this.store, this.store, raw, name);
    if (!filtered || name === upstreamName(this.url, dir, from)) return filtered;
    const entries = await this.store.readTree(filtered);
    const md = entries.find((e) => e.name === 'SKILL.md' && (e.mode === '100644' || e.mode === '100755'));
    const renamed = md ? renameSkillMd(await this.store.readBlob(md.oid), name) : null;
    if (!md || !renamed) return filtered;
    const blob = this.store.writeObject('blob', renamed);
    return this.store.writeTree(entries.map((e) => (e === md ? { ...e, oid: blob } : e)));
  }
}

/** A skill's own name upstream: its folder's, or for a repository that is one skill, the repository's. */
export function upstreamName(url: string, dir: string, from: string): string {
  return from || dir.split('/').filter(Boolean).pop() || repoName(url);
}
