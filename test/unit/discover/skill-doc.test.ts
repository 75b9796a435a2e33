/** SKILL.md → index document, and where versions live: pure functions, literal inputs. */
import { describe, expect, it } from 'vitest';
import { parseSkillMd } from '../../../src/discover/skill-doc.js';
import { locateVersions } from '../../../src/discover/locate.js';

describe('parseSkillMd', () => {
  it('reads every front-matter field, the first heading and the first paragraph', () => {
    const doc = parseSkillMd('---\nname: pdf\ndescription: "Fill forms: fast."\nallowed-tools: [Read, Bash]\n---\n\n# PDF tools\n\nUse the\nextractor.\n\n## Forms\n\n```\n# not a heading\n```\n', 'pdf');
    expect(doc).toMatchObject({
      name: 'pdf',
      description: 'Fill forms: fast.',
      frontMatter: { name: 'pdf', description: 'Fill forms: fast.', 'allowed-tools': ['Read', 'Bash'] },
      heading: 'PDF tools',
      summary: 'Use the extractor.',
      headings: ['PDF tools', 'Forms'],
      problems: [],
    });
    expect(doc.body.startsWith('# PDF tools')).toBe(true);
  });

  it('broken front matter: named after the folder, with a problem, words still in the body', () => {
    const bad = parseSkillMd('---\nname: x\ndescription: Extract text. CodeCraft: always OCR.\n---\nbody\n', 'pdf');
    expect(bad.name).toBe('pdf');
    expect(bad.problems[0]).toMatch(/not valid YAML/);
    expect(bad.body).toContain('always OCR');
    expect(parseSkillMd('# Just markdown\n', 'notes').problems).toEqual(['SKILL.md does not start with YAML front matter (a "---" line)']);
    expect(parseSkillMd('---\nname: a\n', 'a').problems).toEqual(['SKILL.md front matter is not closed by a "---" line']);
    expect(parseSkillMd('---\n- a\n---\n', 'a').problems[0]).toMatch(/not a mapping/);
    expect(parseSkillMd('---\nname: a\n---\n', 'a').problems).toEqual(['SKILL.md front matter has no "description"']);
    expect(parseSkillMd(null, 'empty', ['no SKILL.md in the skill folder'])).toMatchObject({ name: 'empty', body: '', problems: ['no SKILL.md in the skill folder'] });
  });
});

describe('locateVersions', () => {
  it('gives each version its library folders and, per company that holds it, the merge state', () => {
    const library = new Map([['pdf', 'L1'], ['docx', 'D1']]);
    const where = locateVersions(library, [
      { name: 'A', skills: new Map([['pdf', 'C1'], ['docx', 'D1'], ['own', 'O1']]), base: new Map([['pdf', 'L0'], ['docx', 'D1']]) },
      { name: 'B', skills: new Map([['pdf', 'L1']]), base: new Map([['pdf', 'L1'], ['docx', 'D1']]) }, // B deleted docx: not something it has
    ]);
    expect(where.get('L1')).toEqual({ library: ['pdf'], companies: [{ company: 'B', folder: 'pdf', state: 'in-sync' }] });
    expect(where.get('C1')).toEqual({ library: [], companies: [{ company: 'A', folder: 'pdf', state: 'override-behind' }] });
    expect(where.get('D1')?.companies).toEqual([{ company: 'A', folder: 'docx', state: 'in-sync' }]);
    expect(where.get('O1')?.companies).toEqual([{ company: 'A', folder: 'own', state: 'company-only' }]);
  });
});
