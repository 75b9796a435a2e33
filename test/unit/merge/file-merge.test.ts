/** The file-level merge table (SPEC.md "File-level merge"), one case per row, plus the line merge. */
import { describe, expect, it } from 'vitest';
import { decideFile, mergeFileMaps, mergeMode, mergeText, type FileEntry } from '../../../src/merge/file-merge.js';
import { planCompany } from '../../../src/merge/plan.js';

const f = (ch: string, mode: FileEntry['mode'] = '100644'): FileEntry => ({ mode, oid: ch.repeat(40) });
const B = f('b');
const L = f('1');
const C = f('c');

const rows = [
  { row: 'unchanged: nobody touched it', b: B, l: B, c: B, change: 'unchanged', take: B, base: B },
  { row: 'unchanged: both made the same change', b: B, l: L, c: L, change: 'unchanged', take: L, base: L },
  { row: 'company only: the company changed it', b: B, l: B, c: C, change: 'company', take: C, base: B },
  { row: 'company only: the company deleted it', b: B, l: B, c: undefined, change: 'company', take: undefined, base: B },
  { row: 'company only: the company added it', b: undefined, l: undefined, c: C, change: 'company', take: C, base: undefined },
  { row: 'library only: the library changed it', b: B, l: L, c: B, change: 'library', take: L, base: L },
  { row: 'library only: the library deleted it', b: B, l: undefined, c: B, change: 'library', take: undefined, base: undefined },
  { row: 'library only: the library added it', b: undefined, l: L, c: undefined, change: 'library', take: L, base: L },
  { row: 'library only: the library made it executable', b: B, l: { ...B, mode: '100755' }, c: B, change: 'library', take: { ...B, mode: '100755' }, base: { ...B, mode: '100755' } },
  { row: 'both: changed on both sides', b: B, l: L, c: C, change: 'both', take: C, base: B, reason: 'changed on both sides' },
  { row: 'both: deleted by the company, changed by the library', b: B, l: L, c: undefined, change: 'both', take: undefined, base: B, reason: 'deleted by the company, changed by the library' },
  { row: 'both: changed by the company, deleted by the library', b: B, l: undefined, c: C, change: 'both', take: C, base: B, reason: 'changed by the company, deleted by the library' },
  { row: 'both: added on both sides with different content', b: undefined, l: L, c: C, change: 'both', take: C, base: undefined, reason: 'added on both sides with different content' },
] as const;

const one = (e: FileEntry | undefined) => new Map(e ? [['SKILL.md', e]] : []);

describe('file-level merge table', () => {
  for (const r of rows) {
    it(r.row, () => {
      expect(decideFile(r.b, r.l, r.c)).toBe(r.change);
      const res = mergeFileMaps({ base: one(r.b), library: one(r.l), company: one(r.c) });
      expect(res.merged.get('SKILL.md')).toEqual(r.take);
      expect(res.nextBase.get('SKILL.md')).toEqual(r.base);
      const reason = 'reason' in r ? r.reason : undefined;
      expect(res.conflicts).toEqual(reason ? [{ path: 'SKILL.md', reason }] : []);
    });
  }

  it('a library fix to one file comes in while the company edit to another stays', () => {
    const res = mergeFileMaps({
      base: new Map([['SKILL.md', B], ['reference.md', B]]),
      library: new Map([['SKILL.md', B], ['reference.md', L]]),
      company: new Map([['SKILL.md', C], ['reference.md', B]]),
    });
    expect(Object.fromEntries(res.merged)).toEqual({ 'SKILL.md': C, 'reference.md': L });
    // Clean: the base becomes the library version, so the next run sees a plain override.
    expect(Object.fromEntries(res.nextBase)).toEqual({ 'SKILL.md': B, 'reference.md': L });
    expect(res.conflicts).toEqual([]);
  });

  it('a line-merged path takes the merged blob and counts as merged, not a conflict', () => {
    const merged = f('m');
    const res = mergeFileMaps({ base: one(B), library: one(L), company: one(C), lineMerged: new Map([['SKILL.md', merged]]) });
    expect(res.merged.get('SKILL.md')).toEqual(merged);
    expect(res.nextBase.get('SKILL.md')).toEqual(L);
    expect(res.files).toEqual([{ path: 'SKILL.md', outcome: 'line-merged' }]);
    expect(res.conflicts).toEqual([]);
  });

  it('a file that is a folder on the other side keeps the whole company skill', () => {
    const company = new Map([['docs', C]]);
    const base = new Map<string, FileEntry>();
    const res = mergeFileMaps({ base, library: new Map([['docs/a.md', L]]), company });
    expect(res.merged).toEqual(company);
    expect(res.nextBase).toEqual(base);
    expect(res.conflicts[0].path).toBe('docs');
  });
});

