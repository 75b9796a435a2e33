/** One company, several folders: the pure rules of src/folders/combine.ts, one case per rule in SPEC.md. */
import { describe, expect, it } from 'vitest';
import { combineFolders, folderWrites, type FolderState } from '../../../src/folders/combine.js';

const map = (o: Record<string, string>) => new Map(Object.entries(o));
const folder = (key: string, skills: Record<string, string>, recorded: Record<string, string> | null, more: Partial<FolderState> = {}): FolderState => ({
  key,
  skills: map(skills),
  recorded: recorded && map(recorded),
  blocked: new Set(),
  links: new Map(),
  checkouts: new Set(),
  ...more,
});
const library = map({ pdf: 'L1', docx: 'D1' });
const base = map({ pdf: 'L1', docx: 'D1' });

describe('combineFolders', () => {
  it('folders that agree are the company version', () => {
    const c = combineFolders({ folders: [folder('.claude/skills', { pdf: 'L1' }, { pdf: 'L1' }), folder('.agents/skills', { pdf: 'L1' }, { pdf: 'L1' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(c.skills).toEqual(map({ pdf: 'L1' }));
    expect(c.conflicts.size).toBe(0);
  });
  it('an edit in one folder is the company version, and says where it came from', () => {
    const c = combineFolders({ folders: [folder('.claude/skills', { pdf: 'L1' }, { pdf: 'L1' }), folder('.agents/skills', { pdf: 'E' }, { pdf: 'L1' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(c.skills.get('pdf')).toBe('E');
    expect(c.from.get('pdf')).toEqual(['.agents/skills']);
  });
  it('a deletion in one folder is the company deletion', () => {
    const c = combineFolders({ folders: [folder('.claude/skills', {}, { pdf: 'L1' }), folder('.agents/skills', { pdf: 'L1' }, { pdf: 'L1' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(c.skills.has('pdf')).toBe(false);
    expect(c.from.get('pdf')).toEqual(['.claude/skills']);
  });
  it('different edits in two folders are a conflict: the recorded version stays the company version', () => {
    const c = combineFolders({ folders: [folder('.claude/skills', { pdf: 'A' }, { pdf: 'L1' }), folder('.agents/skills', { pdf: 'B' }, { pdf: 'L1' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(c.conflicts.get('pdf')).toEqual([{ key: '.claude/skills', tree: 'A' }, { key: '.agents/skills', tree: 'B' }]);
    expect(c.skills.get('pdf')).toBe('L1');
  });
  it('a conflict stays one once recorded, until one version is copied over the other; a write that failed is no conflict', () => {
    const left = combineFolders({ folders: [folder('a', { pdf: 'A' }, { pdf: 'A' }), folder('b', { pdf: 'B' }, { pdf: 'B' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(left.conflicts.has('pdf')).toBe(true);
    const resolved = combineFolders({ folders: [folder('a', { pdf: 'B' }, { pdf: 'A' }), folder('b', { pdf: 'B' }, { pdf: 'B' })], recorded: map({ pdf: 'L1' }), library, base });
    expect(resolved.conflicts.size).toBe(0);
    expect(resolved.skills.get('pdf')).toBe('B');
    const partial = combineFolders({ folders: [folder('a', { pdf: 'L2' }, { pdf: 'L2' }), folder('b', { pdf: 'L1' }, { pdf: 'L1' })], recorded: map({ pdf: 'L1' }), library: map({ pdf: 'L2' }), base });
    expect(partial.conflicts.size).toBe(0);
    expect(partial.skills.get('pdf')).toBe('L1');
  });
  it('a folder a copy failed to reach still holds what was distributed: a new edit elsewhere is no conflict, it is copied there too', () => {
    // .claude edited to E1, recorded; the copy to .agents failed (it still holds L1); then .claude edited again to E2.
    const again = combineFolders({ folders: [folder('a', { pdf: 'E2' }, { pdf: 'E1' }), folder('b', { pdf: 'L1' }, { pdf: 'L1' })], recorded: map({ pdf: 'E1' }), library, base });
    expect(again.conflicts.size).toBe(0);
    expect(again.skills.get('pdf')).toBe('E2');
    expect(again.from.get('pdf')).toEqual(['a']);
    // A lagging folder that holds a person's edit (not what was distributed) is still a conflict.
    const edited = combineFolders({ folders: [folder('a', { pdf: 'E2' }, { pdf: 'E1' }), folder('b', { pdf: 'B' }, { pdf: 'B' })], recorded: map({ pdf: 'E1' }), library, base });
    expect(edited.conflicts.has('pdf')).toBe(true);
  });
  it('a folder new to the company is filled, never taken over a recorded override; its own different copy is a conflict', () => {
    const kept = combineFolders({ folders: [folder('.claude/skills', { pdf: 'O' }, { pdf: 'O' }), folder('.agents/skills', {}, null)], recorded: map({ pdf: 'O' }), library, base });
    expect(kept.skills.get('pdf')).toBe('O');
    expect(kept.conflicts.size).toBe(0);
    const own = combineFolders({ folders: [folder('.claude/skills', { pdf: 'O' }, { pdf: 'O' }), folder('.agents/skills', { pdf: 'X' }, null)], recorded: map({ pdf: 'O' }), library, base });
    expect(own.conflicts.has('pdf')).toBe(true);
    const same = combineFolders({ folders: [folder('.claude/skills', { pdf: 'O' }, { pdf: 'O' }), folder('.agents/skills', { pdf: 'L1' }, null)], recorded: map({ pdf: 'O' }), library, base });
    expect(same.skills.get('pdf')).toBe('O');
  });
  it("a company's first record: what its folders hold; two different copies are a conflict", () => {
    const first = combineFolders({ folders: [folder('a', { pdf: 'X' }, null), folder('b', {}, null)], recorded: null, library, base: null });
    expect(first.skills.get('pdf')).toBe('X');
    expect(combineFolders({ folders: [folder('a', { pdf: 'X' }, null), folder('b', { pdf: 'Y' }, null)], recorded: null, library, base: null }).conflicts.has('pdf')).toBe(true);
  });
  it('company-only skills stay in the folder that has it, and are never copied', () => {
    const c = combineFolders({ folders: [folder('a', { mine: 'M' }, { mine: 'M' }), folder('b', {}, {})], recorded: map({ mine: 'M' }), library, base });
    expect(c.skills.get('mine')).toBe('M');
    expect(c.companyOnly.has('mine')).toBe(true);
    const writes = folderWrites(folder('b', {}, {}), new Map([['mine', 'M']]), c);
    expect(writes.size).toBe(0);
  });
  it('a folder that cannot read a skill, or links it to another folder, has no say and gets no write', () => {
    const f = [folder('a', { pdf: 'E' }, { pdf: 'L1' }), folder('b', {}, { pdf: 'L1' }, { blocked: new Set(['pdf']) }), folder('c', {}, { pdf: 'L1' }, { links: new Map([['pdf', 'a']]) })];
    const c = combineFolders({ folders: f, recorded: map({ pdf: 'L1' }), library, base });
    expect(c.skills.get('pdf')).toBe('E');
    for (const other of f.slice(1)) expect(folderWrites(other, new Map([['pdf', 'E']]), c).size).toBe(0);
  });
  it('each folder gets what differs from the target; a git checkout only with force', () => {
    const f = folder('b', { pdf: 'L1', docx: 'D0' }, null, { checkouts: new Set(['docx']) });
    const none = { conflicts: new Map(), companyOnly: new Set<string>() };
    expect([...folderWrites(f, new Map([['pdf', 'L2'], ['docx', 'D1']]), none)]).toEqual([['pdf', { expected: 'L1', next: 'L2' }]]);
    expect(folderWrites(f, new Map([['pdf', 'L2'], ['docx', 'D1']]), none, true).get('docx')).toEqual({ expected: 'D0', next: 'D1' });
  });
});
