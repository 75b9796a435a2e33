/**
 * The validation rules as a table, one case per rule code (SPEC.md,
 * "Validation"), fed through the real CLI: every case is a skill folder of one
 * library, checked by `library validate --json`, then by `library sync --json`,
 * which must block exactly the skills with errors and report the same warnings.
 * Cases named `test_*` are the reference validator's published tests
 * (agentskills/agentskills, skills-ref/tests); "deviation" says where we
 * differ from it, and why (SPEC.md).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RULES, type RuleCode } from '../../src/validate/rules.js';
import { ROOT, cleanupTempDirs, cli, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

type Entry = string | Buffer | { symlink: string } | 'fifo';
interface Expected {
  code: RuleCode;
  path?: string;
  line?: number;
  column?: number;
}
interface Case {
  name: string;
  /** The skill folder; a Buffer for a name that is not UTF-8. */
  folder: string | Buffer;
  files: Record<string, Entry>;
  /** Names that are not valid UTF-8, relative to the skill folder. */
  rawFiles?: Buffer[];
  expect: Expected[];
}

const md = (name: string, extra = '', description = 'A test skill') => `---\nname: ${name}\ndescription: ${description}\n${extra}---\n# Body\n`;
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const MAX = 100_000;

const cases: Case[] = [
  // Clean: the reference's valid skills, Claude Code's keys, and YAML that is valid.
  { name: 'test_valid_skill', folder: 'valid-skill', files: { 'SKILL.md': md('valid-skill') }, expect: [] },
  { name: 'test_valid_with_all_fields', folder: 'all-fields', files: { 'SKILL.md': md('all-fields', 'license: MIT\nmetadata:\n  author: Test\n') }, expect: [] },
  { name: 'test_allowed_tools_accepted', folder: 'allowed-tools', files: { 'SKILL.md': md('allowed-tools', 'allowed-tools: Bash(jq:*) Bash(git:*)\n') }, expect: [] },
  { name: 'test_valid_compatibility', folder: 'compat-ok', files: { 'SKILL.md': md('compat-ok', 'compatibility: Requires Python 3.11+\n') }, expect: [] },
  {
    name: "Claude Code's own keys are clean",
    folder: 'claude-code-keys',
    files: {
      'SKILL.md': md(
        'claude-code-keys',
        [
          'when_to_use: when the user asks for a review',
          'argument-hint: "[file]"',
          'arguments: [file]',
          'disable-model-invocation: true',
          'user-invocable: false',
          'allowed-tools: Read Grep Bash(git diff *)',
          'model: sonnet',
          'effort: high',
          'context: fork',
          'agent: Explore',
          'hooks:\n  PreToolUse:\n    - matcher: Bash\n      hooks:\n        - type: command\n          command: echo hi',
          'paths: ["src/**/*.ts"]',
          'shell: bash',
          'license: Apache-2.0',
          'compatibility: Designed for Claude Code',
          'metadata:\n  author: example-org\n  version: "1.0"',
          '',
        ].join('\n'),
      ),
    },
    expect: [],
  },
  { name: 'flow-style front matter', folder: 'flow-style', files: { 'SKILL.md': '---\n{name: flow-style, description: "Flow style"}\n---\n' }, expect: [] },
  { name: 'anchors and aliases', folder: 'anchors', files: { 'SKILL.md': '---\nname: anchors\ndescription: &d Reads PDFs\nwhen_to_use: *d\n---\n' }, expect: [] },
  { name: 'tabs in values', folder: 'tabs', files: { 'SKILL.md': '---\nname: tabs\ndescription: a\tb\twith tabs\n---\n' }, expect: [] },
  { name: 'a BOM and CRLF', folder: 'bom-crlf', files: { 'SKILL.md': '\uFEFF---\r\nname: bom-crlf\r\ndescription: "Reads: PDFs"\r\n---\r\nbody\r\n' }, expect: [] },
  {
    name: 'a --- inside a quoted value or a block scalar is not a fence',
    folder: 'dashes',
    files: { 'SKILL.md': '---\nname: dashes\ndescription: "a --- b"\nwhen_to_use: |\n  one\n  ---\n  two\n---\n' },
    expect: [],
  },
  { name: 'description length is counted in code points: 1024 × "é" is within the limit', folder: 'code-points', files: { 'SKILL.md': md('code-points', '', 'é'.repeat(1024)) }, expect: [] },

  // Errors: what blocks distribution.
  { name: 'test_name_leading_hyphen (ours: the folder name itself is refused)', folder: '-my-skill', files: { 'SKILL.md': md('-my-skill') }, expect: [{ code: 'skill-name-invalid', path: '-my-skill' }] },
  { name: 'test_i18n_chinese_name (deviation: skill folder names stay ASCII)', folder: '技能', files: { 'SKILL.md': md('技能') }, expect: [{ code: 'skill-name-invalid' }] },
  { name: 'test_i18n_russian_name_with_hyphens (deviation: ASCII)', folder: 'мой-навык', files: { 'SKILL.md': md('мой-навык') }, expect: [{ code: 'skill-name-invalid' }] },
  { name: 'test_i18n_russian_lowercase_valid (deviation: ASCII)', folder: 'навык', files: { 'SKILL.md': md('навык') }, expect: [{ code: 'skill-name-invalid' }] },
  { name: 'test_nfkc_normalization (deviation: ASCII)', folder: 'café', files: { 'SKILL.md': md('cafe\u0301') }, expect: [{ code: 'skill-name-invalid' }] },
  { name: 'a skill folder name that is not UTF-8', folder: latin1('bad\xffskill'), files: { 'SKILL.md': md('bad') }, expect: [{ code: 'skill-name-invalid' }] },
  { name: 'test_missing_skill_md', folder: 'no-skill-md', files: { 'notes.txt': 'x' }, expect: [{ code: 'skill-md-missing', path: 'no-skill-md/SKILL.md' }] },
  { name: 'test_find_skill_md_accepts_lowercase (deviation: Claude Code reads SKILL.md only)', folder: 'lowercase-md', files: { 'skill.md': md('lowercase-md') }, expect: [{ code: 'skill-md-missing' }] },
  { name: 'SKILL.md that is a folder', folder: 'md-folder', files: { 'SKILL.md/x.md': 'x' }, expect: [{ code: 'skill-md-not-file', path: 'md-folder/SKILL.md' }] },
  { name: 'test_missing_frontmatter', folder: 'no-front-matter', files: { 'SKILL.md': '# No frontmatter here' }, expect: [{ code: 'front-matter-missing' }] },
  { name: 'test_unclosed_frontmatter', folder: 'unclosed', files: { 'SKILL.md': '---\nname: unclosed\ndescription: A test skill\n' }, expect: [{ code: 'front-matter-unclosed' }] },
  {
    name: 'front matter that is not UTF-8',
    folder: 'latin1-description',
    files: { 'SKILL.md': Buffer.concat([Buffer.from('---\nname: latin1-description\ndescription: caf'), latin1('\xe9'), Buffer.from('\n---\n')]) },
    expect: [{ code: 'front-matter-encoding', line: 3 }],
  },
  { name: 'test_invalid_yaml', folder: 'invalid-yaml', files: { 'SKILL.md': '---\nname: [invalid\ndescription: broken\n---\nBody here\n' }, expect: [{ code: 'yaml-invalid', line: 3, column: 1 }] },
  { name: 'an unquoted ": " in a value', folder: 'colon', files: { 'SKILL.md': '---\nname: colon\ndescription: Reads: PDFs\n---\n' }, expect: [{ code: 'yaml-invalid', line: 3, column: 14 }] },
  { name: 'a key written twice', folder: 'twice', files: { 'SKILL.md': md('twice', 'description: again\n') }, expect: [{ code: 'yaml-invalid', line: 4, column: 1 }] },
  { name: 'test_non_dict_frontmatter', folder: 'a-list', files: { 'SKILL.md': '---\n- just\n- a\n- list\n---\nBody\n' }, expect: [{ code: 'front-matter-not-mapping' }] },
  { name: 'test_missing_name', folder: 'no-name', files: { 'SKILL.md': '---\ndescription: A test skill\n---\nBody\n' }, expect: [{ code: 'name-missing' }] },
  { name: 'a numeric name', folder: '123', files: { 'SKILL.md': md('123') }, expect: [{ code: 'name-not-string', line: 2, column: 1 }] },
  { name: 'test_name_directory_mismatch', folder: 'wrong-name', files: { 'SKILL.md': md('correct-name') }, expect: [{ code: 'name-mismatch', line: 2 }] },
  { name: 'test_missing_description', folder: 'no-description', files: { 'SKILL.md': '---\nname: no-description\n---\nBody\n' }, expect: [{ code: 'description-missing' }] },
  { name: 'a description that is a list', folder: 'list-description', files: { 'SKILL.md': md('list-description', '', '[a, b]') }, expect: [{ code: 'description-not-string', line: 3 }] },
  { name: 'a symlink out of the skill', folder: 'leaky', files: { 'SKILL.md': md('leaky'), keys: { symlink: '../../secrets' } }, expect: [{ code: 'symlink-outside', path: 'leaky/keys' }] },
  { name: 'a file over the size limit', folder: 'huge', files: { 'SKILL.md': md('huge'), 'blob.bin': 'x'.repeat(MAX + 1) }, expect: [{ code: 'file-too-large', path: 'huge/blob.bin' }] },
  { name: 'a FIFO', folder: 'fifo', files: { 'SKILL.md': md('fifo'), pipe: 'fifo' }, expect: [{ code: 'special-file', path: 'fifo/pipe' }] },
  {
    name: 'a .gitmodules git refuses (a URL that is an option)',
    folder: 'vendored',
    files: { 'SKILL.md': md('vendored'), '.gitmodules': '[submodule "x"]\n\tpath = x\n\turl = -oProxyCommand=touch owned\n' },
    expect: [{ code: 'gitmodules-refused', path: 'vendored/.gitmodules' }],
  },
  { name: 'a file name git and Windows refuse', folder: 'backslash', files: { 'SKILL.md': md('backslash'), 'a\\b.txt': 'x' }, expect: [{ code: 'file-name-invalid', path: 'backslash/a\\b.txt' }] },
  { name: 'a file name that is not UTF-8 (no crash)', folder: 'bad-file-name', files: { 'SKILL.md': md('bad-file-name') }, rawFiles: [latin1('bad-\xff.txt')], expect: [{ code: 'file-name-encoding', path: 'bad-file-name/bad-\uFFFD.txt' }] },
  {
    name: 'names a Mac cannot hold apart: case, and NFC against NFD',
    folder: 'collide',
    files: { 'SKILL.md': md('collide'), 'README.md': 'a', 'readme.md': 'b', 'docs/caf\u00e9.md': 'nfc', 'docs/cafe\u0301.md': 'nfd' },
    expect: [{ code: 'name-collision', path: 'collide/README.md' }, { code: 'name-collision' }],
  },

  // Warnings: the specification's rules; the skill is still distributed.
  { name: 'test_invalid_name_uppercase', folder: 'MySkill', files: { 'SKILL.md': md('MySkill') }, expect: [{ code: 'name-format', path: 'MySkill' }] },
  { name: 'test_name_consecutive_hyphens', folder: 'my--skill', files: { 'SKILL.md': md('my--skill') }, expect: [{ code: 'name-format' }] },
  { name: 'test_name_invalid_characters', folder: 'my_skill', files: { 'SKILL.md': md('my_skill') }, expect: [{ code: 'name-format' }] },
  { name: 'a trailing hyphen and a dot', folder: 'my.skill-', files: { 'SKILL.md': md('my.skill-') }, expect: [{ code: 'name-format' }] },
  { name: 'test_name_too_long', folder: 'a'.repeat(70), files: { 'SKILL.md': md('a'.repeat(70)) }, expect: [{ code: 'name-too-long' }] },
  { name: 'test_description_too_long', folder: 'long-description', files: { 'SKILL.md': md('long-description', '', 'x'.repeat(1100)) }, expect: [{ code: 'description-too-long', line: 3, column: 1 }] },
  {
    // Anthropic's own claude-api skill (anthropics/skills) has a 1068-character description: blocking it would be wrong.
    name: 'a 1068-character block-scalar description, as in Anthropic\'s claude-api skill',
    folder: 'like-claude-api',
    files: { 'SKILL.md': `---\nname: like-claude-api\ndescription: |-\n  ${'Reference — TRIGGER when the code imports the SDK. '.repeat(21).slice(0, 1068)}\nlicense: Complete terms in LICENSE.txt\n---\n` },
    expect: [{ code: 'description-too-long', line: 3 }],
  },
  { name: 'test_compatibility_too_long', folder: 'long-compat', files: { 'SKILL.md': md('long-compat', `compatibility: ${'x'.repeat(550)}\n`) }, expect: [{ code: 'compatibility-too-long', line: 4 }] },
  { name: 'compatibility that is not a string', folder: 'compat-number', files: { 'SKILL.md': md('compat-number', 'compatibility: 3.11\n') }, expect: [{ code: 'field-type', line: 4 }] },
  { name: 'allowed-tools as a list (Claude Code reads it; the specification wants a string)', folder: 'tools-list', files: { 'SKILL.md': md('tools-list', 'allowed-tools: [Read, Grep]\n') }, expect: [{ code: 'field-type' }] },
  { name: 'test_read_with_metadata (deviation: an unquoted 1.0 is a number in YAML 1.2)', folder: 'metadata-number', files: { 'SKILL.md': md('metadata-number', 'metadata:\n  author: Test Author\n  version: 1.0\n') }, expect: [{ code: 'field-type' }] },
  { name: 'metadata that is not a mapping', folder: 'metadata-list', files: { 'SKILL.md': md('metadata-list', 'metadata: [a]\n') }, expect: [{ code: 'field-type' }] },
  { name: 'test_unexpected_fields', folder: 'unexpected', files: { 'SKILL.md': md('unexpected', 'unknown_field: should not be here\n') }, expect: [{ code: 'unknown-field', line: 4, column: 1 }] },
  { name: 'version and tags are not top-level keys', folder: 'version-tags', files: { 'SKILL.md': md('version-tags', 'version: 1.0.0\ntags: [a]\n') }, expect: [{ code: 'unknown-field', line: 4 }, { code: 'unknown-field', line: 5 }] },
  { name: 'front matter closed with ...', folder: 'dots', files: { 'SKILL.md': '---\nname: dots\ndescription: x\n...\nbody\n' }, expect: [{ code: 'front-matter-dots', line: 4 }] },
];