describe('line merge (merge: "line")', () => {
  const text = (s: string) => Buffer.from(s);
  const base = text('# pdf\n\nintro\n\nusage\n\nlimits\n');

  it('edits to different lines merge cleanly, bytes exact', () => {
    const lib = text('# pdf\n\nintro, improved\n\nusage\n\nlimits\n');
    const comp = text('# pdf\n\nintro\n\nusage\n\nlimits: 10 pages at CodeCraft\n');
    expect(mergeText(base, lib, comp)?.toString()).toBe('# pdf\n\nintro, improved\n\nusage\n\nlimits: 10 pages at CodeCraft\n');
  });
  it('edits to the same line are a conflict (null), never markers', () => {
    expect(mergeText(base, text('# pdf\n\nintro A\n\nusage\n\nlimits\n'), text('# pdf\n\nintro B\n\nusage\n\nlimits\n'))).toBeNull();
  });
  it('CRLF line endings and a missing final newline survive', () => {
    const b = text('a\r\nb\r\nc');
    expect(mergeText(b, text('A\r\nb\r\nc'), text('a\r\nb\r\nC'))?.toString()).toBe('A\r\nb\r\nC');
  });
  it('binary content is never merged', () => {
    expect(mergeText(Buffer.from([1, 0, 2]), Buffer.from([1, 0, 3]), Buffer.from([4, 0, 2]))).toBeNull();
  });
  it('modes merge three-way', () => {
    expect(mergeMode(B, { ...L, mode: '100755' }, C)).toBe('100755');
    expect(mergeMode(B, L, { ...C, mode: '100755' })).toBe('100755');
    expect(mergeMode({ ...B, mode: '100755' }, L, { ...C, mode: '120000' })).toBeNull();
  });
});

describe('which skills are merged file by file', () => {
  // pdf: override-behind (all three versions); docx: override (the library did not move); notes: deleted by the company.
  const input = (merge: 'skill' | 'file' | 'line') => ({
    library: new Map([['pdf', 'l1'], ['docx', 'b2'], ['notes', 'l3']]),
    company: new Map([['pdf', 'c1'], ['docx', 'c2']]),
    base: new Map([['pdf', 'b1'], ['docx', 'b2'], ['notes', 'b3']]),
    skip: new Set<string>(),
    merge,
    mergeInputs: new Map([['pdf', { base: one(B), library: one(L), company: one(C), texts: new Map() }]]),
    maxRemovePercent: 25,
    force: false,
  });
  it('only override-behind with all three versions, and only in file or line mode', () => {
    const actions = (merge: 'skill' | 'file' | 'line') => Object.fromEntries(planCompany(input(merge)).skills.map((s) => [s.name, s.action]));
    expect(actions('skill')).toEqual({ docx: 'keep-company', notes: 'keep-company', pdf: 'keep-company' });
    expect(actions('file')).toEqual({ docx: 'keep-company', notes: 'keep-company', pdf: 'merge' });
    expect(actions('line')).toEqual({ docx: 'keep-company', notes: 'keep-company', pdf: 'merge' });
  });
});
