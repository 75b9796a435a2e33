/**
 * Every usage error is exit 2 and one line naming the flag and what it accepts (SPEC.md, "Exit codes"). The table
 * is read from the program itself, so a new verb or flag is in it without editing this file: an unknown flag for
 * every verb, and a word for every flag that takes a value. It runs through runProgram (what the bins run) in this
 * process, since commander stops before any action; the issue's own cases run through both real bins.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { collect } from '../../src/cli/context.js';
import { runProgram } from '../../src/cli/main.js';
import { CLI, DISCOVER, cli, exampleWorkspace, tempDir } from '../helpers.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const unknown = (flag: string) => new RegExp(`^error: unknown option '${esc(flag)}'$`);
const invalid = (flags: string, value: string) => new RegExp(`^error: option '${esc(flags)}' argument '${esc(value)}' is invalid\\. expected .+, got "${esc(value)}"$`);

/** Every verb that runs (no sub-verbs), with what it needs to get past commander's other checks. */
function verbs(cmd: Command, prefix: string[] = []): { path: string[]; needs: string[]; cmd: Command }[] {
  if (cmd.commands.length) return cmd.commands.flatMap((sub) => verbs(sub, [...prefix, sub.name()]));
  const needs = [...cmd.registeredArguments.filter((a) => a.required).map(() => 'x'), ...cmd.options.filter((o) => o.mandatory).flatMap((o) => [o.long!, 'x'])];
  return [{ path: prefix, needs, cmd }];
}

/** One fresh program, its stderr captured through commander's own output hook. */
async function parse(args: string[]): Promise<{ code: number; stderr: string }> {
  const program = buildProgram();
  let stderr = '';
  const capture = (cmd: Command): void => {
    cmd.configureOutput({ writeErr: (s) => (stderr += s), writeOut: () => undefined });
    cmd.commands.forEach(capture);
  };
  capture(program);
  const code = await runProgram(program, ['node', 'library', ...args]);
  return { code, stderr };
}

describe('usage errors', () => {
  it('every verb: an unknown flag, and a word for every flag that takes a value, is exit 2 and one line naming the flag', async () => {
    const all = verbs(buildProgram());
    expect(all.length).toBeGreaterThanOrEqual(25);
    const rows = [
      ...all.map((v) => ({ args: [...v.path, ...v.needs, '--no-such-flag'], error: unknown('--no-such-flag') })),
      ...all.flatMap((v) => v.cmd.options.filter((o) => o.parseArg && o.parseArg !== collect).map((o) => ({ args: [...v.path, ...v.needs, o.long!, 'abc'], error: invalid(o.flags, 'abc') }))),
    ];
    expect(rows.length).toBeGreaterThan(all.length + 20);
    const failures: string[] = [];
    for (const row of rows) {
      const { code, stderr } = await parse(row.args);
      // commander may add one "(Did you mean …?)" line
      if (code !== 2 || !row.error.test(stderr.split('\n')[0]) || stderr.trim().split('\n').length > 2) failures.push(`library ${row.args.join(' ')}: exit ${code}, ${JSON.stringify(stderr)}`);
    }
    expect(failures).toEqual([]);
  });

  it("the issue's cases, through both real bins: exit 2, one line, nothing else", async () => {
    const rows: [string, string[], RegExp][] = [
      [CLI, ['sync', '--wait', 'abc'], invalid('--wait <seconds>', 'abc')],
      [CLI, ['forge-sync', 'X', '--tries', '0'], invalid('--tries <n>', '0')],
      [CLI, ['serve', '--port', '99999'], invalid('--port <port>', '99999')],
      [CLI, ['status', '--max-age', 'xyz'], invalid('--max-age <duration>', 'xyz')],
      [CLI, ['hooks', 'install', '--no-such-flag'], unknown('--no-such-flag')],
      [DISCOVER, ['pdf', '--limit', '0'], invalid('--limit <n>', '0')],
      [DISCOVER, ['pdf', '--no-such-flag'], unknown('--no-such-flag')],
    ];
    const cwd = tempDir(); // no config anywhere: these fail before one is looked for
    const results = await Promise.all(
      rows.map(
        ([bin, args]) =>
          new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
            const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, LIBRARY_CONFIG: '/nonexistent/config.json' } });
            let out = '';
            let err = '';
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (err += d));
            child.on('close', (code) => resolve({ code, out, err }));
          }),
      ),
    );
    results.forEach(({ code, out, err }, i) => {
      expect({ args: rows[i][1], code, out, lines: err.trim().split('\n').length }).toEqual({ args: rows[i][1], code: 2, out: '', lines: 1 });
      expect(err.trim()).toMatch(rows[i][2]);
    });
  });
});

describe('--version', () => {
  it("both bins print the package's version and exit 0, before any config is looked for", async () => {
    const { CLI, DISCOVER, ROOT } = await import('../helpers.js');
    const fs = await import('node:fs');
    const version = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, 'utf8')).version;
    for (const bin of [CLI, DISCOVER]) {
      const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [bin, '--version'], { env: { ...process.env, LIBRARY_CONFIG: '/nonexistent/config.json' } });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(res).toEqual({ code: 0, out: `${version}\n` });
    }
  });
});

describe('start-up', () => {
  it('both bins (and `sync`, from its own) start from the V8 code cache the build made, and V8 accepts it (a rejected cache would silently cost the whole parse)', async () => {
    const { createRequire } = await import('node:module');
    const path = await import('node:path');
    const loader = createRequire(import.meta.url)(path.join(path.dirname(CLI), 'bundle-loader.cjs')) as {
      script(name: string, argv: string[]): { cached: boolean; script: { cachedDataRejected?: boolean } };
    };
    // `sync` has a cache of its own (bundle-loader.cjs, VERB_CACHES).
    for (const [name, argv] of [['library', ['status']], ['library', ['sync', '--fix']], ['discover', ['--version']]] as const) {
      const { cached, script } = loader.script(name, [...argv]);
      expect({ name, argv, cached, rejected: script.cachedDataRejected }).toEqual({ name, argv, cached: true, rejected: false });
    }
  });

  it('a first sync, which validates every skill (YAML front matter), reads no package from node_modules: yaml is in the bundle', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const dir = tempDir('lsync-modules-');
    const hook = path.join(dir, 'hook.cjs');
    const loaded = path.join(dir, 'loaded.json');
    fs.writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const ws = exampleWorkspace();
    const res = cli(ws, ['sync', '--fix', '--no-index'], { NODE_OPTIONS: `--require ${hook}` });
    expect(res.code, res.stderr).toBe(0);
    const modules = (JSON.parse(fs.readFileSync(loaded, 'utf8')) as string[]).filter((f) => f.includes(`${path.sep}node_modules${path.sep}`));
    expect(modules).toEqual([]);
  });
});
