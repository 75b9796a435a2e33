/**
 * Archives in and out. `import` of a hostile archive (a gzip bomb, too many
 * entries, too many bytes) is refused with exit 2 while it streams, before
 * memory grows; `export -o` into a folder the tool syncs is refused, and an
 * export interrupted by a signal leaves nothing beside its target.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { CLI, cleanupTempDirs, cli, exampleWorkspace, fsck, git, refsOf, snapshotFolder, tempDir } from '../helpers.js';
import { prepared } from './prepared.js';

afterAll(cleanupTempDirs);

// Every case starts from its own copy of one synced example workspace.
const synced = prepared(() => {
  const ws = exampleWorkspace();
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  return ws;
});

let ws: ExampleWorkspace;
beforeEach(() => {
  ws = synced();
});

/** A ustar header: enough of the format for the archives these tests build. */
function header(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const file = (name: string, content: string) => Buffer.concat([header(name, content.length), Buffer.from(content), Buffer.alloc((512 - (content.length % 512)) % 512)]);
const SKILL = '---\nname: pdf\ndescription: d\n---\n';

/**
 * A 1 GiB file of zeros in about 1 MB: gzip members concatenated (one
 * compressed MiB repeated), which gunzip reads as one stream.
 */
function gzipBomb(target: string, mib: number): void {
  const head = zlib.gzipSync(Buffer.concat([file('backup/Acme/pdf/SKILL.md', SKILL), header('backup/Acme/pdf/big.bin', mib * 1024 * 1024)]), { level: 9 });
  const mebibyte = zlib.gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  fs.writeFileSync(target, Buffer.concat([head, ...Array<Buffer>(mib).fill(mebibyte), zlib.gzipSync(Buffer.alloc(1024))]));
}

/** The CLI with a preload that records its own peak RSS (getrusage) on exit: the child's real peak, not a sample. */
function cliMeasured(args: string[]): { code: number; stderr: string; peakMiB: number } {
  const dir = tempDir();
  const preload = path.join(dir, 'rss.cjs');
  const out = path.join(dir, 'rss.txt');
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  const res = spawnSync(process.execPath, ['--require', preload, CLI, '--config', ws.configFile, ...args], { encoding: 'utf8' });
  return { code: res.status ?? -1, stderr: res.stderr, peakMiB: Number(fs.readFileSync(out, 'utf8')) / 1024 };
}

const nothingWritten = (refs: string) => {
  expect(refsOf(ws.storeDir)).toBe(refs);
  expect(fs.readdirSync(path.join(ws.storeDir, 'library-sync')).filter((f) => f.startsWith('import-'))).toEqual([]);
  fsck(ws.storeDir);
};

describe('import caps what an archive may expand to', () => {
  it('a gzip bomb (1 MB → 1 GiB) is refused from its header with exit 2, in bounded memory', () => {
    const bomb = path.join(tempDir(), 'bomb.tar.gz');
    gzipBomb(bomb, 1024);
    expect(fs.statSync(bomb).size).toBeLessThan(2 * 1024 * 1024);
    const refs = refsOf(ws.storeDir);
    const res = cliMeasured(['import', bomb, '--name', 'bomb']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toEqual([
      `library: refusing ${bomb}: entry "backup/Acme/pdf/big.bin" is 1073741824 bytes, over the per-file limit of 10485760 (raise with --max-file-bytes); nothing was imported`,
    ]);
    expect(res.peakMiB).toBeLessThan(160); // node-tar's own reader reached 1.2 GiB here
    // The same bomb gzip-ed once more: node-tar would inflate the inner stream itself, all at once.
    const nested = path.join(tempDir(), 'nested.tgz');
    fs.writeFileSync(nested, zlib.gzipSync(fs.readFileSync(bomb)));
    const inner = cliMeasured(['import', nested, '--name', 'bomb']);
    expect(inner.code).toBe(2);
    expect(inner.stderr).toContain('it is not a tar or a gzip-compressed tar (it holds another compressed stream)');
    expect(inner.peakMiB).toBeLessThan(160);
    nothingWritten(refs);
  });

  it('more entries, or more bytes in all, than allowed: exit 2 while streaming; the flags raise the limits', () => {
    const many = path.join(tempDir(), 'many.tar.gz');
    const entries = Array.from({ length: 300 }, (_, i) => file(`backup/Acme/s${i}/SKILL.md`, SKILL.replace('pdf', `s${i}`)));
    fs.writeFileSync(many, zlib.gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)])));
    const refs = refsOf(ws.storeDir);
    const tooMany = cli(ws, ['import', many, '--name', 'many', '--max-entries', '100']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain(`refusing ${many}: it has more than 100 entries (raise with --max-entries); nothing was imported`);
    const tooBig = cli(ws, ['import', many, '--name', 'many', '--max-bytes', '2000']);
    expect(tooBig.code).toBe(2);
    expect(tooBig.stderr).toContain('its entries add up to more than 2000 bytes (raise with --max-bytes)');
    expect(cli(ws, ['import', many, '--name', 'many', '--max-entries', 'lots']).stderr).toMatch(/^error: option '--max-entries <n>' argument 'lots' is invalid\. expected a positive whole number, got "lots"$/m);
    nothingWritten(refs);
    const ok = cli(ws, ['import', many, '--name', 'many', '--max-entries', '1000', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json.companies).toEqual(['Acme']);
    expect(git(ws.storeDir, ['ls-tree', '--name-only', 'snapshot/many:companies/Acme']).trim().split('\n')).toHaveLength(300);
    fsck(ws.storeDir);
  });
});

