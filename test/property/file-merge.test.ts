/**
 * merge: "file", random sequences of file edits on both sides and syncs, run
 * in-process against real folders and a real store, checked against a model:
 * - a file the company changed (or deleted) since the last sync keeps the company's
 *   content, unless the change put it back to the library version that sync
 *   distributed (the merge base): then the company holds nothing of its own there;
 * - every other file of the skill equals the library's (library fixes flow in);
 * - no conflict marker is ever written, and the store passes git fsck.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { withLock } from '../../src/lock.js';
import { Store } from '../../src/store/store.js';
import { runSync } from '../../src/sync.js';
import { policiesOf } from '../../src/policy.js';
import { cleanupTempDirs, fsck, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const FILES = ['SKILL.md', 'reference.md', 'scripts/run.sh'];
/** SKILL.md keeps valid front matter, or validation would (rightly) keep the skill out of the library. */
const content = (file: string, text: string) => (file === 'SKILL.md' ? `---\nname: k\ndescription: ${text}\n---\n${text} ${file}\n` : `${text} ${file}\n`);
type Side = 'lib' | 'co';
type Op = { kind: 'edit' | 'delete'; side: Side; file: string } | { kind: 'sync' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc
    .record({ kind: fc.constantFrom('edit' as const, 'delete' as const), side: fc.constantFrom<Side>('lib', 'co'), file: fc.constantFrom(...FILES) })
    // A library skill without SKILL.md fails validation and is not distributed at all: out of this property's scope.
    .filter((op) => !(op.kind === 'delete' && op.side === 'lib' && op.file === 'SKILL.md')),
  fc.constant({ kind: 'sync' as const }),
);

async function runSequence(ops: Op[]): Promise<void> {
  const root = tempDir('lsync-fprop-');
  const dirs: Record<Side, string> = { lib: path.join(root, 'lib', 'k'), co: path.join(root, 'co', 'A', 'skills', 'k') };
  fs.mkdirSync(path.dirname(dirs.co), { recursive: true });
  for (const f of FILES) fs.mkdirSync(path.dirname(path.join(dirs.lib, f)), { recursive: true });
  for (const f of FILES) fs.writeFileSync(path.join(dirs.lib, f), content(f, 'library 0'));
  const config = parseConfig(
    { library: path.dirname(dirs.lib), companies: path.join(root, 'co', '*', 'skills'), store: path.join(root, 'store.git'), merge: 'file' },
    path.join(root, 'config.json'),
  );
  const log = createLogger({ logFile: path.join(root, 'log.jsonl') });
  const store = await Store.create(config.storeDir);
  const sync = () => withLock(store, { waitSeconds: 0, command: 'test' }, () => runSync({ config, policies: policiesOf(config), store, log }, { mode: 'fix' }));
  const read = (side: Side, f: string) => (fs.existsSync(path.join(dirs[side], f)) ? fs.readFileSync(path.join(dirs[side], f), 'utf8') : undefined);
  const present = (side: Side) => FILES.filter((f) => read(side, f) !== undefined);

  /** The model: files the company changed, with what it wrote (undefined = deleted). */
  const owned = new Map<string, string | undefined>();
  /** The merge base: the library's files as the last sync distributed them. */
  const base = new Map<string, string | undefined>();
  let synced = false;
  let n = 0;
  for (const op of ops) {
    n++;
    if (op.kind === 'sync') {
      const res = await sync();
      expect(res.companies[0].ok, res.companies[0].error ?? '').toBe(true);
      synced = true;
      for (const f of FILES) base.set(f, read('lib', f));
      for (const f of FILES) {
        if (owned.has(f)) expect(read('co', f), `company's ${f} overwritten`).toBe(owned.get(f));
        else expect(read('co', f), `library change to ${f} did not flow in`).toBe(read('lib', f));
        expect(read('co', f) ?? '').not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
        // Where both sides now agree (same content, or both deleted) the file is in sync again: later library changes flow in.
        if (owned.has(f) && read('co', f) === read('lib', f)) owned.delete(f);
      }
      continue;
    }
    if (op.side === 'co' && !synced) continue; // the company gets the skill at the first sync
    const file = path.join(dirs[op.side], op.file);
    if (op.kind === 'edit') {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content(op.file, `${op.side} ${n}`));
    } else {
      // Keep at least one file on each side, so the skill itself never disappears.
      if (read(op.side, op.file) === undefined || present(op.side).length < 2) continue;
      fs.rmSync(file);
    }
    if (op.side !== 'co') continue;
    // A company file put back to the base (e.g. deleting a file it had added) is the company's no more.
    if (read('co', op.file) === base.get(op.file)) owned.delete(op.file);
    else owned.set(op.file, read('co', op.file));
  }
  if (synced) fsck(config.storeDir);
}

describe('property: merge "file"', () => {
  it('keeps every company-changed file and brings in every other library change', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 4, maxLength: 14 }), runSequence), { numRuns: Number(process.env.PROPERTY_RUNS ?? 25), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined });
  });
});
