/**
 * What one `upstream add`/`update`/`forget` run shares: the store's lock is
 * held (its fence guards every write, into a cache or the library folder),
 * one cache repository per upstream URL opened when first needed, one tree
 * filter (ignored files), and the library folder's writer per cache (null in
 * a dry run: nothing is written in the library).
 */
import { TreeFilter } from '../scan/filter-tree.js';
import type { Store } from '../store/store.js';
import { UpstreamCache } from './cache.js';
import { libraryWriter } from './library-folder.js';
import type { SkillUpdateIO, UpstreamSettings } from './skill-update.js';

export class UpstreamSession {
  private readonly ios = new Map<string, SkillUpdateIO>();
  readonly filter: TreeFilter;

  constructor(
    readonly settings: UpstreamSettings,
    private readonly store: Store,
    readonly dryRun: boolean,
  ) {
    this.filter = new TreeFilter(settings.ignore, null);
  }

  async io(url: string): Promise<SkillUpdateIO> {
    let io = this.ios.get(url);
    if (!io) {
      const cache = await UpstreamCache.open(this.store.dataDir, url, this.settings.timeoutMs, this.store.fence);
      const write = this.dryRun ? null : libraryWriter(cache.store, this.settings.libraryDir, this.settings.configFile, this.settings);
      io = { settings: this.settings, cache, filter: this.filter, write };
      this.ios.set(url, io);
    }
    return io;
  }
}