const key = (folder: string | Buffer) => (Buffer.isBuffer(folder) ? folder.toString('utf8') : folder);

function writeCase(lib: string, c: Case): void {
  const dir = Buffer.isBuffer(c.folder) ? Buffer.concat([Buffer.from(`${lib}/`), c.folder]) : path.join(lib, c.folder);
  fs.mkdirSync(dir, { recursive: true });
  const at = (rel: string | Buffer) => (Buffer.isBuffer(dir) || Buffer.isBuffer(rel) ? Buffer.concat([Buffer.from(dir), Buffer.from('/'), Buffer.from(rel)]) : path.join(dir, rel));
  for (const [rel, entry] of Object.entries(c.files)) {
    const file = at(rel);
    if (typeof file === 'string') fs.mkdirSync(path.dirname(file), { recursive: true });
    if (entry === 'fifo') execFileSync('mkfifo', [file.toString()]);
    else if (typeof entry === 'object' && 'symlink' in entry) fs.symlinkSync(entry.symlink, file);
    else fs.writeFileSync(file, entry);
  }
  for (const raw of c.rawFiles ?? []) fs.writeFileSync(at(raw), 'x');
}

/** One library holding every case, so one CLI run checks them all. */
function tableLibrary(): string {
  const lib = path.join(tempDir('lsync-rules-'), 'skills');
  for (const c of cases) writeCase(lib, c);
  return lib;
}

