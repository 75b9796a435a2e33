/**
 * Record a folder tree (or a tar.gz of one) as a snapshot, so that old backups
 * become something `rollback` can use. Layouts, looked for through one
 * wrapping folder:
 * - the export layout: `library/<skill>/…` and `companies/<name>/<skill>/…`,
 *   with `folders/<name>/<encoded folder>/…` for a company kept in several folders;
 * - the old backup layout: `<backup>/<company>/<skill>/…`;
 * - copies of whole company folders (`cp -a ~/ALAI/<company>`):
 *   `<backup>/<company>/.claude/skills/<skill>/…`, mixed freely with the above.
 * An import that finds no skill at all is refused: a rollback to it would
 * empty every company. Imports are untrusted: a tar entry that is absolute, climbs with `..`, or is
 * a link out of the tree, and any invalid name, refuses the whole import
 * before anything is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { lazyRequire } from '../util/lazy-require.js';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { isSafeEntryName, isValidName } from '../names.js';
import { folderEntryName, folderKeyOf, parseFolders } from '../folders/config.js';
import { writeFolderRecordTree } from '../folders/record.js';
import { recordScanTree } from '../scan/record.js';
import { scanSkillsFolder, type ScanTree } from '../scan/scan.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { StatCache } from '../scan/stat-cache.js';
import { EMPTY_TREE_OID } from '../store/objects.js';
import type { Store } from '../store/store.js';
import { DEFAULT_ARCHIVE_LIMITS } from './limits.js';
import { tagSnapshot, snapshotRef, writeSnapshotTree } from './snapshot.js';

const tar = lazyRequire<typeof import('tar')>('tar');

export class UnsafeArchiveError extends UsageError {
  override readonly code = 'EUNSAFEARCHIVE';
}

/** What an archive may expand to (SPEC.md, `library import`); each is raised by a flag. */
export interface ArchiveLimits {
  maxEntries: number;
  maxBytes: number;
  maxFileBytes: number;
}

export { DEFAULT_ARCHIVE_LIMITS };

class ArchiveLimitError extends UnsafeArchiveError {}

/**
 * Feed the archive to a tar parser through Node's streaming gunzip (16 KiB
 * chunks, with backpressure), counting the bytes it expands to as they come:
 * node-tar's own reader inflates a whole read (16 MiB) of input at once, which
 * a gzip bomb turns into gigabytes of memory before any limit is checked.
 */
async function streamArchive(file: string, parser: NodeJS.WritableStream & { abort?(e: Error): void }, limits: ArchiveLimits): Promise<void> {
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  // A tar stream is the entries plus 512-byte headers and padding: anything much beyond the limit is not a valid archive within it.
  const maxStream = limits.maxBytes + (limits.maxEntries + 2) * 1024 + 10240;
  let expanded = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      // node-tar would inflate a compressed stream inside the tar stream (gzip in gzip, zstd, brotli) all at once: refused.
      if (expanded === 0 && ((chunk[0] === 0x1f && chunk[1] === 0x8b) || (chunk.length >= 4 && chunk.readUInt32BE(0) === 0x28b52ffd))) {
        return done(new UnsafeArchiveError(`refusing ${file}: it is not a tar or a gzip-compressed tar (it holds another compressed stream); nothing was imported`));
      }
      expanded += chunk.length;
      if (expanded > maxStream) done(new ArchiveLimitError(`refusing ${file}: it expands to more than ${maxStream} bytes of tar data (limit --max-bytes ${limits.maxBytes}); nothing was imported`));
      else done(null, chunk);
    },
  });
  const source = fs.createReadStream(file, { highWaterMark: 64 * 1024 });
  const stages: Readable[] = [source];
  if (head[0] === 0x1f && head[1] === 0x8b) stages.push(zlib.createGunzip());
  stages.push(counter);
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      for (const st of stages) st.destroy();
      parser.abort?.(err);
      reject(err);
    };
    for (const st of stages) st.on('error', fail);
    parser.on('error', fail);
    parser.on('close', () => resolve()); // after the last file of an extraction is written
    stages.reduce((from, to) => from.pipe(to as unknown as NodeJS.WritableStream) as unknown as Readable).pipe(parser);
  });
}

