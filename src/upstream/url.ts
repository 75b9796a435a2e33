/**
 * PURE: what an upstream URL argument means, and names derived from it. Any
 * URL git accepts is taken (https, ssh, scp-like `git@host:path`, file://, a
 * local path), with two refusals: a password or token inside the URL (it
 * would be written into the lock file, which people commit), and anything
 * git could read as an option.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { isScpLike } from '../remote/url.js';

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The URL as it goes into the lock: a local path is made absolute (from `cwd`), the rest is kept as given. */
export function upstreamUrl(arg: string, cwd: string): string {
  const url = arg.trim();
  if (url === '') throw new UsageError('upstream: the URL is empty: pass the repository URL, e.g. https://github.com/anthropics/skills');
  if (url.startsWith('-')) throw new UsageError(`upstream: ${JSON.stringify(url)} starts with "-": git would read it as an option; pass a URL`);
  if (/[\s\0-\x1f\x7f]/.test(url)) throw new UsageError(`upstream: ${JSON.stringify(url)} holds spaces or control characters: pass the URL without them`);
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme) {
    const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(url)?.[1];
    const secret = userinfo !== undefined && (userinfo.includes(':') || scheme === 'http' || scheme === 'https');
    if (secret) {
      throw new UsageError(
        `upstream ${url.replace(/\/\/[^/@]*@/, '//***@')}: the URL holds credentials, which would be written into ${'upstreams.lock.json'} and committed: remove them and let git's credential helper (or ssh keys) supply them`,
      );
    }
    return url;
  }
  if (isScpLike(url)) return url;
  return path.resolve(cwd, url);
}

/** A folder name for the cache repository of `url`: readable, and unique by a hash. */
export function cacheName(url: string): string {
  const readable = url
    .replace(SCHEME, '')
    .replace(/\.git$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(-60);
  return `${readable || 'upstream'}-${createHash('sha1').update(url).digest('hex').slice(0, 10)}.git`;
}

/** The repository's name, for a skill at the root of a repository (its folder has no name of its own). */
export function repoName(url: string): string {
  return (
    url
      .replace(/\/+$/, '')
      .replace(/\.git$/, '')
      .split(/[/:]/)
      .pop() || 'skill'
  );
}

/** A short form of `url` for commit messages and lines. */
export function shortUrl(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\.git$/, '');
}