describe('export -o', () => {
  it('refuses a target inside the library, a company folder or the store (exit 2), and writes nothing there', () => {
    const before = { lexicon: snapshotFolder(ws.companyDir('Lexicon')), library: snapshotFolder(ws.libraryDir) };
    const targets = [
      path.join(ws.companyDir('Lexicon'), 'legal-citations', 'x.tar.gz'),
      path.join(ws.companyDir('Lexicon'), 'x.tar.gz'),
      path.join(ws.libraryDir, 'pdf', 'x.tar.gz'),
      path.join(ws.storeDir, 'x.tar.gz'),
    ];
    for (const target of targets) {
      const res = cli(ws, ['export', 'pre-first-run', '-o', target]);
      expect(res.code, target).toBe(2);
      expect(res.stderr.trim().split('\n'), target).toEqual([expect.stringMatching(/^library: refusing to export into (company Lexicon's folder|the library folder|the store) \(.*\): .* write it outside the library, the company folders and the store$/)]);
    }
    // Through a symlink too: the real path is what counts.
    const link = path.join(tempDir(), 'sneaky');
    fs.symlinkSync(ws.companyDir('Lexicon'), link);
    expect(cli(ws, ['export', 'pre-first-run', '-o', path.join(link, 'x.tar.gz')]).code).toBe(2);
    expect(snapshotFolder(ws.companyDir('Lexicon'))).toEqual(before.lexicon);
    expect(snapshotFolder(ws.libraryDir)).toEqual(before.library);
    expect(cli(ws, ['sync', '--fix', '--json']).json.companies.every((c: any) => c.commits.observed === null)).toBe(true);
    fsck(ws.storeDir);
  });

  it('interrupted by SIGTERM, leaves nothing beside the target; after SIGKILL, the next export removes what was left', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'snap.tar.gz');
    const beside = () => fs.readdirSync(dir);

    const killed = cli(ws, ['export', 'pre-first-run', '-o', target], { LIBRARY_SYNC_TEST_KILL_AT: '3' });
    expect(killed.code).toBe(-1); // killed by the signal
    expect(beside()).toEqual([expect.stringMatching(/^\.snap\.tar\.gz\.tmp-\d+-[0-9a-f]+$/)]);

    // SIGTERM while stopped mid-export: the handler removes the temp file, exit 143.
    const child = spawn(process.execPath, [CLI, '--config', ws.configFile, 'export', 'pre-first-run', '-o', target], { env: { ...process.env, LIBRARY_SYNC_TEST_STOP_AT: '3' } });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 20_000;
    while (!/^\d+ \([^)]*\) T/.test(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'))) {
      if (Date.now() > deadline) throw new Error('export never reached its stop point');
      await new Promise((r) => setTimeout(r, 20));
    }
    // The next export removed the killed one's temp file (its writer is gone); only its own is there.
    expect(beside()).toEqual([expect.stringMatching(new RegExp(`^\\.snap\\.tar\\.gz\\.tmp-${child.pid}-`))]);
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    expect(await exited).toBe(143);
    expect(beside()).toEqual([]);

    const done = cli(ws, ['export', 'pre-first-run', '-o', target]);
    expect(done.code, done.stderr).toBe(0);
    expect(beside()).toEqual(['snap.tar.gz']);
    expect(spawnSync('tar', ['-tzf', target], { encoding: 'utf8' }).stdout).toContain('companies/CodeCraft/pdf/SKILL.md');
  });
});