const shape = (f: any) => ({ code: f.code, ...(f.line !== undefined && { line: f.line }), ...(f.column !== undefined && { column: f.column }), path: f.path });

describe('validation rules, one case per code, through the real CLI', () => {
  const lib = tableLibrary();
  const res = cli(null, ['validate', lib, '--max-file-bytes', String(MAX), '--json']);

  it('library validate --json: { ok, target, skills, findings }; errors exit 1, ok is false', () => {
    expect(res.stderr).toBe('');
    expect(res.code).toBe(1);
    expect(Object.keys(res.json)).toEqual(['ok', 'target', 'skills', 'findings']);
    expect(res.json.ok).toBe(false);
    expect(res.json.target).toBe(lib);
    expect([...res.json.skills].sort()).toEqual(cases.map((c) => key(c.folder)).sort());
    for (const f of res.json.findings) {
      expect(Object.keys(f).slice(0, 5)).toEqual(['skill', 'path', 'code', 'severity', 'message']);
      expect(f.severity).toBe(RULES[f.code as RuleCode]);
      expect(f.message).toMatch(/: /); // what is wrong, then the fix
    }
  });

  for (const c of cases) {
    it(c.name, () => {
      const got = res.json.findings.filter((f: any) => f.skill === key(c.folder));
      expect(got.map((f: any) => f.code)).toEqual(c.expect.map((e) => e.code));
      got.forEach((f: any, i: number) => {
        const want = c.expect[i];
        expect(shape(f)).toMatchObject({ ...want, path: want.path ?? expect.any(String) });
      });
    });
  }

  it('the messages name the fix', () => {
    const message = (skill: string) => res.json.findings.find((f: any) => f.skill === skill).message;
    expect(message('colon')).toBe('front matter is not valid YAML at line 3, column 14: Nested mappings are not allowed in compact mappings: quote the value: description: "Reads: PDFs"');
    expect(message('like-claude-api')).toMatch(/^description is 1068 characters, over the Agent Skills limit of 1024/);
    expect(message('twice')).toMatch(/Map keys must be unique: a key may appear once: remove or rename one of them$/);
    expect(message('123')).toBe('front matter "name" is a number (123), not text: write name: "123"');
    expect(message('技能')).toMatch(/ASCII letters, digits/);
    expect(message('MySkill')).toMatch(/rename the folder and "name" to "myskill"$/);
    expect(message('md-folder')).toBe('is a folder: SKILL.md must be a regular file');
    expect(message('lowercase-md')).toBe('is missing; there is a "skill.md": rename it to SKILL.md');
    expect(message('metadata-number')).toMatch(/quote it: version: "1.0"$/);
    expect(message('tools-list')).toMatch(/allowed-tools: Read Grep$/);
    expect(message('collide')).toMatch(/^names "README.md" and "readme.md" differ only in letter case/);
    expect(res.json.findings.filter((f: any) => f.skill === 'collide')[1].message).toMatch(/^names "cafe\u0301.md" \(NFD\) and "caf\u00e9.md" \(NFC\) differ only in Unicode normalization/);
  });

  it('text output: one line per finding with position, severity and code, then a summary', () => {
    const text = cli(null, ['validate', lib, '--max-file-bytes', String(MAX)]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${path.join(lib, 'colon', 'SKILL.md')}:3:14: error: front matter is not valid YAML at line 3, column 14: `);
    expect(text.stdout).toContain(`${path.join(lib, 'MySkill')}: warning: skill name "MySkill" has uppercase letters`);
    expect(text.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^failed: \\d+ errors, \\d+ warnings; ${cases.length} skills checked in `));
  });

  it('sync blocks exactly the skills with errors and reports the same warnings, in text and JSON; warnings never exit 1 on their own', () => {
    const root = path.dirname(lib);
    const company = path.join(root, 'ALAI', 'Acme', '.claude', 'skills');
    fs.mkdirSync(company, { recursive: true });
    const configFile = path.join(root, 'library.config.json');
    const config = { library: lib, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: path.join(root, 'store.git'), safety: { maxFileBytes: MAX } };
    fs.writeFileSync(configFile, JSON.stringify(config));
    const sync = cli({ configFile }, ['sync', '--json']);
    expect(sync.code).toBe(1);
    const withErrors = new Set(res.json.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.skill));
    const skipped = new Set(sync.json.library.problems.map((p: any) => p.skill));
    expect([...skipped].sort()).toEqual([...withErrors].sort());
    const warnings = res.json.findings.filter((f: any) => f.severity === 'warning' && !withErrors.has(f.skill));
    expect(sync.json.library.warnings).toEqual(warnings);
    expect(sync.json.library.skills.sort()).toEqual(cases.map((c) => key(c.folder)).filter((s) => !withErrors.has(s)).sort());
    expect(cli({ configFile }, ['sync']).stdout).toContain(`  warning: ${path.join(lib, 'dots', 'SKILL.md')}:4: front matter is closed with "..."`);

    // Only the skills with warnings: sync --fix distributes them and exits 0.
    for (const n of fs.readdirSync(lib, { encoding: 'buffer' })) {
      if (withErrors.has(n.toString('utf8'))) fs.rmSync(Buffer.concat([Buffer.from(`${lib}/`), n]), { recursive: true });
    }
    const fixed = cli({ configFile }, ['sync', '--fix', '--json', '--no-index']);
    expect(fixed.json.library.problems).toEqual([]);
    expect(fixed.code).toBe(0);
    expect(fixed.json.library.warnings.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(company, 'MySkill', 'SKILL.md'))).toBe(true);
    expect(fs.existsSync(path.join(company, 'long-description', 'SKILL.md'))).toBe(true);

    // validation: "strict": the same warnings block the skills.
    fs.writeFileSync(configFile, JSON.stringify({ ...config, validation: 'strict' }));
    const strict = cli({ configFile }, ['sync', '--json']);
    expect(strict.code).toBe(1);
    expect(strict.json.library.warnings).toEqual([]);
    expect(strict.json.library.problems.map((p: any) => p.skill).sort()).toEqual([...new Set(warnings.map((w: any) => w.skill))].sort());
    expect(strict.json.library.problems.find((p: any) => p.skill === 'dots').message).toMatch(/SKILL\.md:4: front matter is closed with "\.\.\."/);
    const strictValidate = cli({ configFile }, ['validate', '--json']);
    expect(strictValidate.code).toBe(1);
    expect(strictValidate.json.findings.every((f: any) => f.severity === 'error')).toBe(true);
    fs.writeFileSync(configFile, JSON.stringify({ ...config, validation: 'loose' }));
    const badConfig = cli({ configFile }, ['validate']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/"validation" must be "default" .* or "strict"/);
  });
});

