/**
 * A snapshot as a plain tar.gz (`library/…`, `companies/<name>/…`, modes kept)
 * that anyone can unpack without this tool. Written to a temp file beside the
 * target and renamed, so a failed export never leaves a partial archive.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { BlobReader, writeTree } from '../apply/apply.js';
import type { Store } from '../store/store.js';
import { tempPathBeside } from '../util/atomic.js';
import { readSnapshot } from './snapshot.js';

export async function exportSnapshot(store: Store, name: string, outFile: string): Promise<{ file: string; files: number }> {
  const snap = await readSnapshot(store, name);
  const target = path.resolve(outFile);
  const staging = tempPathBeside(target);
  const tmpArchive = tempPathBeside(target);
  let files = 0;
  try {
    fs.mkdirSync(staging, { mode: 0o700 });
    const blobs = new BlobReader(store);
    const count = () => files++;
    const roots: string[] = [];
    if (snap.libraryTree) {
      await writeTree(store, blobs, snap.libraryTree, path.join(staging, 'library'), 'library', count);
      roots.push('library');
    }
    fs.mkdirSync(path.join(staging, 'companies'));
    roots.push('companies');
    for (const [company, tree] of snap.companyTrees) {
      await writeTree(store, blobs, tree, path.join(staging, 'companies', company), `companies/${company}`, count);
    }
    await tar.c({ gzip: true, file: tmpArchive, cwd: staging, portable: true }, roots);
    fs.renameSync(tmpArchive, target);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(tmpArchive, { force: true });
  }
  return { file: target, files };
}
