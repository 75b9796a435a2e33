/**
 * Rebuild the search index from the store (not the folders): after a sync,
 * every library and company tree is there. Incremental: a skill version
 * already in the index (same tree id) is never read again; only where it
 * lives is recomputed, and when no ref moved, nothing is read at all.
 */
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { UsageError, errorMessage } from '../errors.js';
import { baseRef, companyRef } from '../refs.js';
import type { Logger } from '../log.js';
import { isValidName } from '../names.js';
import type { TreeEntry } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { skillMapOf } from '../company.js';
import { checkpoint } from '../util/faults.js';
import {
  INDEX_VERSION,
  parseIndex,
  removeKilledTempFiles,
  serializeIndex,
  writeIndex,
  type IndexEntry,
  type IndexSources,
  type SkillIndex,
} from './index-file.js';
import { locateVersions, type CompanySnapshot } from './locate.js';

export interface RebuildResult {
  index: string;
  /** false when the index already said exactly this. */
  written: boolean;
  /** Distinct skill versions in the index. */
  skills: number;
  /** Folder names of the skill versions read from the store this run (one per tree read). */
  read: string[];
  reused: number;
  libraryCommit: string | null;
  companies: string[];
  /** What could not be read (a damaged company or skill version), each with the reason. */
  skipped: string[];
}

export interface RebuildOptions {
  file: string;
  /** The ref holding the distributed library (config `library.ref`, else refs/heads/library). */
  libraryRef: string;
  log: Logger;
}

type Content = Omit<IndexEntry, 'library' | 'companies'>;

export async function rebuildIndex(store: Store, opts: RebuildOptions): Promise<RebuildResult> {
  return (await buildIndex(store, opts)).result;
}

/**
 * The index as the store's refs are now: the one on disk when nothing it was
 * built from has moved (a few ref reads), else updated incrementally and
 * written. `write: false` builds it in memory only.
 */
