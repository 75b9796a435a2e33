/** How an override explains itself: the files that differ from its merge base (src/drift/explain.ts). */
import { expect, it } from 'vitest';
import { describeExplanation, fileChanges } from '../../../src/drift/explain.js';
import type { FileEntry } from '../../../src/store/tree-files.js';

const nfc = 'Caf\u00e9.md';
const nfd = 'Cafe\u0301.md';
const file = (oid: string): FileEntry => ({ oid, mode: '100644' });

it('one file spelled in another Unicode form is the same file, shown with both spellings when its content changed', () => {
  expect(fileChanges(new Map([[nfc, file('a')]]), new Map([[nfd, file('a')]]))).toEqual([]);
  expect(fileChanges(new Map([[nfc, file('a')]]), new Map([[nfd, file('b')]]))).toEqual([{ path: `${nfd} (spelled Cafe\\u0301.md, was Caf\\u00E9.md)`, change: 'changed' }]);
});

it('a second file whose name differs only in Unicode form is an added file, never "no file differs" (Linux keeps both)', () => {
  const changes = fileChanges(new Map([[nfc, file('a')]]), new Map([[nfc, file('a')], [nfd, file('b')]]));
  expect(changes).toEqual([{ path: `${nfd} (spelled Cafe\\u0301.md)`, change: 'added' }]);
  expect(describeExplanation({ deleted: false, against: 'base', files: changes })).toBe(`added ${nfd} (spelled Cafe\\u0301.md)`);
  expect(fileChanges(new Map([[nfc, file('a')], [nfd, file('b')]]), new Map([[nfd, file('c')]]))).toEqual([
    { path: `${nfd} (spelled Cafe\\u0301.md)`, change: 'changed' },
    { path: `${nfc} (spelled Caf\\u00E9.md)`, change: 'deleted' },
  ]);
});
