/**
 * The stat cache may only ever save work, never change an answer: after any
 * sequence of real edits (in place, with the mtime put back as `cp -p` does,
 * chmod, add, remove, rename, new empty folders, litter) and changes of the
 * ignore rules, a scan through the persisted cache gives exactly the tree a
 * scan that reads every file gives. Nested folders matter: a folder's tree id
 * is reused only while everything under it is unchanged.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildIgnore } from '../../src/scan/ignore.js';
import { scanSkillsFolder } from '../../src/scan/scan.js';
import { StatCache } from '../../src/scan/stat-cache.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const FILES = ['a/SKILL.md', 'a/scripts/run.py', 'a/scripts/lib/util.py', 'a/ref/deep/x.md', 'b/SKILL.md', 'b/notes.txt', 'b/scripts/run.sh'];
const RULES = [[], ['*.txt'], ['scripts/lib/']];

type Op =
  | { kind: 'write'; file: string; text: string }
  | { kind: 'same-size-keep-mtime'; file: string }
  | { kind: 'chmod'; file: string }
  | { kind: 'remove'; file: string }
  | { kind: 'rename'; file: string; to: string }
  | { kind: 'empty-dir'; file: string }
  | { kind: 'litter'; file: string }
  | { kind: 'rules'; rules: number };

const fileArb = fc.constantFrom(...FILES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), file: fileArb, text: fc.string({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('same-size-keep-mtime' as const), file: fileArb }),
  fc.record({ kind: fc.constant('chmod' as const), file: fileArb }),
  fc.record({ kind: fc.constant('remove' as const), file: fileArb }),
  fc.record({ kind: fc.constant('rename' as const), file: fileArb, to: fileArb }),
  fc.record({ kind: fc.constant('empty-dir' as const), file: fileArb }),
  fc.record({ kind: fc.constant('litter' as const), file: fileArb }),
  fc.record({ kind: fc.constant('rules' as const), rules: fc.integer({ min: 0, max: RULES.length - 1 }) }),
);

function apply(dir: string, op: Op): void {
  if (op.kind === 'rules') return;
  const abs = path.join(dir, op.file);
  const exists = fs.existsSync(abs);
  switch (op.kind) {
    case 'write':
      fs.mkdirSync(path.dirname(abs), { recursive: true });
      fs.writeFileSync(abs, `${op.file}:${op.text}`);
      break;
    case 'same-size-keep-mtime': {
      if (!exists) return;
      const st = fs.statSync(abs);
      const old = fs.readFileSync(abs);
      const flipped = Buffer.from(old.map((c, i) => (i === old.length - 1 ? c ^ 1 : c)));
      fs.writeFileSync(abs, old.length ? flipped : 'x');
      fs.utimesSync(abs, st.atime, st.mtime); // what cp -p and rsync -t do
      break;
    }
    case 'chmod':
      if (exists) fs.chmodSync(abs, fs.statSync(abs).mode & 0o100 ? 0o644 : 0o755);
      break;
    case 'remove':
      fs.rmSync(abs, { force: true });
      break;
    case 'rename':
      if (!exists || op.to === op.file) return;
      fs.mkdirSync(path.dirname(path.join(dir, op.to)), { recursive: true });
      fs.renameSync(abs, path.join(dir, op.to));
      break;
    case 'empty-dir':
      fs.mkdirSync(path.join(path.dirname(abs), 'empty'), { recursive: true });
      break;
    case 'litter':
      fs.mkdirSync(path.join(path.dirname(abs), '__pycache__'), { recursive: true });
      fs.writeFileSync(path.join(path.dirname(abs), '__pycache__', 'run.cpython-312.pyc'), String(Math.random()));
      fs.writeFileSync(path.join(path.dirname(abs), '.DS_Store'), 'finder');
      break;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('property: the stat cache never changes what a scan finds', () => {
  it('a cached scan equals a full read after every round of edits', async () => {
    const runOnce = async (rounds: Op[][]) => {
      const root = tempDir('scan-cache-');
      const dir = path.join(root, 'skills');
      const cacheFile = path.join(root, 'cache.stat');
      for (const f of FILES) apply(dir, { kind: 'write', file: f, text: 'start' });
      let rules = 0;
      for (const ops of [[], ...rounds]) {
        for (const op of ops) {
          apply(dir, op);
          if (op.kind === 'rules') rules = op.rules;
        }
        // Past the racy window, so unchanged entries are trusted and their folders' trees reused.
        await sleep(30);
        const ignore = buildIgnore(RULES[rules]);
        const started = Date.now();
        const cache = new StatCache(cacheFile);
        const cached = scanSkillsFolder(dir, { cache, maxFileBytes: 1 << 20, ignore });
        cache.save(started);
        const full = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: 1 << 20, ignore });
        expect(cached.root.oid).toBe(full.root.oid);
        expect([...cached.skills]).toEqual([...full.skills]);
      }
    };
    await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 3 }), { minLength: 2, maxLength: 6 }), runOnce), {
      numRuns: Number(process.env.PROPERTY_RUNS ?? 30),
      seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined,
    });
  }, 120_000);

  it('a damaged cache file (cut short, a byte changed, bytes added, half written over another, the JSON of older versions) costs a full read, never a wrong answer', async () => {
    const root = tempDir('scan-cache-damage-');
    const dir = path.join(root, 'skills');
    const cacheFile = path.join(root, 'cache.stat');
    for (const f of FILES) apply(dir, { kind: 'write', file: f, text: 'start' });
    await sleep(30);
    const writeCache = () => {
      const started = Date.now();
      const cache = new StatCache(cacheFile);
      scanSkillsFolder(dir, { cache, maxFileBytes: 1 << 20 });
      cache.dirty = true;
      cache.save(started);
      return fs.readFileSync(cacheFile);
    };
    const good = writeCache();
    // What an in-place save stopped part way leaves: the start of this cache over another one (of other files).
    const otherDir = path.join(root, 'other');
    for (const f of FILES.slice(0, 3)) apply(otherDir, { kind: 'write', file: f, text: 'another folder' });
    const otherCache = new StatCache(path.join(root, 'other.stat'));
    scanSkillsFolder(otherDir, { cache: otherCache, maxFileBytes: 1 << 20 });
    otherCache.save(Date.now());
    const other = fs.readFileSync(path.join(root, 'other.stat'));
    const full = scanSkillsFolder(dir, { cache: new StatCache(null), maxFileBytes: 1 << 20 });
    expect(scanSkillsFolder(dir, { cache: new StatCache(cacheFile), maxFileBytes: 1 << 20 }).filesRead).toBe(0); // intact, it is trusted: every id comes from it
    const damage = fc.oneof(
      fc.integer({ min: 0, max: good.length - 1 }).map((at) => good.subarray(0, at)),
      fc.record({ at: fc.integer({ min: 0, max: good.length - 1 }), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => Buffer.from(good.map((c, i) => (i === at ? c ^ (1 << bit) : c)))),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((extra) => Buffer.concat([good, extra])),
      fc.integer({ min: 1, max: good.length - 1 }).map((at) => Buffer.concat([good.subarray(0, at), other.subarray(at)])),
      fc.integer({ min: 1, max: other.length - 1 }).map((at) => Buffer.concat([other.subarray(0, at), good.subarray(at)])),
      fc.constant(Buffer.from(JSON.stringify({ version: 3, trustBeforeMs: 0, entries: {}, dirs: {} }))),
    );
    fc.assert(
      fc.property(damage, (bytes) => {
        fs.writeFileSync(cacheFile, bytes);
        expect(scanSkillsFolder(dir, { cache: new StatCache(cacheFile), maxFileBytes: 1 << 20 }).root.oid).toBe(full.root.oid);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 200), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
  });
});
