/**
 * Native git maintenance on the store (and on the library's own repository):
 * after `git gc --aggressive --prune=now`, or `git repack -ad` with ref-deltas
 * plus `git pack-refs --all`, every object is in a pack (deltified) and every
 * ref in packed-refs, annotated tags with their `^<peeled>` lines. The whole
 * CLI keeps working, reads what git packed, and leaves a store that
 * `git fsck --strict` accepts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, DISCOVER, cleanupTempDirs, cli, exampleWorkspace, fsck, git, stateOf, tempDir, write } from '../helpers.js';
import { cliAsync, forgeWorkspace, startPlainBackend } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const MAINTENANCE: Record<string, string[][]> = {
  'git gc --aggressive --prune=now': [['gc', '--aggressive', '--prune=now', '--quiet']],
  'git repack -ad (ref-deltas) + git pack-refs --all': [
    ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-a', '-d', '-f', '--depth=20', '--quiet'],
    ['prune', '--expire=now'],
    ['pack-refs', '--all'],
  ],
};

const looseObjects = (gitdir: string) =>
  fs.readdirSync(path.join(gitdir, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d)).flatMap((d) => fs.readdirSync(path.join(gitdir, 'objects', d)));

/** How many packed objects are stored as deltas (so the test really reads delta chains). */
function deltas(gitdir: string): number {
  const idx = fs.readdirSync(path.join(gitdir, 'objects', 'pack')).filter((f) => f.endsWith('.idx'));
  return idx.map((f) => git(gitdir, ['verify-pack', '-v', path.join(gitdir, 'objects', 'pack', f)])).join('').split('\n').filter((l) => /^[0-9a-f]{40} \w+ +\d+ \d+ \d+ \d+ [0-9a-f]{40}$/.test(l)).length;
}

describe.each(Object.entries(MAINTENANCE))('after %s', (_name, commands) => {
  it('every command reads the packed store, and sync --fix leaves it fsck-clean', async () => {
    const ws = exampleWorkspace();
    // The library is a git repository with history, so it is packed (and deltified) too.
    const lib = ws.libraryDir;
    const big = Array.from({ length: 400 }, (_, i) => `line ${i}: keep formulas, not pasted values`).join('\n');
    write(path.join(lib, 'xlsx', 'reference.md'), `${big}\n`);
    const g = (...args: string[]) => execFileSync('git', ['-C', lib, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' });
    g('init', '-q');
    g('add', '-A');
    g('commit', '-qm', 'v1');
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['snapshot', 'before-gc', '--message', 'before maintenance']).code).toBe(0);
    for (let v = 2; v <= 4; v++) {
      write(path.join(lib, 'xlsx', 'reference.md'), `${big}\nversion ${v}\n`);
      g('commit', '-qam', `v${v}`);
      expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    }
    for (const args of commands) {
      git(ws.storeDir, args);
      git(path.join(lib, '.git'), args);
    }
    expect(looseObjects(ws.storeDir)).toEqual([]);
    expect(looseObjects(path.join(lib, '.git'))).toEqual([]);
    expect(deltas(ws.storeDir)).toBeGreaterThan(0);
    const packedRefs = fs.readFileSync(path.join(ws.storeDir, 'packed-refs'), 'utf8');
    expect(packedRefs).toMatch(/^\^[0-9a-f]{40}$/m); // peeled lines of the annotated snapshot tags
    expect(fs.existsSync(path.join(ws.storeDir, 'refs', 'heads', 'companies', 'Northwind'))).toBe(false);

    // Read-only commands.
    const snapshots = cli(ws, ['snapshots', '--json']);
    expect(snapshots.code, snapshots.stderr).toBe(0);
    expect(snapshots.json.snapshots.map((s: any) => s.name).sort()).toEqual(['before-gc', 'pre-first-run', ...snapshots.json.snapshots.filter((s: any) => s.name.startsWith('pre-sync-')).map((s: any) => s.name)].sort());
    expect(snapshots.json.snapshots.every((s: any) => !s.name.includes('^'))).toBe(true);
    const status = cli(ws, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(stateOf(status.json, 'CodeCraft', 'pdf')).toBe('override');
    expect(stateOf(status.json, 'Northwind', 'xlsx')).toBe('in-sync');
    expect(cli(ws, ['doctor', '--json']).json.checks.find((c: any) => c.check === 'store')).toMatchObject({ ok: true });

    // A library change: distributed from the packed library repository, pruning packed automatic snapshots.
    const config = JSON.parse(fs.readFileSync(ws.configFile, 'utf8'));
    fs.writeFileSync(ws.configFile, JSON.stringify({ ...config, snapshots: { keep: 1 } }));
    write(path.join(lib, 'xlsx', 'reference.md'), `${big}\nversion 5\n`);
    g('commit', '-qam', 'v5');
    const looseBefore = looseObjects(ws.storeDir).length;
    const sync = cli(ws, ['sync', '--fix', '--json']);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.json.companies.find((c: any) => c.name === 'Northwind').applied.updated).toEqual(['xlsx']);
    expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'reference.md'), 'utf8')).toContain('version 5');
    // Only what is new is written: packed objects are not copied back out as loose ones.
    expect(looseObjects(ws.storeDir).length - looseBefore).toBeLessThan(30);
    const tags = git(ws.storeDir, ['tag', '-l', 'snapshot/pre-sync-*']).trim().split('\n');
    expect(tags).toHaveLength(1); // the packed older ones were pruned
    expect(fs.readFileSync(path.join(ws.storeDir, 'packed-refs'), 'utf8')).not.toContain('pre-sync-');

    // Writing commands on the packed store.
    expect(cli(ws, ['snapshot', 'after-gc']).code).toBe(0);
    const rollback = cli(ws, ['rollback', 'before-gc', '--company', 'Northwind', '--skill', 'xlsx', '--json']);
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'reference.md'), 'utf8')).not.toContain('version');
    const push = cli(ws, ['push', 'xlsx', '--company', 'Northwind', '--json']);
    expect(push.code, push.stderr).toBe(0);
    expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), 'xlsx', 'reference.md'), 'utf8')).toContain('version 5');
    const archive = path.join(tempDir(), 'before-gc.tar.gz');
    expect(cli(ws, ['export', 'before-gc', '-o', archive]).code).toBe(0);
    const listing = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' });
    expect(listing).toContain('companies/CodeCraft/pdf/SKILL.md');
    const imported = cli(ws, ['import', archive, '--name', 'reimported', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(git(ws.storeDir, ['rev-parse', 'snapshot/reimported^{tree}'])).toBe(git(ws.storeDir, ['rev-parse', 'snapshot/before-gc^{tree}']));
    expect(cli(ws, ['override', 'pdf', '--company', 'CodeCraft', '--reason', 'OCR first']).code).toBe(0);
    const diff = cli(ws, ['diff', '--company', 'CodeCraft', '--json']);
    expect(diff.code, diff.stderr).toBe(0);
    const found = cli(ws, ['spreadsheet', '--json'], {}, DISCOVER);
    expect(found.code, found.stderr).toBe(0);
    expect(found.json.hits[0].name).toBe('xlsx');
    expect(cli(ws, ['report', '--html', path.join(tempDir(), 'r.html')]).code).toBe(0);

    // forge-sync from the packed store to a plain git http-backend.
    const forge = forgeWorkspace(tempDir('lsync-forge-'));
    execFileSync('git', ['init', '-q', '--bare', forge.storeDir]);
    const backend = await startPlainBackend(forge.storeDir);
    try {
      const sent = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.json.remotes[0].refused).toEqual([]);
      fsck(forge.storeDir);
      const again = await cliAsync(ws.configFile, ['forge-sync', backend.url, '--json']);
      expect(again.json.remotes[0]).toMatchObject({ ok: true, objectsSent: 0 });
    } finally {
      await backend.close();
    }

    // Maintenance again on the now mixed store, then a further sync: nothing to do, all clean.
    for (const args of commands) git(ws.storeDir, args);
    const last = cli(ws, ['sync', '--fix', '--json']);
    expect(last.code, last.stderr).toBe(0);
    expect(last.json.companies.map((c: any) => [c.commits.observed, c.commits.distribution])).toEqual(last.json.companies.map(() => [null, null]));
    expect(looseObjects(ws.storeDir)).toEqual([]);
    fsck(ws.storeDir);
  });
});

