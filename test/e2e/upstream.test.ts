/**
 * End-to-end: `library upstream add|update|list|forget` through the real CLI, with upstreams made as local git
 * repositories in the anthropics/skills layout (`skills/<name>/…`), served by file:// and by `git http-backend`
 * on loopback.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { cleanupTempDirs, cli, exampleWorkspace, fsck, snapshotFolder, stateOf, tempDir } from '../helpers.js';
import { cliAsync, closedPort, startPlainBackend, startSilentServer } from '../remote-helpers.js';

afterAll(cleanupTempDirs);

const WHO = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const run = (cwd: string, args: string[]) => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, ...WHO } });
const skillMd = (name: string, body: string) => `---\nname: ${name}\ndescription: "${name} from upstream."\n---\n\n# ${name}\n\n${body}`;

/** An upstream in the anthropics/skills layout: a bare repository (what is served) fed by a work clone. */
class Upstream {
  readonly bare: string;
  private readonly work: string;
  constructor(root = tempDir('lsync-up-')) {
    this.bare = path.join(root, 'skills.git');
    this.work = path.join(root, 'work');
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', this.bare]);
    execFileSync('git', ['init', '-q', '-b', 'main', this.work]);
  }
  get url(): string {
    return `file://${this.bare}`;
  }
  /** Write (string) or delete (null) files under skills/, commit, push; returns the commit. */
  commit(files: Record<string, string | null>, message = 'change'): string {
    for (const [rel, content] of Object.entries(files)) {
      const p = path.join(this.work, 'skills', rel);
      if (content === null) fs.rmSync(p, { recursive: true, force: true });
      else {
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, content);
      }
    }
    run(this.work, ['add', '-A']);
    run(this.work, ['commit', '-qm', message]);
    run(this.work, ['push', '-q', this.bare, 'HEAD:refs/heads/main', '--tags']);
    return run(this.work, ['rev-parse', 'HEAD']).trim();
  }
  tag(name: string): void {
    run(this.work, ['tag', name]);
    run(this.work, ['push', '-q', this.bare, `refs/tags/${name}`]);
  }
  treeOf(rev: string, rel: string): string {
    return run(this.work, ['rev-parse', `${rev}:skills/${rel}`]).trim();
  }
}

const INITIAL = {
  'canvas-design/SKILL.md': skillMd('canvas-design', 'Step one.\nStep two.\nStep three.\n'),
  'canvas-design/reference.md': '# Reference\n',
  'webapp-testing/SKILL.md': skillMd('webapp-testing', 'Use playwright.\n'),
  'theme-factory/SKILL.md': skillMd('theme-factory', 'Pick a theme.\n'),
};

let ws: ExampleWorkspace;
let up: Upstream;
let initial: string;
let repo: string;
beforeEach(() => {
  ws = exampleWorkspace();
  up = new Upstream();
  initial = up.commit(INITIAL, 'initial');
  repo = path.dirname(path.dirname(ws.libraryDir));
});

/** Make the library folder a git work tree, as operators keep it. */
function gitLibrary(): void {
  run(repo, ['init', '-q']);
  run(repo, ['add', 'library']);
  run(repo, ['commit', '-qm', 'library']);
}
const lib = (...p: string[]) => path.join(ws.libraryDir, ...p);
const lock = () => JSON.parse(fs.readFileSync(lib('upstreams.lock.json'), 'utf8'));
const head = () => run(repo, ['rev-parse', 'HEAD']).trim();
/** Run the commit command the CLI printed, as the person reviewing it would. */
function commitAsPrinted(stdout: string): void {
  const line = stdout.split('\n').find((l) => l.includes(' commit -m '))!.trim();
  execFileSync('sh', ['-c', line], { env: { ...process.env, ...WHO } });
}
/** Processes whose command line names `url` (git and its remote helper), from /proc. */
function gitProcessesFor(url: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(url);
      } catch {
        return false;
      }
    })
    .map(Number);
}
function everyFile(dir: string): string[] {
  return Object.keys(snapshotFolder(dir)).map((rel) => path.join(dir, rel));
}

