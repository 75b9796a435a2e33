/**
 * A snapshot as a plain tar.gz (`library/…`, `companies/<name>/…`, and for a
 * company kept in several folders `folders/<name>/<encoded folder>/…`; modes and
 * symlinks kept) that anyone can unpack without this tool. Streamed from the
 * store into one temp file beside the target, renamed into place at the end:
 * no staging folder, so an interrupted export leaves at most that one file,
 * which a SIGTERM/SIGINT removes at once and the next export removes after a
 * SIGKILL. A target inside the library, a company folder or the store is
 * refused: a sync would record the archive (and a staging copy) as content.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { lazyRequire } from '../util/lazy-require.js';
import type { Config } from '../config.js';
import { resolveCompanies } from '../companies.js';
import { InterruptedError, UnsafePathError, UsageError } from '../errors.js';
import { isSafeEntryName, isValidName } from '../names.js';
import type { Store } from '../store/store.js';
import { removeKilledTempFiles, tempPathBeside } from '../util/atomic.js';
import { checkpoint } from '../util/faults.js';
import { readSnapshot } from './snapshot.js';

const tar = lazyRequire<typeof import('tar')>('tar');

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** The target's folder must exist and be none of the folders this tool reads or writes. */
export function checkExportTarget(config: Config, outFile: string): string {
  const target = path.resolve(outFile);
  const dir = path.dirname(target);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UsageError(`cannot write ${target}: folder ${dir} does not exist; create it first`);
  }
  if (!st.isDirectory()) throw new UsageError(`cannot write ${target}: ${dir} is not a folder`);
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) throw new UsageError(`cannot write ${target}: it is a folder; give a file name such as ${path.join(target, 'snapshot.tar.gz')}`);
  const where = path.join(real(dir), path.basename(target));
  const guarded: Array<[string, string]> = [[config.storeDir, 'the store']];
  if (config.libraryDir) guarded.push([config.libraryDir, 'the library folder']);
  for (const c of resolveCompanies(config).companies) guarded.push([c.dir, `company ${c.name}'s folder`]);
  for (const [folder, what] of guarded) {
    if (inside(where, real(folder))) {
      throw new UsageError(`refusing to export into ${what} (${folder}): ${target} would become part of what this tool syncs; write it outside the library, the company folders and the store`);
    }
  }
  return target;
}

interface TarFile {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink';
  mode: number;
  content?: Buffer;
  linkpath?: string;
}

/** Every entry of a tree, folders first, as tar entries under `prefix`. */
async function* treeEntries(store: Store, tree: string, prefix: string): AsyncGenerator<TarFile> {
  yield { path: `${prefix}/`, type: 'Directory', mode: 0o755 };
  for (const e of await store.readTree(tree)) {
    if (!isSafeEntryName(e.name)) throw new UnsafePathError(`refusing to export entry ${JSON.stringify(e.name)} of tree ${tree}: unsafe name`);
    const p = `${prefix}/${e.name}`;
    if (e.mode === '40000') yield* treeEntries(store, e.oid, p);
    else if (e.mode === '120000') yield { path: p, type: 'SymbolicLink', mode: 0o777, linkpath: (await store.readBlob(e.oid)).toString('utf8') };
    else yield { path: p, type: 'File', mode: e.mode === '100755' ? 0o755 : 0o644, content: await store.readBlob(e.oid) };
  }
}

/** A company name from a snapshot's tree becomes a path in the archive: checked as a config's would be. */
function safeCompany(name: string, snapshot: string): string {
  if (!isValidName(name)) throw new UnsafePathError(`refusing to export company ${JSON.stringify(name)} of snapshot/${snapshot}: invalid name`);
  return name;
}

/** One entry's tar blocks: a pax header when a name does not fit, the ustar header, the content padded to 512. */
function tarBlocks(f: TarFile, mtime: Date): Buffer[] {
  const size = f.content?.length ?? 0;
  const fields = { path: f.path, mode: f.mode, size, mtime, type: f.type, linkpath: f.linkpath };
  const header = new (tar().Header)(fields);
  const parts: Buffer[] = [];
  if (header.encode()) parts.push(new (tar().Pax)(fields).encode()); // long or non-ASCII names
  parts.push(header.block!);
  if (f.content && size) parts.push(f.content, Buffer.alloc((512 - (size % 512)) % 512));
  return parts;
}

/**
 * Write the archive through a temp file beside `outFile`. An abort (the CLI
 * aborts on SIGTERM, SIGINT, SIGHUP) stops it at the next block and removes
 * the temp file; so does any failure.
 */
export async function exportSnapshot(config: Config, store: Store, name: string, outFile: string, opts: { signal?: AbortSignal } = {}): Promise<{ file: string; files: number }> {
  const target = checkExportTarget(config, outFile);
  const snap = await readSnapshot(store, name);
  removeKilledTempFiles(target);
  const tmp = tempPathBeside(target);
  let files = 0;
  try {
    // Created now (not when the stream gets round to it), so that an interrupted export always knows what to remove.
    const out = fs.createWriteStream(tmp, { fd: fs.openSync(tmp, 'wx', 0o600) });
    const gzip = zlib.createGzip();
    gzip.pipe(out);
    const done = new Promise<void>((resolve, reject) => {
      out.on('finish', resolve);
      out.on('error', reject);
      gzip.on('error', reject);
    });
    const write = async (chunk: Buffer) => {
      if (opts.signal?.aborted) throw new InterruptedError(`export of snapshot/${snap.name} interrupted: nothing was written to ${target}`);
      if (!gzip.write(chunk)) await new Promise((r) => gzip.once('drain', r));
    };
    const mtime = new Date(snap.date);
    const roots: Array<[string, string]> = [];
    if (snap.libraryTree) roots.push([snap.libraryTree, 'library']);
    await write(tarBlocks({ path: 'companies/', type: 'Directory', mode: 0o755 }, mtime)[0]);
    for (const [company, tree] of snap.companyTrees) roots.push([tree, `companies/${safeCompany(company, snap.name)}`]);
    // A company kept in several folders: each folder's record (the two sides of a conflict included), under its
    // encoded key (`folders/Acme/.claude%2Fskills/`), as the snapshot holds it, so that an import gives it back.
    if (snap.folderTrees.size > 0) await write(tarBlocks({ path: 'folders/', type: 'Directory', mode: 0o755 }, mtime)[0]);
    for (const [company, tree] of snap.folderTrees) {
      const prefix = `folders/${safeCompany(company, snap.name)}`;
      await write(tarBlocks({ path: `${prefix}/`, type: 'Directory', mode: 0o755 }, mtime)[0]);
      for (const e of await store.readTree(tree)) {
        if (e.mode !== '40000') continue;
        if (!isSafeEntryName(e.name)) throw new UnsafePathError(`refusing to export folder record ${JSON.stringify(e.name)} of company ${company} in snapshot/${snap.name}: unsafe name`);
        roots.push([e.oid, `${prefix}/${e.name}`]);
      }
    }
    for (const [tree, prefix] of roots) {
      for await (const entry of treeEntries(store, tree, prefix)) {
        for (const block of tarBlocks(entry, mtime)) await write(block);
        if (entry.type !== 'Directory') {
          files++;
          checkpoint('export: file written');
        }
      }
    }
    gzip.end(Buffer.alloc(1024)); // two zero blocks end the archive
    await done;
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, target);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return { file: target, files };
}