/** What the rules that need a library of their own find ("<skill> <code>"): asserted by their tests below. */
const MAC_LIBRARY_FINDINGS = ['PDF name-collision', 'PDF name-format', 'link skill-symlink', 'pdf name-collision', 'НАВЫК skill-name-invalid'];
const UNREADABLE: RuleCode = 'skill-unreadable';

describe('rules that need a library of their own', () => {
  it('two skill folders a Mac cannot hold apart are both blocked; test_i18n_russian_uppercase_rejected', () => {
    const lib = path.join(tempDir('lsync-rules-'), 'skills');
    writeCase(lib, { name: '', folder: 'pdf', files: { 'SKILL.md': md('pdf') }, expect: [] });
    writeCase(lib, { name: '', folder: 'PDF', files: { 'SKILL.md': md('PDF') }, expect: [] });
    writeCase(lib, { name: '', folder: 'НАВЫК', files: { 'SKILL.md': md('НАВЫК') }, expect: [] });
    fs.symlinkSync('pdf', path.join(lib, 'link'));
    const res = cli(null, ['validate', lib, '--json']);
    expect(res.code).toBe(1);
    const got = res.json.findings.map((f: any) => `${f.skill} ${f.code}`);
    expect(got.sort()).toEqual(MAC_LIBRARY_FINDINGS);
    expect(res.json.findings.find((f: any) => f.skill === 'pdf').message).toMatch(/^skill folders "PDF" and "pdf" differ only in letter case: a Mac/);
  });

  it('a skill that cannot be read is a finding, and sync still distributes the others', () => {
    // A library in git whose object for one file is gone.
    const root = tempDir('lsync-rules-');
    const lib = path.join(root, 'skills');
    writeCase(lib, { name: '', folder: 'pdf', files: { 'SKILL.md': md('pdf') }, expect: [] });
    writeCase(lib, { name: '', folder: 'docx', files: { 'SKILL.md': md('docx'), 'lost.txt': 'gone' }, expect: [] });
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: root, encoding: 'utf8' });
    g('init', '-q');
    g('add', '-A');
    g('commit', '-qm', 'library');
    const blob = g('rev-parse', 'HEAD:skills/docx/lost.txt').trim();
    fs.rmSync(path.join(root, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    fs.mkdirSync(path.join(root, 'ALAI', 'Acme', '.claude', 'skills'), { recursive: true });
    const configFile = path.join(root, 'library.config.json');
    fs.writeFileSync(configFile, JSON.stringify({ library: lib, companies: path.join(root, 'ALAI', '*', '.claude', 'skills'), store: path.join(root, 'store.git') }));
    const res = cli({ configFile }, ['sync', '--fix', '--json', '--no-index']);
    expect(res.code).toBe(1);
    expect(res.json.library.problems).toEqual([{ skill: 'docx', message: expect.stringMatching(new RegExp(`docx: cannot be read: .* \\[${UNREADABLE}\\]$`)) }]);
    expect(fs.existsSync(path.join(root, 'ALAI', 'Acme', '.claude', 'skills', 'pdf', 'SKILL.md'))).toBe(true);
  });

  it('every rule code has a case, and SPEC.md lists every code with its severity', () => {
    // The codes the cases declare, each asserted by its own case: this needs no other test to have run first.
    const declared = new Set([...cases.flatMap((c) => c.expect.map((e) => e.code)), ...MAC_LIBRARY_FINDINGS.map((f) => f.split(' ')[1]), UNREADABLE]);
    expect([...declared].sort()).toEqual(Object.keys(RULES).sort());
    const spec = fs.readFileSync(path.join(ROOT, 'SPEC.md'), 'utf8');
    const section = spec.slice(spec.indexOf('## Validation'), spec.indexOf('\n## ', spec.indexOf('## Validation') + 1));
    for (const [code, severity] of Object.entries(RULES)) {
      expect(section, code).toMatch(new RegExp(`^\\| \`${code}\` \\| ${severity} \\|`, 'm'));
    }
  });
});
