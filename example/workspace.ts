/**
 * A small, realistic example workspace: a library of four skills and three
 * companies (one with a customized skill, one with a company-only skill, one
 * empty). Used by `npm run demo`, the tests and the benchmark's smoke run.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ExampleWorkspace {
  root: string;
  libraryDir: string;
  companiesGlob: string;
  storeDir: string;
  configFile: string;
  companyDir(name: string): string;
}

// The description is quoted: an unquoted ": " inside it would not be valid YAML.
const skill = (name: string, description: string, body: string) =>
  `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\n---\n\n# ${name}\n\n${body}\n`;

export const LIBRARY_SKILLS: Record<string, Record<string, string>> = {
  pdf: {
    'SKILL.md': skill('pdf', 'Extract text and tables from PDF files, fill forms, merge documents.', 'Use `scripts/extract.py` to pull text page by page.'),
    'scripts/extract.py': '#!/usr/bin/env python3\nimport sys\nprint("extracting", sys.argv[1:])\n',
    'reference.md': '# PDF reference\n\nForms use AcroForm fields.\n',
  },
  docx: {
    'SKILL.md': skill('docx', 'Create and edit Word documents with tracked changes.', 'Always keep the original styles.'),
    'templates/memo.md': '# Memo\n\nTo: {{to}}\n',
  },
  xlsx: {
    'SKILL.md': skill('xlsx', 'Build spreadsheets with formulas and charts.', 'Prefer formulas over pasted values.'),
    'scripts/recalc.sh': '#!/bin/sh\necho recalculating "$1"\n',
  },
  'brand-voice': {
    'SKILL.md': skill('brand-voice', 'Write in the house style: short sentences, active voice.', 'Read `examples.md` before drafting.'),
    'examples.md': '- We ship on Fridays.\n- You own your data.\n',
  },
};

export function writeSkillFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: rel.endsWith('.py') || rel.endsWith('.sh') ? 0o755 : 0o644 });
  }
}

export function createExampleWorkspace(root: string): ExampleWorkspace {
  const libraryDir = path.join(root, 'system', 'library', 'skills');
  const companyDir = (name: string) => path.join(root, 'ALAI', name, '.claude', 'skills');
  for (const [name, files] of Object.entries(LIBRARY_SKILLS)) writeSkillFiles(path.join(libraryDir, name), files);

  // CodeCraft customized pdf before the tool ever ran: that is an intentional override.
  fs.mkdirSync(companyDir('CodeCraft'), { recursive: true });
  writeSkillFiles(path.join(companyDir('CodeCraft'), 'pdf'), {
    ...LIBRARY_SKILLS.pdf,
    'SKILL.md': skill('pdf', 'Extract text from PDFs. CodeCraft: always OCR scanned pages.', 'Run OCR first: `scripts/extract.py --ocr`.'),
  });
  // Lexicon has a skill of its own that the library does not know.
  fs.mkdirSync(companyDir('Lexicon'), { recursive: true });
  writeSkillFiles(path.join(companyDir('Lexicon'), 'legal-citations'), {
    'SKILL.md': skill('legal-citations', 'Format legal citations in Bluebook style.', 'Cite the reporter, volume and page.'),
  });
  fs.mkdirSync(companyDir('Northwind'), { recursive: true });

  const storeDir = path.join(root, 'system', 'library-store.git');
  const configFile = path.join(root, 'library.config.json');
  const companiesGlob = path.join(root, 'ALAI', '*', '.claude', 'skills');
  fs.writeFileSync(configFile, `${JSON.stringify({ library: libraryDir, companies: companiesGlob, store: storeDir }, null, 2)}\n`);
  return { root, libraryDir, companiesGlob, storeDir, configFile, companyDir };
}