/** Check every entry of an archive before extracting any, within the limits, counting as the entries stream by. */
export async function checkArchive(file: string, limits: ArchiveLimits): Promise<void> {
  const problems: string[] = [];
  let entries = 0;
  let bytes = 0;
  const parser = new (tar().Parser)({
    strict: true,
    brotli: false, // never guessed: only tar and tar.gz are read, through the counted stream
    zstd: false,
    onReadEntry: (entry) => {
      const p = entry.path;
      const parts = p.split('/');
      entries++;
      bytes += entry.size ?? 0;
      const over =
        entries > limits.maxEntries ? `it has more than ${limits.maxEntries} entries (raise with --max-entries)`
        : (entry.size ?? 0) > limits.maxFileBytes ? `entry "${p}" is ${entry.size} bytes, over the per-file limit of ${limits.maxFileBytes} (raise with --max-file-bytes)`
        : bytes > limits.maxBytes ? `its entries add up to more than ${limits.maxBytes} bytes (raise with --max-bytes)`
        : null;
      if (over) {
        // Refused from the header alone: the body is never read.
        parser.abort(new ArchiveLimitError(`refusing ${file}: ${over}; nothing was imported`));
        return;
      }
      if (path.isAbsolute(p) || /^[A-Za-z]:/.test(p)) problems.push(`entry "${p}" is an absolute path`);
      else if (parts.includes('..')) problems.push(`entry "${p}" climbs out of the archive with ".."`);
      else if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        const link = entry.linkpath ?? '';
        const resolved = path.posix.normalize(entry.type === 'Link' ? link : path.posix.join(path.posix.dirname(p), link));
        if (path.posix.isAbsolute(link) || resolved.startsWith('../') || resolved === '..') {
          problems.push(`entry "${p}" is a link to "${link}", outside the archive`);
        }
      } else if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'Directory') {
        problems.push(`entry "${p}" is a ${entry.type}, not a file, folder or link`);
      }
      entry.resume();
    },
  });
  try {
    await streamArchive(file, parser, limits);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`refusing ${file}: it is not a readable tar or tar.gz (${(err as Error).message}); nothing was imported`);
  }
  if (problems.length) throw new UnsafeArchiveError(`refusing ${file}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; nothing was imported`);
}

/** Extract a checked archive into `cwd`, through the same counted stream. */
async function extractArchive(file: string, cwd: string, limits: ArchiveLimits): Promise<void> {
  const unpack = new (tar().Unpack)({ cwd, strict: true, preservePaths: false, preserveOwner: false, brotli: false, zstd: false });
  await streamArchive(file, unpack, limits);
}

/**
 * checkArchive judged each link by its text; through another link (`a/b/c/l -> ../../..`, then
 * `library -> a/b/c/l/../../../x`) a link that reads as inside can lead out, and the import would then read whatever
 * it reaches. Once extracted, every link must really resolve inside the archive (or to nothing).
 */
function checkExtractedLinks(staging: string, file: string): void {
  // The native realpath(3), as the kernel resolves: Node's own resolves a link's `..` by its text first.
  const root = fs.realpathSync.native(staging);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isSymbolicLink()) {
        let real: string;
        try {
          real = fs.realpathSync.native(abs);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // leads nowhere: nothing to read through it
          throw new UnsafeArchiveError(`refusing ${file}: entry "${path.relative(staging, abs)}" is a link that cannot be resolved (${(err as NodeJS.ErrnoException).code}); nothing was imported`);
        }
        if (real !== root && !real.startsWith(root + path.sep)) {
          throw new UnsafeArchiveError(`refusing ${file}: entry "${path.relative(staging, abs)}" is a link that leads outside the archive through another link; nothing was imported`);
        }
      }
    }
  };
  walk(staging);
}

const isDir = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
const visibleDirs = (dir: string) => fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));

