/** The pure cores of src/upstream/: the lock's format, the merge's rows, URLs, refs, renames, git's causes. */
import { describe, expect, it } from 'vitest';
import { hashObject } from '../../../src/store/objects.js';
import { gitFailureCause, lsRemotePatterns, parseLsRemote } from '../../../src/upstream/git.js';
import { parseLock, serializeLock, type Lock } from '../../../src/upstream/lock.js';
import { decideUpstreamSkill, mergeUpstreamSkill } from '../../../src/upstream/merge.js';
import { renameSkillMd } from '../../../src/upstream/rename.js';
import { cacheName, upstreamUrl } from '../../../src/upstream/url.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

describe('the lock file', () => {
  const lock: Lock = {
    version: 1,
    upstreams: [
      { url: 'https://github.com/z/skills', path: 'skills', ref: 'v1', refKind: 'tag', commit: A, skills: { pdf: { from: 'pdf', commit: A, tree: B } } },
      { url: 'https://github.com/a/skills', path: '', ref: null, refKind: 'default', commit: C, skills: { zeta: { from: 'z', commit: C, tree: A, removedUpstream: C }, alpha: { from: '', commit: C, tree: B } } },
      { url: 'https://github.com/empty', path: '', ref: null, refKind: 'default', commit: C, skills: {} },
    ],
  };

  it('serializes in a stable order (entries by URL, skills by name), drops empty entries, and parses back', () => {
    const text = serializeLock(lock);
    expect(JSON.parse(text).upstreams.map((e: { url: string }) => e.url)).toEqual(['https://github.com/a/skills', 'https://github.com/z/skills']);
    expect(Object.keys(JSON.parse(text).upstreams[0].skills)).toEqual(['alpha', 'zeta']);
    expect(serializeLock(parseLock(text, 'x'))).toBe(text);
  });

  it('refuses a broken lock with one line naming the file, the place and the fix', () => {
    const bad = (mutate: (o: any) => void) => {
      const o = JSON.parse(serializeLock(lock));
      mutate(o);
      return () => parseLock(JSON.stringify(o), '/lib/upstreams.lock.json');
    };
    expect(() => parseLock('{', '/lib/upstreams.lock.json')).toThrow(/^\/lib\/upstreams\.lock\.json: is not valid JSON .*git checkout -- upstreams\.lock\.json/);
    expect(bad((o) => (o.version = 2))).toThrow(/"version" is 2, this tool reads version 1/);
    expect(bad((o) => (o.upstreams[0].commit = 'main'))).toThrow(/upstreams\[0\]\.commit must be a 40-character commit id/);
    expect(bad((o) => (o.upstreams[0].skills.alpha.tree = 'x'))).toThrow(/upstreams\[0\]\.skills\.alpha\.tree must be a 40-character object id/);
    expect(bad((o) => (o.upstreams[0].refKind = 'sha'))).toThrow(/refKind must be one of default, branch, tag, commit/);
    expect(bad((o) => (o.upstreams[1].skills.alpha = o.upstreams[0].skills.alpha))).toThrow(/skills\.alpha is vendored twice \(also in upstreams\[0\]\)/);
    expect(bad((o) => (o.upstreams[0].extra = 1))).toThrow(/has an unknown key "extra"/);
    expect(bad((o) => (o.upstreams[0].skills['../x'] = o.upstreams[0].skills.alpha))).toThrow(/is not a valid skill name/);
  });
});

describe('the per-skill rows of an update', () => {
  it.each([
    ['removed-upstream', A, A, null],
    ['deleted-in-library', A, null, B],
    ['up-to-date', A, B, B], // the library already has the upstream's version
    ['up-to-date', A, B, A], // nothing new upstream; the library's edits stay
    ['updated', A, A, B],
    ['merge', A, B, C],
  ] as const)('%s: base %s, ours %s, theirs %s', (row, base, ours, theirs) => {
    expect(decideUpstreamSkill(base, ours, theirs)).toBe(row);
  });

  const blob = (text: string) => ({ mode: '100644' as const, oid: hashObject('blob', Buffer.from(text)) });
  it("a merge keeps the library's file whole where both changed the same lines, and names the conflict for this direction", () => {
    const base = new Map([['SKILL.md', blob('a\nb\n')], ['notes.md', blob('n\n')]]);
    const ours = new Map([['SKILL.md', blob('a\nb ours\n')]]); // edited SKILL.md, deleted notes.md
    const theirs = new Map([['SKILL.md', blob('a\nb theirs\n')], ['notes.md', blob('n2\n')], ['new.md', blob('new\n')]]);
    const texts = new Map([['SKILL.md', { base: Buffer.from('a\nb\n'), library: Buffer.from('a\nb theirs\n'), company: Buffer.from('a\nb ours\n') }]]);
    const m = mergeUpstreamSkill('pdf', { base, ours, theirs, texts });
    expect(m.fromUpstream).toEqual(['new.md']);
    expect(m.conflicts).toEqual([
      { path: 'SKILL.md', reason: 'changed on both sides' },
      { path: 'notes.md', reason: 'deleted in the library, changed upstream' },
    ]);
    expect(m.objects.some((o) => o.content.includes('<<<<<<<'))).toBe(false);
  });
});

