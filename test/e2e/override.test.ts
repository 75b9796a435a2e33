/** End-to-end: override reasons (git notes), unexplained drift and `status --check --strict`. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
});

const REASON = 'CodeCraft scans paper invoices, so OCR runs first';
const driftOf = (company: string, skill: string, json: any) => json.drift.overrides.find((o: any) => o.company === company && o.skill === skill);

describe('library override --reason', () => {
  it('the reason is shown by status, status --json and native git log', () => {
    const res = cli(ws, ['override', 'pdf', '--company', 'CodeCraft', '--reason', REASON]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`CodeCraft's pdf (override`);

    const status = cli(ws, ['status']);
    expect(status.stdout).toMatch(new RegExp(`override +pdf +reason: ${REASON}`));
    expect(status.stdout).not.toMatch(/unexplained drift/);
    const json = cli(ws, ['status', '--json']).json;
    expect(json.companies.find((c: any) => c.name === 'CodeCraft').skills.find((s: any) => s.name === 'pdf').reason).toBe(REASON);
    expect(driftOf('CodeCraft', 'pdf', json).reason.text).toBe(REASON);
    expect(json.drift.unexplained).toEqual([]);

    // Native git: the note, on the company's history, in plain `git log` and with --notes.
    expect(git(ws.storeDir, ['log', '-1', 'companies/CodeCraft'])).toContain(`Reason: ${REASON}`);
    expect(git(ws.storeDir, ['log', '--notes=overrides', '--format=%N', 'companies/CodeCraft'])).toContain(`Override: pdf\nCompany: CodeCraft\nReason: ${REASON}`);
    const tree = git(ws.storeDir, ['rev-parse', 'companies/CodeCraft:pdf']).trim();
    expect(git(ws.storeDir, ['notes', '--ref=overrides', 'show', 'companies/CodeCraft'])).toContain(`Skill-Tree: ${tree}`);
    fsck(ws.storeDir);
  });

  it('an edit made since the last sync is observed first, so the note sits on the explained version', () => {
    fs.appendFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'SKILL.md'), 'Northwind: EUR only.\n');
    expect(cli(ws, ['override', 'xlsx', '--company', 'Northwind', '--reason', 'Northwind bills in EUR']).code).toBe(0);
    const log = git(ws.storeDir, ['log', '-1', '--format=%s%n%N', '--notes=overrides', 'companies/Northwind']);
    expect(log).toMatch(/^observe Northwind: changed xlsx\n/);
    expect(log).toContain('Reason: Northwind bills in EUR');
    expect(git(ws.storeDir, ['show', 'companies/Northwind:xlsx/SKILL.md'])).toContain('EUR only');
    // The next sync finds nothing new to observe.
    expect(cli(ws, ['sync', '--fix', '--json']).json.companies.find((c: any) => c.name === 'Northwind').commits.observed).toBeNull();
    fsck(ws.storeDir);
  });

  it('a later company edit makes the override unexplained again; --check --strict fails on it', () => {
    cli(ws, ['override', 'pdf', '--company', 'CodeCraft', '--reason', REASON]);
    expect(cli(ws, ['status', '--check', '--strict']).code).toBe(0);
    fs.appendFileSync(path.join(ws.companyDir('CodeCraft'), 'pdf', 'reference.md'), 'more\n');
    const json = cli(ws, ['status', '--json']).json;
    expect(json.drift.unexplained).toEqual([expect.objectContaining({ company: 'CodeCraft', skill: 'pdf', state: 'override' })]);
    expect(driftOf('CodeCraft', 'pdf', json).staleReason.text).toBe(REASON);
    expect(cli(ws, ['status']).stdout).toMatch(/CodeCraft\/pdf override \(a reason was recorded for an earlier version/);
    const strict = cli(ws, ['status', '--check', '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/unexplained drift in CodeCraft\/pdf/);
    // Without --strict, drift is not a failure.
    expect(cli(ws, ['status', '--check']).code).toBe(0);
  });

  it('refuses what is not an override, a missing or multi-line reason, and --strict without --check; writes nothing', () => {
    const refs = refsOf(ws.storeDir);
    const cases: [string[], RegExp][] = [
      [['override', 'docx', '--company', 'CodeCraft', '--reason', 'x'], /CodeCraft's docx is in-sync: only an override/],
      [['override', 'legal-citations', '--company', 'Lexicon', '--reason', 'x'], /is company-only/],
      [['override', 'pdf', '--company', 'Nobody', '--reason', 'x'], /unknown company "Nobody"/],
      [['override', 'pdf', '--company', 'CodeCraft', '--reason', 'two\nlines'], /one line/],
      [['override', 'pdf', '--company', 'CodeCraft', '--reason', '  '], /needs --reason/],
      [['override', 'pdf', '--company', 'CodeCraft'], /required option '--reason/],
      [['status', '--strict'], /--strict goes with --check/],
    ];
    for (const [args, pattern] of cases) {
      const res = cli(ws, args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(pattern);
    }
    expect(refsOf(ws.storeDir)).toBe(refs);
  });
});
