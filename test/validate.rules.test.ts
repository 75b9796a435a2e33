/** The validation rules, on in-memory listings: one case per rule (SPEC.md, "Validation"). */
import { describe, expect, it } from 'vitest';
import { parseFrontMatter, symlinkStaysInside, validateSkill, type SkillFile } from '../src/validate/rules.js';

const MAX = 1000;
const md = (text: string) => ({ skillMd: text, mdFile: { path: 'SKILL.md', kind: 'file' as const, size: text.length } });
const good = '---\nname: pdf\ndescription: Extract text from PDFs.\n---\n# pdf\n';

function check(text: string | null, extra: SkillFile[] = [], name = 'pdf') {
  const files = text === null ? extra : [md(text).mdFile, ...extra];
  return validateSkill({ name, files, skillMd: text }, { maxFileBytes: MAX }).map((f) => `${f.path}: ${f.problem}`);
}

describe('validateSkill', () => {
  it('a valid skill has no findings', () => {
    expect(check(good, [{ path: 'scripts/run.sh', kind: 'file', size: 10 }, { path: 'README.md', kind: 'symlink', size: 0, target: 'docs/readme.md' }])).toEqual([]);
  });
  it('CRLF line ends, a BOM and a quoted description with ": " are fine', () => {
    expect(check('\uFEFF---\r\nname: pdf\r\ndescription: "Reads: PDFs"\r\n---\r\n')).toEqual([]);
  });
  it('SKILL.md missing', () => expect(check(null)).toEqual([expect.stringMatching(/^pdf\/SKILL\.md: is missing/)]));
  it('no front matter', () => expect(check('# pdf\n')).toEqual([expect.stringMatching(/has no front matter/)]));
  it('front matter not closed', () => expect(check('---\nname: pdf\n')).toEqual([expect.stringMatching(/not closed/)]));
  it('front matter that is not valid YAML', () => {
    expect(check('---\nname: pdf\ndescription: Reads: PDFs\n---\n')).toEqual([expect.stringMatching(/^pdf\/SKILL\.md: front matter is not valid YAML: /)]);
  });
  it('front matter that is not a mapping', () => expect(check('---\n- a\n---\n')).toEqual([expect.stringMatching(/must be a YAML mapping/)]));
  it('no name', () => expect(check('---\ndescription: x\n---\n')).toEqual([expect.stringMatching(/has no "name": add "name: pdf"/)]));
  it('no description', () => expect(check('---\nname: pdf\ndescription: ""\n---\n')).toEqual([expect.stringMatching(/has no "description"/)]));
  it('name differs from the folder', () => {
    expect(check('---\nname: PDF\ndescription: x\n---\n')).toEqual(['pdf/SKILL.md: front matter name "PDF" does not match the folder name "pdf": make them equal']);
  });
  it('a symlink out of the skill', () => {
    expect(check(good, [{ path: 'a/link', kind: 'symlink', size: 0, target: '../../other/x' }])).toEqual([expect.stringMatching(/^pdf\/a\/link: is a symlink to "..\/..\/other\/x", outside the skill/)]);
    expect(check(good, [{ path: 'abs', kind: 'symlink', size: 0, target: '/etc/passwd' }])).toHaveLength(1);
  });
  it('a file over the size limit', () => {
    expect(check(good, [{ path: 'big.bin', kind: 'file', size: MAX + 1 }])).toEqual([expect.stringMatching(/^pdf\/big\.bin: is 1001 bytes, over the size limit of 1000 bytes/)]);
  });
  it('an invalid skill name, and an invalid name inside', () => {
    expect(check('---\nname: -x\ndescription: x\n---\n', [], '-x')[0]).toMatch(/^-x: invalid skill name "-x"/);
    expect(check(good, [{ path: 'a\\b', kind: 'file', size: 1 }])).toEqual([expect.stringMatching(/invalid file name "a\\\\b"/)]);
  });
  it('a special file or a submodule', () => expect(check(good, [{ path: 'fifo', kind: 'other', size: 0 }])).toEqual([expect.stringMatching(/not a file, folder or symlink/)]));
  it('reports every problem, not only the first', () => {
    expect(check('---\nname: x\n---\n', [{ path: 'big', kind: 'file', size: MAX + 1 }])).toHaveLength(3);
  });
});

describe('parseFrontMatter and symlinkStaysInside', () => {
  it('parses the mapping between the --- lines', () => {
    expect(parseFrontMatter('---\nname: a\nmetadata:\n  x: 1\n...\nbody')).toEqual({ data: { name: 'a', metadata: { x: 1 } } });
  });
  it('symlinks: inside or out', () => {
    expect(symlinkStaysInside('a/b/link', '../c')).toBe(true);
    expect(symlinkStaysInside('link', './x/../y')).toBe(true);
    expect(symlinkStaysInside('link', '..')).toBe(false);
    expect(symlinkStaysInside('a/link', '../../x')).toBe(false);
    expect(symlinkStaysInside('link', '')).toBe(false);
  });
});
