/**
 * Our tree objects are git's, byte for byte: for any set of entries (names in
 * any script, astral characters included, folders beside files whose names
 * share a prefix), the id we compute is the one native `git mktree` gives.
 * Git orders entries by UTF-8 bytes, a folder as if its name ended in '/'.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hashObject, serializeTree, type Mode, type TreeEntry } from '../../src/store/objects.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const MODES: Mode[] = ['100644', '100755', '120000', '40000'];
const TYPE: Record<Mode, string> = { '100644': 'blob', '100755': 'blob', '120000': 'blob', '40000': 'tree' };

// Names built from pieces that stress the order: prefixes of each other, '-', '.', '0' (sort below '/'), 'é', CJK, emoji.
const pieceArb = fc.constantFrom('a', 'b', 'A', '-', '.', '0', '_', 'é', 'ß', '中', 'ｱ', '\u{1F600}', '\uFFFD', '\uE000', 'skill');
const nameArb = fc.array(pieceArb, { minLength: 1, maxLength: 4 }).map((p) => p.join('')).filter((n) => n !== '.' && n !== '..');
const entryArb = fc.record({ name: nameArb, mode: fc.constantFrom(...MODES), oid: fc.stringMatching(/^[0-9a-f]{40}$/) });

describe('tree objects', () => {
  it('have the id native git mktree gives them, for any names', () => {
    const repo = tempDir('mktree-');
    execFileSync('git', ['init', '-q', '--bare', repo]);
    fc.assert(
      fc.property(fc.uniqueArray(entryArb, { minLength: 1, maxLength: 12, selector: (e) => e.name }), (entries: TreeEntry[]) => {
        const input = entries.map((e) => `${e.mode === '40000' ? '040000' : e.mode} ${TYPE[e.mode]} ${e.oid}\t${e.name}\0`).join('');
        const expected = execFileSync('git', ['--git-dir', repo, 'mktree', '-z', '--missing'], { input }).toString().trim();
        expect(hashObject('tree', serializeTree(entries))).toBe(expected);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 60), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
  });
});
