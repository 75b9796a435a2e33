/**
 * A `.gitmodules` we call refused (src/scan/gitmodules.ts) is exactly one
 * native `git fsck --strict` refuses: config syntax (quotes, escapes,
 * comments, continuation lines, CRLF, a byte order mark, errors part way)
 * and fsck's checks of submodule names, URLs, paths and update commands.
 * Each content goes into a blob under a tree entry `.gitmodules`, and fsck
 * names the blobs it refuses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gitmodulesRefusal } from '../../src/scan/gitmodules.js';
import { cleanupTempDirs, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

const nameArb = fc.constantFrom('lib/a', 'x', '..', '../x', 'a/..', 'a/../b', 'a\\..', '..\\a', '', 'a b', 'a\\"q', 'ü', 'a.b', '.', '...', 'x/..y');
const urlArb = fc.constantFrom(
  'https://github.com/o/r.git', 'https://', 'https:///x', 'http::https://h/x', 'https::h/x', 'ftp://u:p@h/x', 'https://u%0a@h/x', 'https://h%0a/x',
  'https://h/x%0a', 'https://u:p%0a@h/', 'https://h:8%0a0/x', 'https://%00/x', 'https://@/x', 'https://h?x@y/', 'https://u@h#/', 'git@github.com:o/r.git',
  'ssh://git@h:22/r', 'git://h/r%0a.git', 'git://h/r', './x', '../x', '../../x', '../:x', '..//x', './../x', '.././/x', '../x%0ay', '..\\:x', '.\\..\\/x',
  '-oProxyCommand=x', '-', 'file:///tmp/x', 'x', 'x%0ay', 'HTTPS://h', 'http:/h', '%2e%2e/x', 'https://h/%0A', 'https://h%0d/x', 'https://h\\n.x/y',
  '../x\\ny', 'git://h\\n/x', '../%00%0a', 'ftps::ftps://%0a@h/',
);
const valueArb = fc.oneof(
  urlArb,
  fc.constantFrom('!cmd', 'none', 'rebase', '-p', 'p', '"quoted ; value"', 'a # comment', 'a\\tb', 'a\\nb', 'a\\qb', 'a\\', '"unterminated', ' spaced  out ', '"-q"', '\\"-q\\"'),
  fc.tuple(urlArb, fc.constantFrom('"', ' ', '\\\n', ';c', '%', '""')).map(([u, s]) => `${u}${s}`),
);
const keyArb = fc.constantFrom('url', 'URL', 'Url', 'path', 'update', 'branch', 'x-y', 'url2');
const lineArb = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(nameArb, fc.constantFrom('[submodule "%"]', '[submodule.%]', '[Submodule "%"]', '[submodule  "%" ]', '[submodule "%"')).map(([n, h]) => h.replace('%', n)) },
  { weight: 1, arbitrary: fc.constantFrom('[submodule]', '[core]', '[]', '[sub module]', '# comment', '; comment', '', '   ', 'junk line', '=x') },
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('\t', '', '  '), keyArb, fc.constantFrom(' = ', '=', ' =', ''), valueArb).map(([i, k, eq, v]) => (eq === '' ? `${i}${k}` : `${i}${k}${eq}${v}`)) },
);
const contentArb = fc
  .tuple(fc.array(lineArb, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.boolean())
  .map(([lines, eol, bom, finalEol]) => `${bom ? '\ufeff' : ''}${lines.join(eol)}${finalEol ? eol : ''}`);

describe('.gitmodules contents git refuses', () => {
  it('are the ones gitmodulesRefusal refuses', () => {
    const repo = tempDir('gitmodules-');
    execFileSync('git', ['init', '-q', '--bare', repo]);
    const git = (args: string[], input?: string) => spawnSync('git', ['--git-dir', repo, ...args], { input, encoding: 'utf8' });
    fc.assert(
      fc.property(fc.uniqueArray(contentArb, { minLength: 1, maxLength: 30 }), (contents) => {
        const blobs = contents.map((c) => git(['hash-object', '-w', '--stdin'], c).stdout.trim());
        const trees = git(['mktree', '-z', '--batch'], blobs.map((b) => `100644 blob ${b}\t.gitmodules\0\0`).join('')).stdout.trim().split('\n');
        const fsck = git(['fsck', '--strict', '--no-dangling', '--no-progress']);
        const refused = new Set([...`${fsck.stdout}${fsck.stderr}`.matchAll(/error in blob ([0-9a-f]{40}): gitmodules/g)].map((m) => m[1]));
        for (const [i, content] of contents.entries()) {
          expect({ content, refused: gitmodulesRefusal(Buffer.from(content)) !== null }).toEqual({ content, refused: refused.has(blobs[i]) });
        }
        for (const oid of [...blobs, ...trees]) execFileSync('rm', ['-f', `${repo}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`]);
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 40), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
    );
  });
});
