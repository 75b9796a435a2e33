/**
 * Listings for the validation rules, from a folder on disk or from a git
 * tree (a library repository's HEAD or index, or the store). Symlinks are
 * read, never followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gitmodulesEntryRefusal } from '../scan/gitmodules.js';
import type { ReadonlyStore } from '../store/store.js';
import type { SkillFile, SkillListing } from './rules.js';

/** SkillFile.gitmodules: why git's fsck refuses the entry as `.gitmodules`, if it does. */
const gitmodules = (name: string, kind: SkillFile['kind'], content: () => Buffer | null) => gitmodulesEntryRefusal(name, kind === 'submodule' ? 'other' : kind, content) ?? undefined;

/**
 * A folder's entry names, read as bytes: a name that is not valid UTF-8 comes
 * back lossily decoded (with U+FFFD), flagged, so it is reported, never
 * opened under a name that does not exist.
 */
export function readNames(dir: string): { name: string; decodable: boolean }[] {
  return fs
    .readdirSync(dir, { encoding: 'buffer' })
    .map((raw) => {
      const name = raw.toString('utf8');
      return { name, decodable: Buffer.from(name, 'utf8').equals(raw) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function listFolder(skillDir: string, name: string, maxFileBytes: number): SkillListing {
  const files: SkillFile[] = [];
  let skillMd: Buffer | null = null;
  const walk = (abs: string, rel: string) => {
    for (const { name: entry, decodable } of readNames(abs)) {
      if (entry === '.git') continue; // never recorded (see scan)
      const a = path.join(abs, entry);
      const r = rel ? `${rel}/${entry}` : entry;
      if (!decodable) {
        files.push({ path: r, kind: 'file', size: 0 }); // the rules report the U+FFFD in its name
        continue;
      }
      const st = fs.lstatSync(a);
      const refused = (kind: SkillFile['kind']) => gitmodules(entry, kind, () => (st.size <= maxFileBytes ? fs.readFileSync(a) : null));
      if (st.isDirectory()) {
        files.push({ path: r, kind: 'folder', size: 0, gitmodules: refused('folder') });
        walk(a, r);
      } else if (st.isSymbolicLink()) files.push({ path: r, kind: 'symlink', size: st.size, target: fs.readlinkSync(a), gitmodules: refused('symlink') });
      else if (st.isFile()) {
        files.push({ path: r, kind: 'file', size: st.size, gitmodules: refused('file') });
        if (r === 'SKILL.md' && st.size <= maxFileBytes) skillMd = fs.readFileSync(a);
      } else files.push({ path: r, kind: 'other', size: 0 });
    }
  };
  walk(skillDir, '');
  return { name, files, skillMd };
}

export async function listTree(store: ReadonlyStore, tree: string, name: string, maxFileBytes: number): Promise<SkillListing> {
  const files: SkillFile[] = [];
  let skillMd: Buffer | null = null;
  const walk = async (oid: string, rel: string) => {
    for (const e of await store.readTree(oid)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.mode === '40000') {
        files.push({ path: r, kind: 'folder', size: 0, gitmodules: gitmodules(e.name, 'folder', () => null) });
        await walk(e.oid, r);
      } else if (e.mode === '120000') files.push({ path: r, kind: 'symlink', size: 0, target: (await store.readBlob(e.oid)).toString('utf8'), gitmodules: gitmodules(e.name, 'symlink', () => null) });
      else if (e.mode === '100644' || e.mode === '100755') {
        const content = await store.readBlob(e.oid);
        files.push({ path: r, kind: 'file', size: content.length, gitmodules: gitmodules(e.name, 'file', () => content) });
        if (r === 'SKILL.md' && content.length <= maxFileBytes) skillMd = content;
      } else files.push({ path: r, kind: (e.mode as string) === '160000' ? 'submodule' : 'other', size: 0 });
    }
  };
  await walk(tree, '');
  return { name, files, skillMd };
}