/**
 * A preload that records, on exit, whether isomorphic-git was loaded and every
 * file-system call that touched objects/pack: the no-op sync is checked from
 * outside, as it runs.
 */
function probedSync(configFile: string): { code: number; modules: string[]; packReads: string[] } {
  const dir = tempDir();
  const out = path.join(dir, 'probe.json');
  const preload = path.join(dir, 'probe.cjs');
  fs.writeFileSync(
    preload,
    `const fs = require('fs'); const Module = require('module'); const touched = [];
for (const name of ['openSync', 'readFileSync', 'readdirSync', 'statSync', 'existsSync', 'readSync']) {
  const orig = fs[name];
  fs[name] = function (p, ...rest) { if (typeof p === 'string' && p.includes('/objects/pack')) touched.push(name + ' ' + p); return orig.call(this, p, ...rest); };
}
process.on('exit', () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ modules: Object.keys(Module._cache).filter((k) => k.includes('isomorphic-git')), touched })));\n`,
  );
  const res = spawnSync(process.execPath, ['--require', preload, CLI, '--config', configFile, 'sync', '--fix'], { encoding: 'utf8' });
  const probe = JSON.parse(fs.readFileSync(out, 'utf8'));
  return { code: res.status ?? -1, modules: probe.modules, packReads: probe.touched };
}

describe('the no-op sync', () => {
  it('loads no isomorphic-git and reads no pack on a loose store; after gc it reads the packs, still without isomorphic-git', () => {
    const ws = exampleWorkspace();
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0); // the stat caches are warm
    const refs = git(ws.storeDir, ['for-each-ref']);
    const loose = probedSync(ws.configFile);
    expect(loose).toEqual({ code: 0, modules: [], packReads: [] });
    git(ws.storeDir, ['gc', '--aggressive', '--prune=now', '--quiet']);
    const packed = probedSync(ws.configFile);
    expect(packed.code).toBe(0);
    expect(packed.modules).toEqual([]);
    expect(packed.packReads.length).toBeGreaterThan(0); // the heads are packed now: read from the pack, not copied out
    expect(looseObjects(ws.storeDir)).toEqual([]);
    expect(git(ws.storeDir, ['for-each-ref'])).toBe(refs);
    fsck(ws.storeDir);
  });
});
