/**
 * The pure parts of validation. Every rule code has its case, through the
 * real CLI, in test/e2e/validate-rules.test.ts; these are the helpers.
 */
import { describe, expect, it } from 'vitest';
import { applyStrict, collidingNames, parseFrontMatter, symlinkStaysInside, validateSkill } from '../../../src/validate/rules.js';

describe('parseFrontMatter', () => {
  it('parses the mapping between the fences; positions count the opening ---, a BOM and CRLF do not shift them', () => {
    const fm = parseFrontMatter('\uFEFF---\r\nname: a\r\nmetadata:\r\n  x: 1\r\n...\r\nbody');
    expect('data' in fm && fm.data).toEqual({ name: 'a', metadata: { x: 1 } });
    if (!('data' in fm)) throw new Error('not parsed');
    expect(fm.closedWithDots).toBe(true);
    expect(fm.closingLine).toBe(5);
    expect(fm.keyAt('metadata')).toEqual({ line: 3, column: 1 });
    expect(fm.metadataSource('x')).toBe('1');
  });
  it('bytes: a bad byte in the front matter is an error with its line; in the body it is not looked at', () => {
    const bad = Buffer.concat([Buffer.from('---\nname: a\ndescription: x\n# \n'), Buffer.from([0xff]), Buffer.from('\n---\n')]);
    expect(parseFrontMatter(bad)).toMatchObject({ code: 'front-matter-encoding', line: 5 });
    const body = Buffer.concat([Buffer.from('---\nname: a\ndescription: x\n---\n'), Buffer.from([0xff])]);
    expect(parseFrontMatter(body)).toHaveProperty('data');
  });
  it('too many aliases is invalid YAML, not a crash', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)];
    expect(parseFrontMatter(`---\n${laughs.join('\n')}\n---\n`)).toMatchObject({ code: 'yaml-invalid' });
  });
});

describe('helpers', () => {
  it('collidingNames: case and Unicode normalization do not count', () => {
    expect(collidingNames(['README.md', 'readme.md', 'caf\u00e9', 'cafe\u0301', 'x'])).toEqual([
      ['README.md', 'readme.md'],
      ['caf\u00e9', 'cafe\u0301'],
    ]);
  });
  it('applyStrict turns warnings into errors', () => {
    const listing = { name: 'My_Skill', files: [{ path: 'SKILL.md', kind: 'file' as const, size: 40 }], skillMd: Buffer.from('---\nname: My_Skill\ndescription: x\n---\n') };
    const found = validateSkill(listing, { maxFileBytes: 1000 });
    expect(found.map((f) => [f.code, f.severity])).toEqual([['name-format', 'warning']]);
    expect(applyStrict(found, true).map((f) => f.severity)).toEqual(['error']);
  });
  it('a submodule in a git tree is a special file', () => {
    const listing = { name: 'pdf', files: [{ path: 'SKILL.md', kind: 'file' as const, size: 1 }, { path: 'vendor', kind: 'other' as const, size: 0 }], skillMd: Buffer.from('---\nname: pdf\ndescription: x\n---\n') };
    expect(validateSkill(listing, { maxFileBytes: 1000 }).map((f) => f.code)).toEqual(['special-file']);
  });
  it('a SKILL.md with old Mac line endings (CR only) is told so, with the fix', () => {
    const found = parseFrontMatter(Buffer.from('---\rname: pdf\rdescription: x\r---\r# pdf\r'));
    expect(found).toMatchObject({ code: 'front-matter-missing', error: expect.stringMatching(/CR alone \(old Mac line endings\).*convert the line endings to LF/) });
  });
  it('a submodule inside a skill says what it is', () => {
    const listing = { name: 'pdf', files: [{ path: 'SKILL.md', kind: 'file' as const, size: 1 }, { path: 'vendor', kind: 'submodule' as const, size: 0 }], skillMd: Buffer.from('---\nname: pdf\ndescription: x\n---\n') };
    expect(validateSkill(listing, { maxFileBytes: 1000 }).map((f) => [f.code, f.message])).toEqual([['special-file', expect.stringMatching(/is a git submodule inside the skill/)]]);
  });
  it('symlinkStaysInside', () => {
    expect(symlinkStaysInside('a/b/link', '../c')).toBe(true);
    expect(symlinkStaysInside('link', './x/../y')).toBe(true);
    expect(symlinkStaysInside('link', '..')).toBe(false);
    expect(symlinkStaysInside('a/link', '../../x')).toBe(false);
    expect(symlinkStaysInside('link', '')).toBe(false);
  });
});
