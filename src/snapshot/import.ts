/**
 * Record a folder tree (or a tar.gz of one) as a snapshot, so that old backups
 * become something `rollback` can use. Two layouts are accepted:
 * - the export layout: `library/<skill>/…` and `companies/<name>/<skill>/…`;
 * - the old backup layout: `<backup>/<company>/<skill>/…`.
 * Imports are untrusted: a tar entry that is absolute, climbs with `..`, or is
 * a link out of the tree, and any invalid name, refuses the whole import
 * before anything is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { isValidName } from '../names.js';
import { recordScanTree } from '../scan/record.js';
import { scanSkillsFolder, type ScanTree } from '../scan/scan.js';
import { ignoreRulesOf } from '../scan/ignore.js';
import { StatCache } from '../scan/stat-cache.js';
import type { Store } from '../store/store.js';
import { tagSnapshot, snapshotRef, writeSnapshotTree } from './snapshot.js';

export class UnsafeArchiveError extends UsageError {
  override readonly code = 'EUNSAFEARCHIVE';
}

/** Check every entry of an archive before extracting any. */
export async function checkArchive(file: string): Promise<void> {
  const problems: string[] = [];
  await tar.t({
    file,
    onReadEntry: (entry) => {
      const p = entry.path;
      const parts = p.split('/');
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
  if (problems.length) throw new UnsafeArchiveError(`refusing ${file}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; nothing was imported`);
}

const hasSkillFile = (dir: string, depth: number): boolean => {
  if (depth === 0) return fs.existsSync(path.join(dir, 'SKILL.md'));
  return fs.readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && hasSkillFile(path.join(dir, e.name), depth - 1));
};

/** Find the layout's root: skip one wrapping folder (a tar of `backup-2026…/`). */
function findLayout(root: string): { kind: 'export' | 'backup'; dir: string } {
  const entries = fs.readdirSync(root, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  if (entries.some((e) => e.isDirectory() && e.name === 'companies')) return { kind: 'export', dir: root };
  if (entries.length === 1 && entries[0].isDirectory()) {
    const inner = path.join(root, entries[0].name);
    if (fs.existsSync(path.join(inner, 'companies'))) return { kind: 'export', dir: inner };
    // <inner>/<skill>/SKILL.md: inner is a company; <inner>/<company>/<skill>/SKILL.md: inner is the backup.
    if (!hasSkillFile(inner, 1) && hasSkillFile(inner, 2)) return { kind: 'backup', dir: inner };
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

function scanImported(dir: string, what: string, config: Config): ScanTree {
  const scan = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: config.maxFileBytes, ignore: ignoreRulesOf(config) });
  const problem = scan.problems[0] ?? [...scan.blocked.values()][0];
  if (problem) throw new UsageError(`refusing import of ${what}: ${problem.message}; nothing was imported`);
  for (const e of scan.root.entries) if (e.tree) checkLinks(e.tree, path.join(dir, e.name), path.join(dir, e.name));
  return scan.root;
}

export interface ImportResult {
  snapshot: string;
  layout: 'export' | 'backup';
  companies: string[];
  library: boolean;
}

export async function importSnapshot(config: Config, store: Store, source: string, name: string): Promise<ImportResult> {
  snapshotRef(name); // validates the name before any work
  if ((await store.readRef(snapshotRef(name))) !== null) throw new UsageError(`snapshot ${name} already exists: choose another --name`);
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
      await checkArchive(abs);
      staging = fs.mkdtempSync(path.join(store.dataDir, 'import-'));
      await tar.x({ file: abs, cwd: staging, strict: true, preservePaths: false, preserveOwner: false });
      root = staging;
    }
    const layout = findLayout(root);
    const companiesDir = layout.kind === 'export' ? path.join(layout.dir, 'companies') : layout.dir;
    const companies = new Map<string, { tree: ScanTree; dir: string }>();
    for (const entry of fs.readdirSync(companiesDir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const dir = path.join(companiesDir, entry.name);
      if (!entry.isDirectory()) {
        if (layout.kind === 'export') throw new UsageError(`refusing import: ${dir} is not a company folder; nothing was imported`);
        continue;
      }
      if (!isValidName(entry.name)) throw new UsageError(`refusing import: invalid company name ${JSON.stringify(entry.name)} in ${companiesDir}; nothing was imported`);
      companies.set(entry.name, { tree: scanImported(dir, `company ${entry.name}`, config), dir });
    }
    if (companies.size === 0) throw new UsageError(`${abs} holds no company folders: expected <backup>/<company>/<skill>/ or companies/<company>/<skill>/`);
    const libraryDir = path.join(layout.dir, 'library');
    const library = layout.kind === 'export' && fs.existsSync(libraryDir) ? scanImported(libraryDir, 'the library', config) : null;

    // Everything checked: now write.
    for (const { tree, dir } of companies.values()) recordScanTree(store, tree, dir);
    if (library) recordScanTree(store, library, libraryDir);
    const snapshotTree = writeSnapshotTree(store, library?.oid ?? null, new Map([...companies].map(([n, c]) => [n, c.tree.oid])));
    const tag = await tagSnapshot(store, name, snapshotTree, `imported from ${abs} (${layout.kind} layout)`);
    return { snapshot: tag, layout: layout.kind, companies: [...companies.keys()], library: library !== null };
  } finally {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  }
}
