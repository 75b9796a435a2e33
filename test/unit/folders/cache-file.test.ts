/** Every folder of every company has a stat cache file of its own (src/folders/scan.ts, folderCacheFile). */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { folderCacheFile } from '../../../src/folders/scan.js';
import { isValidName } from '../../../src/names.js';

const company = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/).filter(isValidName);
const key = fc.oneof(fc.constantFrom('skills', '.claude/skills', '.agents/skills', 'x', '-x', 'skills--x'), fc.string({ maxLength: 12 }));
const folder = fc.record({ company, key, first: fc.boolean() });

it('two folders share a cache file only when they are the same folder (a company named "Acme--skills" and the "skills" folder of Acme once did)', () => {
  expect(folderCacheFile('/d', 'Acme--skills', '.claude/skills', true)).not.toBe(folderCacheFile('/d', 'Acme', 'skills', false));
  fc.assert(
    fc.property(folder, folder, (a, b) => {
      const same = a.company === b.company && a.first === b.first && (a.first || a.key === b.key);
      expect(folderCacheFile('/d', a.company, a.key, a.first) === folderCacheFile('/d', b.company, b.key, b.first)).toBe(same);
    }),
    { numRuns: 2000 },
  );
});