/** A company copied whole (`cp -a ~/ALAI/<company>`) has its skills in `.claude/skills`; a plain backup holds them directly. */
function skillsFolderOf(companyDir: string): string {
  if (!isDir(path.join(companyDir, '.claude'))) return companyDir;
  const skills = path.join(companyDir, '.claude', 'skills');
  // A linked skills folder would import whatever it points at now, not what the backup holds.
  if (fs.lstatSync(skills, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new UnsafeArchiveError(`refusing import: ${skills} is a symlink (to "${fs.readlinkSync(skills)}"), not the skills themselves; copy them with \`cp -aL\`; nothing was imported`);
  }
  return skills;
}

const looksLikeCompany = (dir: string) => isDir(path.join(dir, '.claude', 'skills')) || visibleDirs(dir).some((e) => fs.existsSync(path.join(dir, e.name, 'SKILL.md')));

/** Find the layout's root: skip one wrapping folder (a tar of `backup-2026…/`, or of `ALAI/`). */
function findLayout(root: string): { kind: 'export' | 'backup'; dir: string } {
  const dirs = visibleDirs(root);
  if (dirs.some((e) => e.name === 'companies')) return { kind: 'export', dir: root };
  if (dirs.length === 1) {
    const inner = path.join(root, dirs[0].name);
    if (isDir(path.join(inner, 'companies'))) return { kind: 'export', dir: inner };
    // <inner>/<skill>/SKILL.md: inner is a company; <inner>/<company>/…: inner is the backup.
    if (!looksLikeCompany(inner) && visibleDirs(inner).some((e) => looksLikeCompany(path.join(inner, e.name)))) return { kind: 'backup', dir: inner };
  }
  return { kind: 'backup', dir: root };
}

/** Symlinks in imported skills may point anywhere; refuse those that leave their skill. */
function checkLinks(tree: ScanTree, absDir: string, skillRoot: string): void {
  for (const e of tree.entries) {
    const abs = path.join(absDir, e.name);
    if (e.tree) checkLinks(e.tree, abs, skillRoot ?? abs);
    else if (e.mode === '120000') {
      const target = fs.readlinkSync(abs);
      const resolved = path.resolve(absDir, target);
      if (path.isAbsolute(target) || !resolved.startsWith(skillRoot + path.sep)) {
        throw new UnsafeArchiveError(`refusing import: ${abs} is a symlink to "${target}", outside its skill; nothing was imported`);
      }
    }
  }
}

function scanImported(dir: string, what: string, config: Config, maxFileBytes: number): ScanTree {
  const scan = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes, ignore: ignoreRulesOf(config) });
  const problem = scan.problems[0] ?? [...scan.blocked.values()][0];
  if (problem) throw new UsageError(`refusing import of ${what}: ${problem.message}; nothing was imported`);
  for (const e of scan.root.entries) if (e.tree) checkLinks(e.tree, path.join(dir, e.name), path.join(dir, e.name));
  return scan.root;
}

interface FolderRecordImport {
  /** The folder's key (`.claude/skills`; its entry in the archive is encoded: `.claude%2Fskills`). */
  key: string;
  dir: string;
  tree: ScanTree;
}

/**
 * An export's `folders/<company>/<encoded folder>/`: each folder's record of a company kept in several (both sides
 * of a conflict), given back to the snapshot so that a rollback to it restores each folder's own version.
 */
function importFolderRecords(root: string, companies: ReadonlyMap<string, unknown>, config: Config, maxFileBytes: number): Map<string, FolderRecordImport[]> {
  const out = new Map<string, FolderRecordImport[]>();
  const st = fs.lstatSync(root, { throwIfNoEntry: false });
  if (!st) return out;
  if (!st.isDirectory()) throw new UsageError(`refusing import: ${root} is not a folder (an export keeps each company's folder records there); nothing was imported`);
  for (const company of fs.readdirSync(root, { withFileTypes: true })) {
    if (company.name.startsWith('.')) continue; // as under companies/: no company is named so (Finder's .DS_Store)
    const companyDir = path.join(root, company.name);
    if (!company.isDirectory() || !companies.has(company.name)) {
      throw new UsageError(`refusing import: ${companyDir} is not the folder record of a company under companies/; nothing was imported`);
    }
    const records: FolderRecordImport[] = [];
    for (const folder of fs.readdirSync(companyDir, { withFileTypes: true })) {
      const dir = path.join(companyDir, folder.name);
      if (!folder.isDirectory() && folder.name.startsWith('.')) continue; // a .DS_Store; every record is a folder
      if (!folder.isDirectory() || !isFolderEntryName(folder.name)) {
        throw new UsageError(`refusing import: ${dir} is not a folder record (a folder named by its encoded key, such as .claude%2Fskills); nothing was imported`);
      }
      const key = folderKeyOf(folder.name);
      records.push({ key, dir, tree: scanImported(dir, `folder ${key} of company ${company.name}`, config, maxFileBytes) });
    }
    out.set(company.name, records);
  }
  return out;
}

/** A name as folderEntryName() writes it, of a key config `folders` accepts as it is (inside the company, normalised). */
function isFolderEntryName(name: string): boolean {
  try {
    const key = folderKeyOf(name);
    return isSafeEntryName(name) && folderEntryName(key) === name && parseFolders([key], 'import')?.[0] === key;
  } catch {
    return false; // a malformed %-escape, or a key that climbs out or is not normalised
  }
}

