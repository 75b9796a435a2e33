/** End-to-end: `discover` and the index step of `library sync --fix`, through the real CLIs. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { writeSkillFiles } from '../../example/workspace.js';
import { parseIndex } from '../../src/discover/index-file.js';
import { DISCOVER, cleanupTempDirs, cli, exampleWorkspace, git, snapshotFolder, stateOf } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
let indexFile: string;
beforeEach(() => {
  ws = exampleWorkspace();
  indexFile = path.join(path.dirname(ws.storeDir), 'index.json');
});

const discover = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(ws, args, env, DISCOVER);
const search = (...args: string[]) => {
  const res = discover([...args, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return res.json.hits as any[];
};
const skillMd = (name: string, description: string, body: string) => `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\n${body}\n`;

describe('discover <query>', () => {
  beforeEach(() => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  });

  it("a word only in one company's override finds that override and names the company", () => {
    const hits = search('ocr');
    expect(hits).toHaveLength(1);
    expect(hits[0].name).toBe('pdf');
    expect(hits[0].library).toEqual([]);
    expect(hits[0].companies).toEqual([{ company: 'CodeCraft', folder: 'pdf', state: 'override' }]);
    expect(discover(['ocr']).stdout).toBe('pdf  CodeCraft (override) — Extract text from PDFs. CodeCraft: always OCR scanned pages.\n'); // one line per hit
  });

  it('--company restricts the results to what that company has', () => {
    const all = search('pdf');
    expect(all.map((h) => h.name)).toEqual(['pdf', 'pdf']); // the library's version and CodeCraft's override
    const lexicon = search('pdf', '--company', 'Lexicon');
    expect(lexicon).toHaveLength(1);
    expect(lexicon[0].library).toEqual(['pdf']);
    expect(lexicon[0].companies).toEqual([{ company: 'Lexicon', folder: 'pdf', state: 'in-sync' }]);
    expect(search('pdf', '--company', 'CodeCraft').map((h) => h.companies)).toEqual([[{ company: 'CodeCraft', folder: 'pdf', state: 'override' }]]);
    expect(search('bluebook')[0].companies).toEqual([{ company: 'Lexicon', folder: 'legal-citations', state: 'company-only' }]);
    expect(search('bluebook', '--company', 'Northwind')).toEqual([]);
    expect(search('pdf', '--limit', '1')).toHaveLength(1);
    const unknown = discover(['pdf', '--company', 'Nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/unknown company "Nobody".*CodeCraft, Lexicon, Northwind/);
  });

  it('a misspelled query still finds the skill (fuzzy)', () => {
    expect(search('spredsheet')[0].name).toBe('xlsx');
    expect(search('formuals')[0].name).toBe('xlsx');
    expect(search('spredsheet')[0].companies.map((c: any) => c.state)).toEqual(['in-sync', 'in-sync', 'in-sync']);
  });

  it('a skill with broken front matter is indexed by its folder name, with problems', () => {
    writeSkillFiles(path.join(ws.companyDir('Northwind'), 'meeting-notes'), { 'SKILL.md': '---\nname: [unclosed\n---\n\n# Minutes\n\nRecord decisions and owners.\n' });
    writeSkillFiles(path.join(ws.companyDir('Northwind'), 'scratch'), { 'notes.txt': 'loose notes\n' });
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    const [notes] = search('meeting-notes');
    expect(notes.name).toBe('meeting-notes');
    expect(notes.problems[0]).toMatch(/front matter is not valid YAML/);
    expect(notes.companies).toEqual([{ company: 'Northwind', folder: 'meeting-notes', state: 'company-only' }]);
    expect(search('decisions')[0].name).toBe('meeting-notes'); // its body is searchable
    const [scratch] = search('scratch');
    expect(scratch.problems).toEqual(['no SKILL.md in the skill folder']);
    const entry = Object.values(parseIndex(fs.readFileSync(indexFile, 'utf8'), indexFile).skills).find((e) => e.name === 'scratch')!;
    expect(entry.files).toEqual(['notes.txt']);
  });
});

describe('the index', () => {
  it('holds one entry per skill version, with front matter, outline, files and places', () => {
    cli(ws, ['sync', '--fix']);
    const index = parseIndex(fs.readFileSync(indexFile, 'utf8'), indexFile);
    const pdf = Object.values(index.skills).filter((e) => e.name === 'pdf');
    expect(pdf).toHaveLength(2);
    const lib = pdf.find((e) => e.library.length > 0)!;
    expect(lib.frontMatter).toEqual({ name: 'pdf', description: 'Extract text and tables from PDF files, fill forms, merge documents.' });
    expect(lib.heading).toBe('pdf');
    expect(lib.summary).toBe('Use `scripts/extract.py` to pull text page by page.');
    expect(lib.files).toEqual(['SKILL.md', 'reference.md', 'scripts/extract.py']);
    expect(lib.companies.map((c) => `${c.company}:${c.state}`)).toEqual(['Lexicon:in-sync', 'Northwind:in-sync']);
    expect(Object.keys(index.sources.companies)).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    // Refs packed by native git are the same sources: nothing to read.
    git(ws.storeDir, ['pack-refs', '--all']);
    expect(discover(['--rebuild-index', '--json']).json).toMatchObject({ read: [], written: false, companies: ['CodeCraft', 'Lexicon', 'Northwind'] });
  });

  it('a rebuild after a one-skill library change reads only that skill', () => {
    const first = cli(ws, ['sync', '--fix', '--json']).json.index;
    expect(first.read).toHaveLength(6); // 4 library skills, CodeCraft's pdf, Lexicon's legal-citations
    const again = discover(['--rebuild-index', '--json']).json;
    expect(again).toMatchObject({ read: [], written: false, skills: 6 });

    fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nExport to PDF with `--pdf`.\n');
    const before = fs.readFileSync(indexFile, 'utf8');
    expect(cli(ws, ['sync', '--fix', '--no-index']).code).toBe(0);
    expect(fs.readFileSync(indexFile, 'utf8')).toBe(before);
    expect(discover(['--rebuild-index', '--json']).json).toMatchObject({ read: ['docx'], reused: 5, written: true, skills: 6 });
    expect(search('export', '--company', 'Northwind')[0].name).toBe('docx');

    // The same through sync --fix, where a company also changes one of its own skills.
    fs.appendFileSync(path.join(ws.libraryDir, 'xlsx', 'SKILL.md'), '\nPivot tables too.\n');
    fs.appendFileSync(path.join(ws.companyDir('Lexicon'), 'legal-citations', 'SKILL.md'), '\nShepardize every case.\n');
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.json.index.read.sort()).toEqual(['legal-citations', 'xlsx']);
    expect(res.stdout).not.toMatch(/search index/); // --json prints JSON only
    expect(cli(ws, ['sync', '--fix']).stdout).toMatch(/search index: up to date \(6 skill versions, 0 read\)/);
  });

  it('the JSON index is valid after a rebuild is killed midway', () => {
    // A synced workspace whose index lacks four new library skills.
    const scenario = () => {
      ws = exampleWorkspace();
      indexFile = path.join(path.dirname(ws.storeDir), 'index.json');
      cli(ws, ['sync', '--fix']);
      for (const name of ['alpha', 'beta', 'gamma', 'delta']) {
        writeSkillFiles(path.join(ws.libraryDir, name), { 'SKILL.md': skillMd(name, `The ${name} skill.`, 'Body.') });
      }
      expect(cli(ws, ['sync', '--fix', '--no-index']).code).toBe(0);
    };
    scenario();
    const countFile = path.join(ws.root, 'checkpoints.txt');
    expect(discover(['--rebuild-index'], { LIBRARY_SYNC_TEST_CHECKPOINTS: countFile }).code).toBe(0);
    const labels = fs.readFileSync(countFile, 'utf8').trim().split('\n').map((l) => l.replace(/^\d+ /, ''));
    const killPoints = {
      'after the second skill read': labels.indexOf('index: skill read', labels.indexOf('index: skill read') + 1) + 1,
      'between the temp file and the rename': labels.indexOf('temp file written for index.json') + 1,
    };
    for (const [when, k] of Object.entries(killPoints)) {
      expect(k, when).toBeGreaterThan(0);
      scenario();
      const before = fs.readFileSync(indexFile, 'utf8');
      const killed = discover(['--rebuild-index'], { LIBRARY_SYNC_TEST_KILL_AT: String(k) });
      expect(killed.code, when).toBe(-1); // killed by a signal
      expect(fs.readFileSync(indexFile, 'utf8'), when).toBe(before);
      parseIndex(before, indexFile);
      const tempFiles = () => fs.readdirSync(path.dirname(indexFile)).filter((f) => f.startsWith('.index.json.tmp-'));
      expect(tempFiles(), when).toHaveLength(when.startsWith('between') ? 1 : 0);
      // The next rebuild finishes the job: it takes over the dead run's lock and removes its temp file.
      const res = discover(['--rebuild-index', '--json']);
      expect(res.code, res.stderr).toBe(0);
      expect(res.json.read.sort()).toEqual(['alpha', 'beta', 'delta', 'gamma']);
      expect(tempFiles()).toEqual([]);
      expect(search('gamma')[0].library).toEqual(['gamma']);
    }
  });

  it('a corrupt index is rebuilt from the store, with a warning', () => {
    cli(ws, ['sync', '--fix']);
    fs.writeFileSync(indexFile, '{"version": 1, "skills": {');
    // A search does not fail on it: it rebuilds the index first.
    const search = discover(['pdf', '--json']);
    expect(search.code).toBe(0);
    expect(search.json.hits[0].name).toBe('pdf');
    expect(search.stderr).toMatch(/is unusable; rebuilding it from the store/);
    fs.writeFileSync(indexFile, '{"version": 1, "skills": {');
    const res = discover(['--rebuild-index', '--json']);
    expect(res.code).toBe(0);
    expect(res.json.read).toHaveLength(6);
    expect(res.stderr).toMatch(/is unusable; rebuilding it from the store/);
    expect(JSON.parse(fs.readFileSync(indexFile, 'utf8')).version).toBe(1);
  });
});

describe('the index step of library sync --fix', () => {
  it('an index failure is reported with exit 1 and does not undo the sync', () => {
    const blocker = path.join(ws.root, 'blocker');
    fs.writeFileSync(blocker, 'a file where a folder is expected');
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, index: path.join(blocker, 'index.json') }));
    const res = cli(ws, ['sync', '--fix', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.companies.every((c: any) => c.ok)).toBe(true);
    expect(res.json.index.error).toMatch(/^the sync is done, but the search index was not rebuilt: cannot write search index .*blocker\/index\.json \(E[A-Z]+\)/);
    expect(res.stderr).toMatch(/^library: the sync is done, but the search index was not rebuilt: /m);
    expect(snapshotFolder(path.join(ws.companyDir('Northwind'), 'pdf'))).toEqual(snapshotFolder(path.join(ws.libraryDir, 'pdf')));
    expect(stateOf(cli(ws, ['status', '--json']).json, 'Northwind', 'pdf')).toBe('in-sync');
    expect(cli(ws, ['sync', '--fix', '--no-index']).code).toBe(0);
  });

  it('bad input to discover is one line and exit 2', () => {
    const noStore = discover(['--rebuild-index']);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/^discover: store .* does not exist yet: run `library sync --fix` first\n$/);
    expect(discover(['pdf']).stderr).toMatch(/^discover: search index .*index\.json does not exist: run `discover --rebuild-index`/);
    expect(discover([]).code).toBe(2);
    expect(discover(['pdf', '--rebuild-index']).code).toBe(2);
    expect(discover(['pdf', '--limit', '0']).code).toBe(2);
  });
});
