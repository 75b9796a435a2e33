/**
 * Every usage error is exit 2 and one line naming the flag and what it accepts (SPEC.md, "Exit codes"): an unknown
 * flag for every verb of both bins, and a bad value for every kind of flag value (and some out of range). The verbs and flags are
 * read from the program itself, so a new verb or flag is in the table without editing it.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { collect } from '../../src/cli/context.js';
import { CLI, DISCOVER, tempDir } from '../helpers.js';

interface Row {
  bin: string;
  args: string[];
  /** The first line of stderr. */
  error: RegExp;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unknown = (flag: string) => new RegExp(`^error: unknown option '${esc(flag)}'$`);
const invalid = (flags: string, value: string) => new RegExp(`^error: option '${esc(flags)}' argument '${esc(value)}' is invalid\\. expected .+, got "${esc(value)}"$`);

/** Every verb that runs (no sub-verbs), with what it needs to get past commander's own checks but the one we test. */
function verbs(cmd: Command, prefix: string[] = []): { path: string[]; needs: string[]; cmd: Command }[] {
  if (cmd.commands.length) return cmd.commands.flatMap((sub) => verbs(sub, [...prefix, sub.name()]));
  const needs = [...cmd.registeredArguments.filter((a) => a.required).map(() => 'x'), ...cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'x'])];
  return [{ path: prefix, needs, cmd }];
}

const library = verbs(buildProgram());
const OUT_OF_RANGE: [string[], string, string][] = [
  [['sync'], '--wait <seconds>', '-1'],
  [['forge-sync'], '--tries <n>', '0'],
  [['serve'], '--port <port>', '99999'],
];
const rows: Row[] = [
  ...library.map((v) => ({ bin: CLI, args: [...v.path, ...v.needs, '--no-such-flag'], error: unknown('--no-such-flag') })),
  // Every kind of value parser (seconds, tries, ports, durations, bytes), given a word: on the first flag that uses it.
  ...[...new Map(library.flatMap((v) => v.cmd.options.filter((o) => o.parseArg && o.parseArg !== collect).map((o) => [String(o.parseArg), { v, o }] as const))).values()].map(
    ({ v, o }) => ({ bin: CLI, args: [...v.path, ...v.needs, o.long!, 'abc'], error: invalid(o.flags, 'abc') }),
  ),
  ...OUT_OF_RANGE.map(([path, flags, value]) => ({ bin: CLI, args: [...path, flags.split(' ')[0], value], error: invalid(flags, value) })),
  { bin: DISCOVER, args: ['pdf', '--no-such-flag'], error: unknown('--no-such-flag') },
  { bin: DISCOVER, args: ['pdf', '--limit', '0'], error: invalid('--limit <n>', '0') },
];

function run(row: Row, cwd: string): Promise<{ row: Row; code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [row.bin, ...row.args], { cwd, env: { ...process.env, LIBRARY_CONFIG: '/nonexistent/config.json' } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => resolve({ row, code, stderr, stdout }));
  });
}

describe('usage errors', () => {
  it('every verb of both bins: an unknown flag, or a bad value for a flag, is exit 2 and one line naming the flag and what it accepts', async () => {
    expect(library.length).toBeGreaterThanOrEqual(25);
    expect(rows.length).toBeGreaterThan(library.length + 10);
    const cwd = tempDir(); // and no config anywhere: commander's checks come before any config is read
    const results: Awaited<ReturnType<typeof run>>[] = [];
    for (let i = 0; i < rows.length; i += 4) results.push(...(await Promise.all(rows.slice(i, i + 4).map((r) => run(r, cwd)))));
    const failures = results
      .filter(({ row, code, stderr, stdout }) => code !== 2 || stdout !== '' || !row.error.test(stderr.split('\n')[0]) || stderr.trim().split('\n').length > 2)
      .map(({ row, code, stderr }) => `${row.bin.endsWith('discover.js') ? 'discover' : 'library'} ${row.args.join(' ')}: exit ${code}, ${JSON.stringify(stderr)}`);
    expect(failures).toEqual([]);
  });
});
