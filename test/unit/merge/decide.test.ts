/** One case per row of SPEC.md's merge table, named as there. */
import { describe, expect, it } from 'vitest';
import { decideSkill, nextBase } from '../../../src/merge/decide.js';

const B = 'b'.repeat(40);
const L = 'l'.repeat(40);
const C = 'c'.repeat(40);

const rows = [
  { row: 'in-sync: c = l', base: B, library: L, company: L, firstSync: false, state: 'in-sync', action: 'none', next: L },
  { row: 'behind: c = b, l ≠ b, l present', base: B, library: L, company: B, firstSync: false, state: 'behind', action: 'take-library', next: L },
  { row: 'new: b and c absent, l present', base: undefined, library: L, company: undefined, firstSync: false, state: 'new', action: 'take-library', next: L },
  { row: 'new on first sync', base: undefined, library: L, company: undefined, firstSync: true, state: 'new', action: 'take-library', next: L },
  { row: 'removed-upstream: c = b, l absent', base: B, library: undefined, company: B, firstSync: false, state: 'removed-upstream', action: 'remove', next: undefined },
  { row: 'override: l = b, c ≠ b', base: B, library: B, company: C, firstSync: false, state: 'override', action: 'keep-company', next: B },
  { row: 'override: company deleted a library skill', base: B, library: B, company: undefined, firstSync: false, state: 'override', action: 'keep-company', next: B },
  { row: 'override-behind: c, l, b all differ', base: B, library: L, company: C, firstSync: false, state: 'override-behind', action: 'keep-company', next: B },
  { row: 'override-behind: library deleted an overridden skill', base: B, library: undefined, company: C, firstSync: false, state: 'override-behind', action: 'keep-company', next: B },
  { row: 'company-only: b and l absent, c present', base: undefined, library: undefined, company: C, firstSync: false, state: 'company-only', action: 'keep-company', next: undefined },
  { row: 'company-only on first sync', base: undefined, library: undefined, company: C, firstSync: true, state: 'company-only', action: 'keep-company', next: undefined },
  { row: 'first sync: c present and ≠ l is an override', base: undefined, library: L, company: C, firstSync: true, state: 'override', action: 'keep-company', next: L },
  { row: 'stale copy: no base, c an earlier library version', base: undefined, library: L, company: C, firstSync: true, earlier: true, state: 'behind', action: 'take-library', next: L },
  { row: 'stale copy: a skill that appeared later, c an earlier library version', base: undefined, library: L, company: C, firstSync: false, earlier: true, state: 'behind', action: 'take-library', next: L },
  { row: 'company-only even when c was once a library version (never removed on first contact)', base: undefined, library: undefined, company: C, firstSync: true, earlier: true, state: 'company-only', action: 'keep-company', next: undefined },
] as const;

describe('merge table (SPEC.md "The merge")', () => {
  for (const r of rows) {
    it(r.row, () => {
      const inputs = { base: r.base, library: r.library, company: r.company, firstSync: r.firstSync, earlier: 'earlier' in r ? r.earlier : false };
      const decision = decideSkill(inputs);
      expect(decision).toEqual({ state: r.state, action: r.action });
      expect(nextBase(inputs, decision)).toBe(r.next);
    });
  }

  it('a first-sync override stays an override on the next sync, and turns override-behind when the library moves', () => {
    const first = { base: undefined, library: L, company: C, firstSync: true };
    const base = nextBase(first, decideSkill(first));
    expect(decideSkill({ base, library: L, company: C, firstSync: false }).state).toBe('override');
    expect(decideSkill({ base, library: 'n'.repeat(40), company: C, firstSync: false }).state).toBe('override-behind');
  });
});
