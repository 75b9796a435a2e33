/** Loose objects go into fan-out folders (objects/ab/…) that a native `git gc --prune=now` beside a run may delete. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { hashObject } from '../../../src/store/objects.js';
import { Store } from '../../../src/store/store.js';
import { cleanupTempDirs, fsck, git, tempDir } from '../../helpers.js';

afterAll(cleanupTempDirs);

it('an object is written after native git pruned its fan-out folder during the run', async () => {
  const gitdir = path.join(tempDir(), 'store.git');
  const store = await Store.create(gitdir);
  const first = store.writeObject('blob', Buffer.from('first'));
  const fanOut = path.join(gitdir, 'objects', first.slice(0, 2));
  // Another object for the same folder: blobs are tried until one's id starts as the first's does (1 in 256).
  let second: { oid: string; content: Buffer } | undefined;
  for (let i = 0; !second; i++) {
    const content = Buffer.from(`second ${i}`);
    const oid = hashObject('blob', content);
    if (oid.startsWith(first.slice(0, 2)) && oid !== first) second = { oid, content };
  }
  git(gitdir, ['gc', '--prune=now', '--quiet']); // the unreachable first object goes, and its emptied folder with it
  expect(fs.existsSync(fanOut)).toBe(false);
  expect(store.writeObject('blob', second.content)).toBe(second.oid);
  expect(git(gitdir, ['cat-file', '-p', second.oid])).toBe(second.content.toString());
  fsck(gitdir);
});
