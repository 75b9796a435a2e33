/**
 * The two audiences of the CLI's output (SPEC.md, "Output"): a person at a terminal (a real pseudo-terminal, via
 * util-linux `script`) gets short lines, each said once, and a progress line; a pipe gets pino JSON lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { DISCOVER, cleanupTempDirs, cli, exampleWorkspace, tempDir, terminal, write } from '../helpers.js';
import { closedPort } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const ERASE = '\r\x1b[2K';
const COLOUR = /\x1b\[[0-9;]*m/;
/** What a person sees at the end: each progress redraw replaced by what came after it. */
const visible = (output: string) => output.split('\n').map((line) => line.split(ERASE).pop()).join('\n');
const count = (text: string, part: string) => text.split(part).length - 1;

let ws: ExampleWorkspace;
const badName = 'invalid skill name "bad name"';
beforeAll(() => {
  ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // A folder sync must skip and report, and a library change CodeCraft's override keeps out.
  write(path.join(ws.companyDir('Lexicon'), 'bad name', 'SKILL.md'), '---\nname: bad\ndescription: x\n---\n');
  const pdf = path.join(ws.libraryDir, 'pdf', 'SKILL.md');
  fs.writeFileSync(pdf, fs.readFileSync(pdf, 'utf8').replace('page by page', 'page by page, tables too'));
});

describe('on a terminal', () => {
  it('sync --fix: progress redrawn on one line and gone at the end; the skipped folder said once; no JSON; no colour with NO_COLOR', () => {
    const res = terminal(ws, ['sync', '--fix'], { LIBRARY_SYNC_TEST_PROGRESS_MS: '0', NO_COLOR: '1' });
    expect(res.code).toBe(1); // a skipped folder needs a person
    const { output } = res;
    expect(output).toContain(`${ERASE}reading the library and the companies${ERASE}companies: 1/3 done, last `);
    expect(output).toMatch(/\r\x1b\[2Kcompanies: 2\/3 done, last \w+\r\x1b\[2K\r\x1b\[2Kupdating the search index\r\x1b\[2K/); // the last one erases it
    const summary = output.search(/library [0-9a-f]{7} from /);
    expect(output.slice(0, summary).endsWith(ERASE)).toBe(true); // erased before the summary, which has none of it
    expect(output.slice(summary)).not.toContain('\r');
    expect(count(output, badName)).toBe(1);
    expect(output).not.toContain('{"level"');
    expect(output).not.toMatch(COLOUR);
    const seen = visible(output);
    expect(seen).toMatch(/^CodeCraft: .*\n  override-behind +pdf\n  → nothing to change in the folder; recorded library [0-9a-f]{7} as distributed \(commit [0-9a-f]{7}\)$/m);
    expect(seen).toMatch(/^Lexicon: .*\n  behind +pdf\n  skipped +.*bad name.*\n  → updated pdf \(commit [0-9a-f]{7}\)$/m);
  });

  it('--json: the terminal gets the JSON and nothing else, no progress', () => {
    const res = terminal(ws, ['sync', '--json'], { LIBRARY_SYNC_TEST_PROGRESS_MS: '0' });
    expect(res.code).toBe(1);
    expect(JSON.parse(res.output).companies.map((c: any) => c.name)).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
  });

  it('a forge-sync failure: each retry a warning, the failure one error naming the log file; the log file has the JSON', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/store.git`;
    const log = path.join(tempDir(), 'logs', 'sync.log');
    const res = terminal(ws, ['--log-file', log, 'forge-sync', url, '--tries', '2', '--retry-delay', '0.1', '--connect-timeout', '1']);
    expect(res.code).toBe(3);
    const failure = `forge-sync: ${url} unreachable after 2 tries: ECONNREFUSED`;
    expect(res.output.trimEnd().split('\n')).toEqual([
      `\x1b[33mwarning:\x1b[0m forge-sync: ${url}: try 1 of 2 failed (ECONNREFUSED); retrying in 0.1s`,
      `\x1b[1;31merror:\x1b[0m ${failure} (log: ${log})`,
      `forge-sync: ${url}: FAILED (exit 3; the reason is on stderr)`,
    ]);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, expect.stringMatching(/try 1 of 2 failed/)],
      [50, failure],
    ]);
  });

  it('discover: one line per hit cut to the terminal width, versions of a skill grouped', () => {
    const res = terminal(ws, ['pdf'], {}, { bin: DISCOVER, setup: 'stty cols 60 rows 20' });
    expect(res.code).toBe(0);
    const lines = res.output.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^pdf  library, Lexicon, Northwind — Extract text and tables.*…$/);
    expect(lines[1]).toMatch(/^ {5}CodeCraft \(override-behind\) — Extract text from PDFs\. …$/);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(60);
  });
});

describe('not on a terminal', () => {
  it('sync: pino JSON lines on stderr, no progress; the summary on stdout', () => {
    const res = cli(ws, ['sync'], { LIBRARY_SYNC_TEST_PROGRESS_MS: '0' });
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([expect.stringContaining(badName)]);
    expect(lines.filter((l) => l.level === 30).map((l) => l.company)).toEqual(['CodeCraft', 'Lexicon', 'Northwind']);
    expect(res.stdout).toMatch(/^library [0-9a-f]{7} from /);
    expect(res.stdout + res.stderr).not.toContain('\r');
  });

  it('status: a URL pushed to once, not in the config, is shown for a week after its last try, then forgotten', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/store.git`;
    expect(cli(ws, ['forge-sync', url, '--tries', '1']).code).toBe(3);
    expect(cli(ws, ['status']).stdout).toMatch(new RegExp(`^remote ${url.replace(/\./g, '\\.')}: never pushed; LAST ERROR .*; not in the config: shown until a week after its last try$`, 'm'));
    const file = path.join(ws.storeDir, 'library-sync', 'remotes.json');
    const records = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const r of Object.values<any>(records)) r.lastAttempt = r.lastErrorAt = new Date(Date.now() - 8 * 86400_000).toISOString();
    fs.writeFileSync(file, JSON.stringify(records));
    expect(cli(ws, ['status', '--json']).json.remotes).toEqual([]);
  });
});