export async function buildIndex(
  store: Store,
  opts: RebuildOptions & { write?: boolean },
): Promise<{ result: RebuildResult; index: SkillIndex; /** undefined: the file on disk is this index already; null: there is none */ previousText: string | null | undefined }> {
  const { file, log } = opts;
  const started = Date.now();
  for (const f of removeKilledTempFiles(file)) log.warn({ path: f }, `removed ${f}, left by a rebuild that was killed`);
  const unreadable: string[] = [];
  const sources = await readSources(store, opts.libraryRef, unreadable);
  if (!sources.library) {
    throw new UsageError(`store ${store.gitdir} has no library yet (${opts.libraryRef}): run \`library sync --fix\` first`);
  }
  const { text: previousText, index: previous } = readPrevious(file, log);
  const result: RebuildResult = { index: file, written: false, skills: 0, read: [], reused: 0, libraryCommit: sources.library, companies: Object.keys(sources.companies), skipped: unreadable };
  const done = () => {
    // A search's own check (write: false) is not worth a line at info level.
    log[opts.write === false ? 'debug' : 'info']({ action: 'index', durationMs: Date.now() - started, skills: result.skills, read: result.read.length, written: result.written }, `search index: ${result.skills} skill versions, ${result.read.length} read`);
    return result;
  };
  if (previous && previous.store === store.gitdir && isDeepStrictEqual(previous.sources, sources)) {
    result.skills = result.reused = Object.keys(previous.skills).length;
    return { result: done(), index: previous, previousText: undefined };
  }

  const library = await validSkillMap(store, (await store.readCommit(sources.library)).tree);
  const companies: CompanySnapshot[] = [];
  // A company whose history cannot be read is left out and named; the others are indexed.
  const skip = (what: string, err: unknown) => {
    result.skipped.push(`${what}: ${errorMessage(err)}`);
    log.warn({ action: 'index' }, `search index: left out ${what}: ${errorMessage(err)}`);
  };
  for (const [name, { commit, base }] of Object.entries(sources.companies)) {
    try {
      const skills = await validSkillMap(store, (await store.readCommit(commit)).tree);
      companies.push({ name, skills, base: base ? await validSkillMap(store, base) : null });
    } catch (err) {
      skip(`company ${name}`, err);
    }
  }
  result.companies = companies.map((c) => c.name);
  const skills: Record<string, IndexEntry> = {};
  for (const [tree, where] of [...locateVersions(library, companies)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let content: Content | undefined = previous?.skills[tree] && contentOf(previous.skills[tree]);
    if (content) result.reused++;
    else {
      const folder = where.library[0] ?? where.companies[0].folder;
      log.debug({ skill: folder, tree }, `index: reading skill ${folder} (${tree.slice(0, 7)})`);
      try {
        content = await readSkill(store, tree, folder);
      } catch (err) {
        skip(`skill ${folder} (${tree.slice(0, 7)})`, err);
        continue;
      }
      result.read.push(folder);
      checkpoint('index: skill read'); // the fault suite kills a rebuild here (test/e2e/discover.test.ts)
    }
    skills[tree] = { ...content, ...where };
  }
  // Marked incomplete, so that the next rebuild (after `doctor --repair`) reads what was left out.
  const index: SkillIndex = { version: INDEX_VERSION, store: store.gitdir, sources: result.skipped.length ? { ...sources, skipped: result.skipped } : sources, skills };
  result.skills = Object.keys(skills).length;
  if (opts.write !== false) result.written = writeIndex(file, serializeIndex(index), previousText);
  return { result: done(), index, previousText };
}

/** The refs the index depends on; cheap to read, so an unchanged store costs almost nothing. */
async function readSources(store: Store, libraryRef: string, skipped: string[]): Promise<IndexSources> {
  const companies: IndexSources['companies'] = {};
  const prefix = companyRef('');
  for (const ref of (await store.listRefs(prefix)).sort()) {
    const name = ref.slice(prefix.length);
    try {
      const commit = await store.readRef(ref);
      if (!isValidName(name) || !commit) continue;
      companies[name] = { commit, base: await store.readRef(baseRef(name)) };
    } catch (err) {
      skipped.push(`company ${name}: ${errorMessage(err)}`); // a damaged ref file: left out, named
    }
  }
  return { libraryRef, library: await store.readRef(libraryRef), companies };
}

async function validSkillMap(store: Store, tree: string): Promise<Map<string, string>> {
  const map = await skillMapOf(store, tree);
  for (const name of map.keys()) if (!isValidName(name)) map.delete(name);
  return map;
}

/** The previous index, for reuse; a corrupt or foreign one is rebuilt from scratch, with a warning. */
function readPrevious(file: string, log: Logger): { text: string | null; index: SkillIndex | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { text: null, index: null };
  }
  try {
    return { text, index: parseIndex(text, file) };
  } catch (err) {
    log.warn({ path: file }, `${(err as Error).message.split(':')[0]} is unusable; rebuilding it from the store`);
    return { text, index: null };
  }
}

function contentOf(entry: IndexEntry): Content {
  const { library: _library, companies: _companies, ...content } = entry;
  return content;
}

/** Read one skill version: its file list and SKILL.md. The only place the index reads skill content. */
async function readSkill(store: Store, tree: string, folder: string): Promise<Content> {
  const root = await store.readTree(tree);
  const files: string[] = [];
  const walk = async (entries: TreeEntry[], prefix: string): Promise<void> => {
    for (const e of entries) {
      if (e.mode === '40000') await walk(await store.readTree(e.oid), `${prefix}${e.name}/`);
      else files.push(`${prefix}${e.name}`);
    }
  };
  await walk(root, '');
  const skillMd = root.find((e) => e.name === 'SKILL.md');
  const problems: string[] = [];
  let text: string | null = null;
  if (!skillMd) problems.push('no SKILL.md in the skill folder');
  else if (skillMd.mode === '120000') problems.push('SKILL.md is a symlink: not followed');
  else if (skillMd.mode === '40000') problems.push('SKILL.md is a folder, not a file');
  else text = (await store.readBlob(skillMd.oid)).toString('utf8');
  const { parseSkillMd } = await import('./skill-doc.js'); // yaml is loaded only when a skill is read
  return { ...parseSkillMd(text, folder, problems), files };
}
