/**
 * PURE: the config keys of a fleet machine. `"library": { "url", "branch",
 * "path" }` (a library pulled from a git host), `"report": { "url" }` (where
 * this machine pushes its company histories), `"host"` (its name there) and
 * `"network"` (the bounds of every fetch and push to a git host). A URL is
 * anything git itself accepts; it never holds a password (git's credential
 * helpers, ssh keys and agents are the credentials).
 */
import { ConfigError } from '../errors.js';
import { hostRefName } from '../remote/resolve.js';
import { isScpLike } from '../remote/url.js';

export interface UrlLibrary {
  /** As git takes it: ssh://, the scp form, http(s)://, git://, file://, or an absolute local path. */
  url: string;
  branch: string;
  /** The library's folder inside the branch's tree ('' for the root), '/'-separated. */
  path: string;
}

export interface ReportConfig {
  url: string;
}

export interface NetworkConfig {
  connectTimeoutMs: number;
  timeoutMs: number;
  tries: number;
  retryDelayMs: number;
}

export const DEFAULT_NETWORK: NetworkConfig = { connectTimeoutMs: 10_000, timeoutMs: 120_000, tries: 3, retryDelayMs: 1000 };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(obj: Record<string, unknown>, known: string[], key: string, file: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new ConfigError(`config ${file}: unknown key "${key}.${k}" (known: ${known.join(', ')})`);
  }
}

const SCHEMES = ['ssh', 'git+ssh', 'ssh+git', 'http', 'https', 'git', 'file'];

/**
 * A git URL as the config gives it, checked; a local path is resolved from the config's folder (and `~`). Nothing
 * git could read as an option, no remote helper (`ext::…`), no password.
 */
export function checkGitUrl(raw: unknown, key: string, file: string, resolve: (p: string) => string): string {
  const where = `config ${file}: "${key}"`;
  if (typeof raw !== 'string' || raw.trim() === '') throw new ConfigError(`${where} must be a git URL, e.g. "git@github.com:acme/skills.git"`);
  if (/[\0\n\r]/.test(raw)) throw new ConfigError(`${where} holds a NUL or a line break`);
  if (raw.startsWith('-')) throw new ConfigError(`${where} starts with "-", which git would read as an option`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1].toLowerCase();
  if (scheme) {
    if (!SCHEMES.includes(scheme)) throw new ConfigError(`${where}: scheme "${scheme}://" is not one git fetches from here: use ssh://, https://, http://, git:// or file://`);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(`${where}: ${JSON.stringify(raw)} is not a URL`);
    }
    if (parsed.password) {
      throw new ConfigError(`${where} holds a password: remove it, and let git's credential helper (or an ssh key) supply it, as for every other repository`);
    }
    if ((scheme === 'file' && parsed.pathname === '/') || (scheme !== 'file' && !parsed.hostname)) throw new ConfigError(`${where}: ${JSON.stringify(raw)} names no repository`);
    return raw;
  }
  if (/^[A-Za-z0-9][A-Za-z0-9+.-]*::/.test(raw)) throw new ConfigError(`${where}: remote helpers ("transport::address") are not accepted: use a plain URL`);
  if (isScpLike(raw) && !raw.startsWith('/') && !raw.startsWith('.') && !raw.startsWith('~')) {
    const host = /^(?:[^@/]+@)?([^:]+):/.exec(raw)?.[1] ?? '';
    if (host.startsWith('-')) throw new ConfigError(`${where} has a host that ssh would read as an option`);
    return raw;
  }
  return resolve(raw);
}

/** A branch name git accepts (`git check-ref-format --branch`, the common cases). */
export function isBranchName(b: string): boolean {
  return (
    /^[A-Za-z0-9._/-]+$/.test(b) &&
    !b.startsWith('-') &&
    !b.startsWith('/') &&
    !b.endsWith('/') &&
    !b.endsWith('.') &&
    !b.endsWith('.lock') &&
    !b.includes('..') &&
    !b.includes('//') &&
    !b.split('/').some((s) => s.startsWith('.'))
  );
}

/** `"library": { "url", "branch", "path" }`. */
export function parseUrlLibrary(obj: Record<string, unknown>, file: string, resolve: (p: string) => string): UrlLibrary {
  checkKeys(obj, ['url', 'branch', 'path'], 'library', file);
  const url = checkGitUrl(obj.url, 'library.url', file, resolve);
  const branch = obj.branch ?? 'main';
  if (typeof branch !== 'string' || !isBranchName(branch)) {
    throw new ConfigError(`config ${file}: "library.branch" must be a branch name such as "main" (letters, digits, '.', '_', '-', '/')`);
  }
  const rawPath = obj.path ?? '';
  if (typeof rawPath !== 'string') throw new ConfigError(`config ${file}: "library.path" must be the library's folder inside the repository, e.g. "skills" ("" for its root)`);
  const segments = rawPath.split('/').filter((s) => s !== '' && s !== '.');
  if (rawPath.startsWith('/') || segments.some((s) => s === '..' || s.includes('\\') || s.includes('\0'))) {
    throw new ConfigError(`config ${file}: "library.path" must be a relative folder inside the repository, e.g. "skills", with no ".." and no leading "/"`);
  }
  return { url, branch, path: segments.join('/') };
}

export function parseReport(raw: unknown, file: string, resolve: (p: string) => string): ReportConfig | null {
  if (raw === undefined) return null;
  if (!isObject(raw)) throw new ConfigError(`config ${file}: "report" must be an object such as { "url": "git@github.com:acme/skills.git" }`);
  checkKeys(raw, ['url'], 'report', file);
  return { url: checkGitUrl(raw.url, 'report.url', file, resolve) };
}

/** `"host"`: this machine's name under `refs/hosts/` on a hub (reports) or FORGE (forge-sync). */
export function parseHost(raw: unknown, file: string): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || raw === '' || hostRefName(raw) !== raw) {
    throw new ConfigError(
      `config ${file}: "host" must be a name of at most 63 characters: letters, digits, '.', '_' and '-', starting with a letter or digit${typeof raw === 'string' && raw ? ` (e.g. "${hostRefName(raw)}")` : ''}`,
    );
  }
  return raw;
}

export function parseNetwork(raw: unknown, file: string): NetworkConfig {
  if (raw === undefined) return DEFAULT_NETWORK;
  if (!isObject(raw)) throw new ConfigError(`config ${file}: "network" must be an object such as { "timeout": 120, "tries": 3 }`);
  checkKeys(raw, ['connectTimeout', 'timeout', 'tries', 'retryDelay'], 'network', file);
  const seconds = (key: string, fallbackMs: number, min: number) => {
    const v = raw[key];
    if (v === undefined) return fallbackMs;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ConfigError(`config ${file}: "network.${key}" must be a number of seconds${min > 0 ? ` above 0` : ', 0 or more'}`);
    return Math.max(min > 0 ? 1 : 0, Math.round(v * 1000));
  };
  const tries = raw.tries ?? DEFAULT_NETWORK.tries;
  if (typeof tries !== 'number' || !Number.isInteger(tries) || tries < 1) throw new ConfigError(`config ${file}: "network.tries" must be a whole number, 1 or more`);
  return {
    connectTimeoutMs: seconds('connectTimeout', DEFAULT_NETWORK.connectTimeoutMs, 0.001),
    timeoutMs: seconds('timeout', DEFAULT_NETWORK.timeoutMs, 0.001),
    tries,
    retryDelayMs: seconds('retryDelay', DEFAULT_NETWORK.retryDelayMs, 0),
  };
}
