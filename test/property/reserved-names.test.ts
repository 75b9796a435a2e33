/**
 * The names we never record (src/names.ts, isGitReservedName) are exactly the
 * ones native git refuses in a tree: `git fsck` reports `hasDotgit` for every
 * spelling of `.git` (letter case, HFS+'s ignored code points, NTFS trailing
 * dots and spaces, streams, the short name `git~1`) and `gitmodulesSymlink`
 * for a `.gitmodules` spelling that is a symlink, `gitmodulesBlob` for one
 * that is a folder. Git is the judge: each name
 * goes into a tree of its own, and fsck names the trees it refuses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isGitmodulesName, isGitReservedName } from '../../src/names.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

// Pieces of every spelling git knows, and of names that only look like one.
const pieceArb = fc.constantFrom(
  '.git', '.GIT', '.Git', 'git', 'GIT', 'g', 'G', 'i', 't', '.', ' ', ':', '$INDEX_ALLOCATION', '~', '~1', '1', '9',
  'git~1', 'GIT~1', '\\', '~2', '~12', '.gitmodules', 'gitmod~1', 'GITMOD~4', 'gi7eba~', '7', 'modules', 'x.md', 'a', 'é', '\u200c', '\u200f', '\u202a', '\u206f', '\ufeff', '\u200b',
);
const nameArb = fc
  .array(pieceArb, { minLength: 1, maxLength: 4 })
  .map((p) => p.join(''))
  .filter((n) => n !== '.' && n !== '..');

describe('names git refuses', () => {
  it('are the names isGitReservedName calls reserved, as files and as symlinks; as folders, also those isGitmodulesName names', () => {
    const repo = tempDir('reserved-');
    execFileSync('git', ['init', '-q', '--bare', repo]);
    const blob = execFileSync('git', ['--git-dir', repo, 'hash-object', '-w', '--stdin'], { input: 'x' }).toString().trim();
    const git = (args: string[], input?: string) => spawnSync('git', ['--git-dir', repo, ...args], { input, encoding: 'utf8' });
    fc.assert(
      fc.property(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 40 }), fc.constantFrom('file', 'symlink', 'folder'), (names, kind) => {
        // A folder per name, each its own tree (fsck names the folder's tree for gitmodulesBlob, its parent's for the rest).
        const folders = kind !== 'folder' ? [] : git(['mktree', '-z', '--batch'], names.map((_, i) => `100644 blob ${blob}\tf${i}\0\0`).join('')).stdout.trim().split('\n');
        // One tree per name (a blank line between them in --batch): fsck names each tree it refuses.
        const entry = (n: string, i: number) => (kind === 'folder' ? `040000 tree ${folders[i]}` : `${kind === 'symlink' ? '120000' : '100644'} blob ${blob}`) + `\t${n}\0\0`;
        const trees = git(['mktree', '-z', '--batch'], names.map(entry).join('')).stdout.trim().split('\n');
        expect(trees).toHaveLength(names.length);
        const fsck = git(['fsck', '--strict', '--no-dangling', '--no-progress']);
        const refused = new Set([...`${fsck.stdout}${fsck.stderr}`.matchAll(/tree ([0-9a-f]{40}): (hasDotgit|gitmodulesSymlink|gitmodulesBlob)/g)].map((m) => m[1]));
        for (const [i, name] of names.entries()) {
          const ours = isGitReservedName(name, kind === 'symlink') || (kind === 'folder' && isGitmodulesName(name));
          expect({ name, kind, reserved: ours }).toEqual({ name, kind, reserved: refused.has(trees[i]!) || refused.has(folders[i]!) });
        }
        // The next case starts from a store without these trees.
        for (const t of [...trees, ...folders]) execFileSync('rm', ['-f', `${repo}/objects/${t.slice(0, 2)}/${t.slice(2)}`]);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
  });
});