describe('library upstream add', () => {
  it('vendors exactly the named skills and writes the lock; nothing is committed; after a person commits, sync --fix distributes them', () => {
    gitLibrary();
    const before = head();
    const res = cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design', '--skill', 'webapp-testing']);
    expect(res.code, res.stderr).toBe(0);
    expect(fs.readdirSync(ws.libraryDir).sort()).toEqual(['brand-voice', 'canvas-design', 'docx', 'pdf', 'upstreams.lock.json', 'webapp-testing', 'xlsx']);
    expect(fs.readFileSync(lib('canvas-design', 'SKILL.md'), 'utf8')).toBe(INITIAL['canvas-design/SKILL.md']);
    const commit = initial;
    expect(lock()).toEqual({
      version: 1,
      upstreams: [
        {
          url: up.url,
          path: 'skills',
          ref: null,
          refKind: 'default',
          commit,
          skills: {
            'canvas-design': { from: 'canvas-design', commit, tree: up.treeOf('HEAD', 'canvas-design') },
            'webapp-testing': { from: 'webapp-testing', commit, tree: up.treeOf('HEAD', 'webapp-testing') },
          },
        },
      ],
    });
    // Nothing committed: the person reviews first. Not distributed until then.
    expect(head()).toBe(before);
    expect(run(repo, ['status', '--porcelain', '--', 'library'])).toBe('?? library/skills/canvas-design/\n?? library/skills/upstreams.lock.json\n?? library/skills/webapp-testing/\n');
    expect(res.stdout).toMatch(/nothing is committed: review it/);
    expect(stateOf(cli(ws, ['sync', '--json']).json, 'Lexicon', 'canvas-design')).toBeUndefined();

    // The same again, and a name the library has: refused, nothing written.
    const again = cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/canvas-design is already vendored from .* `library upstream update canvas-design`/);
    up.commit({ 'pdf/SKILL.md': skillMd('pdf', 'Upstream pdf.\n') }, 'pdf');
    const taken = cli(ws, ['upstream', 'add', up.url, '--skill', 'pdf']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/pdf already exists in the library: pass --as NEW-NAME/);
    // --as renames it, SKILL.md's name included, so it validates.
    const renamed = cli(ws, ['upstream', 'add', up.url, '--skill', 'pdf', '--as', 'pdf-upstream', '--json']);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.json.skills).toMatchObject([{ skill: 'pdf-upstream', from: 'pdf', outcome: 'added' }]);
    expect(fs.readFileSync(lib('pdf-upstream', 'SKILL.md'), 'utf8')).toMatch(/^---\nname: pdf-upstream\n/);
    expect(cli(ws, ['validate', ws.libraryDir]).code).toBe(0);

    commitAsPrinted(res.stdout);
    commitAsPrinted(renamed.json.commitCommand);
    expect(run(repo, ['log', '-2', '--format=%s'])).toMatch(/^upstream: add pdf-upstream from .*\nupstream: add canvas-design, webapp-testing from /);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    for (const skill of ['canvas-design', 'webapp-testing', 'pdf-upstream']) {
      expect(snapshotFolder(path.join(ws.companyDir('Lexicon'), skill))).toEqual(snapshotFolder(lib(skill)));
    }
    expect(fs.existsSync(path.join(ws.companyDir('Lexicon'), 'theme-factory'))).toBe(false);
    expect(fs.existsSync(path.join(ws.companyDir('Lexicon'), 'upstreams.lock.json'))).toBe(false);
    fsck(ws.storeDir);
  });

  it('a skill that fails validation is reported and not written; in a plain-folder library the others take effect on the next sync', () => {
    up.commit({ 'broken/SKILL.md': '---\nname: broken\n---\n\nNo description.\n' }, 'broken');
    const dry = cli(ws, ['upstream', 'add', up.url, '--skill', 'broken', '--skill', 'theme-factory', '--dry-run']);
    expect(dry.stdout).toMatch(/^would vendor from .*\n {2}invalid +broken\n.*\n {2}added +theme-factory\ndry run: nothing was written$/m);
    expect(fs.readdirSync(ws.libraryDir).sort()).toEqual(['brand-voice', 'docx', 'pdf', 'xlsx']);
    const res = cli(ws, ['upstream', 'add', up.url, '--skill', 'broken', '--skill', 'theme-factory', '--json']);
    expect(res.code).toBe(1);
    expect(res.json.skills.map((s: any) => [s.skill, s.outcome])).toEqual([
      ['broken', 'invalid'],
      ['theme-factory', 'added'],
    ]);
    expect(res.json.skills[0].findings.map((f: any) => f.code)).toEqual(['description-missing']);
    expect(res.json).toMatchObject({ libraryKind: 'folder', commitCommand: null });
    expect(fs.existsSync(lib('broken'))).toBe(false);
    expect(Object.keys(lock().upstreams[0].skills)).toEqual(['theme-factory']);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(fs.readFileSync(path.join(ws.companyDir('Northwind'), 'theme-factory', 'SKILL.md'), 'utf8')).toBe(INITIAL['theme-factory/SKILL.md']);
  });
});