describe('upstream URLs', () => {
  it('takes any URL git accepts, makes a local path absolute, and refuses credentials and option-like URLs', () => {
    expect(upstreamUrl('https://github.com/anthropics/skills', '/x')).toBe('https://github.com/anthropics/skills');
    expect(upstreamUrl('git@github.com:anthropics/skills.git', '/x')).toBe('git@github.com:anthropics/skills.git');
    expect(upstreamUrl('ssh://git@host:2222/skills.git', '/x')).toBe('ssh://git@host:2222/skills.git');
    expect(upstreamUrl('../up', '/x/y')).toBe('/x/up');
    expect(() => upstreamUrl('https://user:ghp_secret@github.com/a/b', '/x')).toThrow(/holds credentials.*credential helper/);
    expect(() => upstreamUrl('https://ghp_secret@github.com/a/b', '/x')).toThrow(/^upstream https:\/\/\*\*\*@github\.com\/a\/b: the URL holds credentials/);
    expect(() => upstreamUrl('--upload-pack=evil', '/x')).toThrow(/starts with "-"/);
    expect(cacheName('https://github.com/anthropics/skills.git')).toMatch(/^github\.com-anthropics-skills-[0-9a-f]{10}\.git$/);
  });
});

describe('refs', () => {
  const out = [`ref: refs/heads/main\tHEAD`, `${A}\tHEAD`, `${A}\trefs/heads/main`, `${B}\trefs/tags/v1`, `${C}\trefs/tags/v1^{}`, `${B}\trefs/heads/dev`].join('\n');
  it('the default branch and a branch are followed, a tag is pinned at the commit it peels to', () => {
    expect(parseLsRemote(out, null)).toEqual({ commit: A, kind: 'default', fetch: 'refs/heads/main', label: 'main' });
    expect(parseLsRemote(out, 'dev')).toMatchObject({ commit: B, kind: 'branch', fetch: 'refs/heads/dev' });
    expect(parseLsRemote(out, 'v1')).toMatchObject({ commit: C, kind: 'tag', fetch: 'refs/tags/v1' });
    expect(parseLsRemote(out, 'nope')).toBeNull();
    expect(lsRemotePatterns('v1')).toEqual(['refs/heads/v1', 'refs/tags/v1', 'refs/tags/v1^{}']);
  });

  it("git's cause in one line, without its boilerplate", () => {
    const stderr = "fatal: '/tmp/x' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n";
    expect(gitFailureCause(stderr, 128)).toBe("'/tmp/x' does not appear to be a git repository");
    expect(gitFailureCause('ssh: connect to host h port 22: Connection refused\nfatal: Could not read from remote repository.\n', 128)).toBe('ssh: connect to host h port 22: Connection refused');
    expect(gitFailureCause('', 128)).toBe('git exited with code 128');
  });
});

describe('renaming a vendored skill', () => {
  it("rewrites only the front matter's name line, keeping line endings", () => {
    expect(renameSkillMd(Buffer.from('---\nname: pdf\ndescription: x\n---\nname: pdf\n'), 'pdf2')?.toString()).toBe('---\nname: pdf2\ndescription: x\n---\nname: pdf\n');
    expect(renameSkillMd(Buffer.from('\uFEFF---\r\nname:  "pdf"\r\n---\r\n'), 'my-pdf')?.toString()).toBe('\uFEFF---\r\nname: my-pdf\r\n---\r\n');
    expect(renameSkillMd(Buffer.from('no front matter\n'), 'x')).toBeNull();
    expect(renameSkillMd(Buffer.from('---\ndescription: x\n---\nname: y\n'), 'x')).toBeNull();
  });
});