export interface ImportResult {
  snapshot: string;
  dryRun: boolean;
  layout: 'export' | 'backup';
  companies: string[];
  /** Per company: how many skills were found, and in which folder (relative to the import's root). */
  found: { company: string; skills: number; folder: string }[];
  library: boolean;
  librarySkills: number | null;
}

export async function importSnapshot(
  config: Config,
  store: Store | null,
  source: string,
  name: string,
  caps: Partial<ArchiveLimits> = {},
  opts: { dryRun?: boolean } = {},
): Promise<ImportResult> {
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, maxFileBytes: config.maxFileBytes, ...caps };
  snapshotRef(name); // validates the name before any work
  if (store && (await store.readRef(snapshotRef(name))) !== null) throw new UsageError(`snapshot ${name} already exists: choose another --name`);
  const abs = path.resolve(source);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new UsageError(`${abs} does not exist: give a backup folder or a .tar.gz`);
  }
  let root = abs;
  let staging: string | null = null;
  try {
    if (st.isFile()) {
      await checkArchive(abs, limits);
      staging = fs.mkdtempSync(path.join(store?.dataDir ?? os.tmpdir(), 'import-'));
      await extractArchive(abs, staging, limits);
      checkExtractedLinks(staging, abs);
      root = staging;
    }
    const layout = findLayout(root);
    const companiesDir = layout.kind === 'export' ? path.join(layout.dir, 'companies') : layout.dir;
    const companies = new Map<string, { tree: ScanTree; dir: string; skills: number }>();
    for (const entry of fs.readdirSync(companiesDir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const companyDir = path.join(companiesDir, entry.name);
      if (!entry.isDirectory()) {
        if (layout.kind === 'export') throw new UsageError(`refusing import: ${companyDir} is not a company folder; nothing was imported`);
        continue;
      }
      if (!isValidName(entry.name)) throw new UsageError(`refusing import: invalid company name ${JSON.stringify(entry.name)} in ${companiesDir}; nothing was imported`);
      const dir = skillsFolderOf(companyDir);
      const tree = isDir(dir) ? scanImported(dir, `company ${entry.name}`, config, limits.maxFileBytes) : null;
      const skills = tree?.entries.filter((e) => e.tree).length ?? 0;
      companies.set(entry.name, { tree: tree ?? { oid: EMPTY_TREE_OID, entries: [] }, dir, skills }); // `.claude` without `skills`: none
    }
    const folders = layout.kind === 'export' ? importFolderRecords(path.join(layout.dir, 'folders'), companies, config, limits.maxFileBytes) : new Map<string, FolderRecordImport[]>();
    const libraryDir = path.join(layout.dir, 'library');
    const library = layout.kind === 'export' && fs.existsSync(libraryDir) ? scanImported(libraryDir, 'the library', config, limits.maxFileBytes) : null;
    const librarySkills = library ? library.entries.filter((e) => e.tree).length : null;
    const total = [...companies.values()].reduce((n, c) => n + c.skills, 0) + (librarySkills ?? 0);
    if (total === 0) {
      throw new UsageError(
        `refusing ${abs}: it holds no skill (${companies.size} compan${companies.size === 1 ? 'y' : 'ies'} found, none with a skill folder): expected <company>/<skill>/, <company>/.claude/skills/<skill>/ or companies/<company>/<skill>/, with at most one folder around them; nothing was imported`,
      );
    }
    const found = [...companies].map(([company, c]) => ({ company, skills: c.skills, folder: path.relative(root, c.dir) || '.' }));
    const result = { snapshot: `snapshot/${name}`, dryRun: Boolean(opts.dryRun), layout: layout.kind, companies: [...companies.keys()], found, library: library !== null, librarySkills };
    if (opts.dryRun || !store) return result;

    // Everything checked: now write.
    for (const { tree, dir } of companies.values()) recordScanTree(store, tree, dir);
    if (library) recordScanTree(store, library, libraryDir);
    const folderTrees = new Map<string, string>();
    for (const [company, records] of folders) {
      for (const r of records) recordScanTree(store, r.tree, r.dir);
      folderTrees.set(company, writeFolderRecordTree(store, new Map(records.map((r) => [r.key, r.tree.oid]))));
    }
    const snapshotTree = writeSnapshotTree(store, library?.oid ?? null, new Map([...companies].map(([n, c]) => [n, c.tree.oid])), folderTrees);
    const tag = await tagSnapshot(store, name, snapshotTree, `imported from ${abs} (${layout.kind} layout)`);
    return { ...result, snapshot: tag };
  } finally {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  }
}