describe('library upstream update', () => {
  it("over git http-backend: an upstream change to other lines and a new file merge with the library's edit; an untouched skill updates; the lock moves", async () => {
    gitLibrary();
    const server = await startPlainBackend(up.bare);
    try {
      const url = server.url;
      const add = await cliAsync(ws.configFile, ['upstream', 'add', url, '--skill', 'canvas-design', '--skill', 'webapp-testing']);
      expect(add.code, add.stderr).toBe(0);
      commitAsPrinted(add.stdout);
      // The library edits step one; upstream edits step three, adds a file, and changes the other skill.
      const edited = INITIAL['canvas-design/SKILL.md'].replace('Step one.', 'Step one, as our house does it.');
      fs.writeFileSync(lib('canvas-design', 'SKILL.md'), edited);
      const newCommit = up.commit({
        'canvas-design/SKILL.md': INITIAL['canvas-design/SKILL.md'].replace('Step three.', 'Step three, now faster.'),
        'canvas-design/scripts/render.py': 'print("render")\n',
        'webapp-testing/SKILL.md': skillMd('webapp-testing', 'Use playwright, headless.\n'),
      });
      const listed = await cliAsync(ws.configFile, ['upstream', 'list', '--check', '--json']);
      expect(listed.code).toBe(1); // commits not yet taken
      expect(listed.json.upstreams[0].check).toMatchObject({ tip: newCommit, behind: true });
      expect(listed.json.upstreams[0].skills.map((s: any) => `${s.name}:${s.state}`)).toEqual(['canvas-design:edited', 'webapp-testing:unchanged']);

      const beforeDry = snapshotFolder(ws.libraryDir);
      const dry = await cliAsync(ws.configFile, ['upstream', 'update', '--dry-run', '--json']);
      expect(dry.code).toBe(0);
      expect(dry.json.upstreams[0].skills.map((s: any) => s.outcome)).toEqual(['merged', 'updated']);
      expect(snapshotFolder(ws.libraryDir)).toEqual(beforeDry);

      // The cache is only a cache: lost, the vendored commit is fetched again (http-backend without protocol v2
      // refuses a commit it does not advertise: every branch and tag is fetched instead).
      fs.rmSync(path.join(ws.storeDir, 'library-sync', 'upstreams'), { recursive: true });
      const res = await cliAsync(ws.configFile, ['upstream', 'update', '--json']);
      expect(res.code, res.stderr).toBe(0);
      const [canvas, webapp] = res.json.upstreams[0].skills;
      expect(canvas).toMatchObject({ skill: 'canvas-design', outcome: 'merged', fromUpstream: ['scripts/render.py'], lineMerged: ['SKILL.md'], conflicts: [] });
      expect(webapp).toMatchObject({ skill: 'webapp-testing', outcome: 'updated', fromUpstream: ['SKILL.md'] });
      expect(fs.readFileSync(lib('canvas-design', 'SKILL.md'), 'utf8')).toBe(edited.replace('Step three.', 'Step three, now faster.'));
      expect(fs.readFileSync(lib('canvas-design', 'scripts', 'render.py'), 'utf8')).toBe('print("render")\n');
      expect(fs.readFileSync(lib('webapp-testing', 'SKILL.md'), 'utf8')).toContain('Use playwright, headless.');
      expect(lock().upstreams[0]).toMatchObject({ url, commit: newCommit, skills: { 'canvas-design': { commit: newCommit, tree: up.treeOf(newCommit, 'canvas-design') }, 'webapp-testing': { commit: newCommit, tree: up.treeOf(newCommit, 'webapp-testing') } } });
      expect(run(repo, ['status', '--porcelain', '--', 'library'])).toBe(' M library/skills/canvas-design/SKILL.md\n M library/skills/upstreams.lock.json\n M library/skills/webapp-testing/SKILL.md\n?? library/skills/canvas-design/scripts/\n');
      expect(res.json.commitCommand).toContain(`${newCommit.slice(0, 7)}`);
      const caches = path.join(ws.storeDir, 'library-sync', 'upstreams');
      for (const c of fs.readdirSync(caches)) fsck(path.join(caches, c)); // what the merge wrote into the cache is sound
      const check = await cliAsync(ws.configFile, ['upstream', 'list', '--check']);
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/up to date with upstream\n {2}edited +canvas-design\n {2}unchanged +webapp-testing/);
    } finally {
      await server.close();
    }
  });

  it("both sides change one line: no conflict markers anywhere, the library's version kept, the conflict named with where to see the upstream's version", () => {
    gitLibrary();
    commitAsPrinted(cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design']).stdout);
    const ours = INITIAL['canvas-design/SKILL.md'].replace('Step two.', 'Step two, the library way.');
    fs.writeFileSync(lib('canvas-design', 'SKILL.md'), ours);
    const theirs = INITIAL['canvas-design/SKILL.md'].replace('Step two.', 'Step two, the upstream way.');
    const commit = up.commit({ 'canvas-design/SKILL.md': theirs, 'canvas-design/reference.md': '# Reference\n\nMore.\n' });
    // The cache is only a cache: lost, the vendored commit is fetched again by its id.
    fs.rmSync(path.join(ws.storeDir, 'library-sync', 'upstreams'), { recursive: true });

    const res = cli(ws, ['upstream', 'update', 'canvas-design', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const [s] = res.json.upstreams[0].skills;
    expect(s).toMatchObject({ outcome: 'conflict', fromUpstream: ['reference.md'], conflicts: [{ path: 'SKILL.md', reason: 'changed on both sides', upstreamCopy: '.upstream-conflicts/canvas-design/SKILL.md' }] });
    expect(fs.readFileSync(lib('canvas-design', 'SKILL.md'), 'utf8')).toBe(ours);
    expect(fs.readFileSync(lib('canvas-design', 'reference.md'), 'utf8')).toBe('# Reference\n\nMore.\n');
    expect(fs.readFileSync(lib(s.conflicts[0].upstreamCopy), 'utf8')).toBe(theirs);
    for (const f of everyFile(ws.libraryDir)) expect(fs.readFileSync(f, 'utf8'), f).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    expect(lock().upstreams[0].commit).toBe(commit);
    expect(run(repo, ['status', '--porcelain', '--', 'library'])).toBe(' M library/skills/canvas-design/SKILL.md\n M library/skills/canvas-design/reference.md\n M library/skills/upstreams.lock.json\n'); // review copies are ignored by git

    const text = cli(ws, ['upstream', 'list']);
    expect(text.stdout).toContain(`conflict           canvas-design  (to review: ${lib('.upstream-conflicts', 'canvas-design', 'SKILL.md')})`);
    commitAsPrinted(res.json.commitCommand);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(fs.readFileSync(path.join(ws.companyDir('Lexicon'), 'canvas-design', 'SKILL.md'), 'utf8')).toBe(ours);
    expect(fs.existsSync(path.join(ws.companyDir('Lexicon'), '.upstream-conflicts'))).toBe(false);
  });

  it('a pinned skill stays at its tag until add --ref moves it; an upstream deletion is reported, nothing deleted', () => {
    up.tag('v1');
    expect(cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design', '--ref', 'v1']).code).toBe(0);
    expect(cli(ws, ['upstream', 'add', up.url, '--skill', 'theme-factory']).code).toBe(0);
    const pinned = lock().upstreams.find((e: any) => e.ref === 'v1');
    expect(pinned).toMatchObject({ refKind: 'tag' });
    const v2 = up.commit({ 'canvas-design/SKILL.md': skillMd('canvas-design', 'Version two.\n'), 'theme-factory': null });
    up.tag('v2');

    const before = snapshotFolder(ws.libraryDir);
    const res = cli(ws, ['upstream', 'update', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const outcomes = Object.fromEntries(res.json.upstreams.flatMap((u: any) => u.skills.map((s: any) => [s.skill, s.outcome])));
    expect(outcomes).toEqual({ 'canvas-design': 'up-to-date', 'theme-factory': 'removed-upstream' });
    const before2 = { ...before };
    delete before2['upstreams.lock.json'];
    const after = snapshotFolder(ws.libraryDir);
    delete after['upstreams.lock.json'];
    expect(after).toEqual(before2); // nothing deleted, the pin untouched
    expect(lock().upstreams.find((e: any) => e.ref === 'v1')).toEqual(pinned);
    expect(lock().upstreams.find((e: any) => e.ref === null).skills['theme-factory'].removedUpstream).toBe(v2);
    expect(cli(ws, ['upstream', 'update']).stdout).toMatch(/removed-upstream +theme-factory\n.*`library upstream forget theme-factory`/);
    expect(cli(ws, ['upstream', 'list', '--check']).code).toBe(0); // nothing left to take

    const moved = cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design', '--ref', 'v2', '--json']);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json.skills).toMatchObject([{ skill: 'canvas-design', outcome: 'updated' }]);
    expect(fs.readFileSync(lib('canvas-design', 'SKILL.md'), 'utf8')).toContain('Version two.');
    expect(lock().upstreams.map((e: any) => e.ref)).toEqual([null, 'v2']);
    expect(cli(ws, ['upstream', 'forget', 'theme-factory']).code).toBe(0);
    expect(fs.existsSync(lib('theme-factory', 'SKILL.md'))).toBe(true);
    expect(lock().upstreams.map((e: any) => e.ref)).toEqual(['v2']);
  });

  it('an unreachable upstream: the remote-failure exit, the library untouched, the URL named', async () => {
    expect(cli(ws, ['upstream', 'add', up.url, '--skill', 'canvas-design']).code).toBe(0);
    up.commit({ 'canvas-design/SKILL.md': skillMd('canvas-design', 'Newer.\n') });
    const before = snapshotFolder(ws.libraryDir);
    const gone = `${up.bare}.moved`;
    fs.renameSync(up.bare, gone);
    for (const args of [['upstream', 'update'], ['upstream', 'list', '--check']]) {
      const res = cli(ws, args);
      expect(res.code, args.join(' ')).toBe(3);
      expect(res.stderr).toContain(`upstream ${up.url}: `);
      expect(res.stderr).toMatch(/does not appear to be a git repository/);
    }
    expect(snapshotFolder(ws.libraryDir)).toEqual(before);

    // A server that accepts and never answers: bounded by --timeout, and no git is left running.
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const hung = await cliAsync(ws.configFile, ['upstream', 'add', silent.url, '--timeout', '1']);
      expect(hung.code).toBe(3);
      expect(hung.stderr).toContain(`upstream ${silent.url}: no answer within 1s (git ls-remote was stopped)`);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(gitProcessesFor(silent.url)).toEqual([]);
    } finally {
      await silent.close();
    }

    const url = `http://127.0.0.1:${await closedPort()}/skills.git`;
    const add = cli(ws, ['upstream', 'add', url]);
    expect(add.code).toBe(3);
    expect(add.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^library: upstream ${url.replace(/[.]/g, '\\.')}: .*(Failed to connect|Connection refused|Couldn't connect)`))]);
    expect(snapshotFolder(ws.libraryDir)).toEqual(before);
  });
});
