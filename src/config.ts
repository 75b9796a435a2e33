/**
 * Load, validate and resolve `library.config.json`. Every problem is a
 * ConfigError (exit 2) with one line naming the key and the fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from './errors.js';
import { caseTwinFinder, caseTwinMessage, isValidName } from './names.js';
import { findGitDir } from './library/repo.js';
import { MERGE_MODES, type MergeMode } from './merge/file-merge.js';
import { parseRemotes, parseServe, type RemoteConfig, type ServeConfig } from './remote/config.js';
import { parseFolders } from './folders/config.js';
import { parseHost, parseNetwork, parseReport, parseUrlLibrary, type NetworkConfig, type ReportConfig, type UrlLibrary } from './fleet/config.js';

export interface RawConfig {
  library: string | { ref: string } | { url: string; branch?: string; path?: string };
  companies: string | Record<string, string>;
  store: string;
  index?: string;
  safety?: { maxRemovePercent?: number; maxFileBytes?: number };
  allowSymlinkedCompanies?: boolean;
  concurrency?: number;
  snapshots?: { keep?: number };
  merge?: MergeMode;
  remotes?: Record<string, { url: string; tokenEnv?: string }>;
  serve?: { tokenEnv?: string; port?: number };
  lock?: { staleSeconds?: number };
  ignore?: string[];
  validation?: 'default' | 'strict';
  report?: { url: string };
  host?: string;
  network?: { connectTimeout?: number; timeout?: number; tries?: number; retryDelay?: number };
}

export const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'library',
  'companies',
  'store',
  'index',
  'safety',
  'snapshots',
  'allowSymlinkedCompanies',
  'concurrency',
  'merge',
  'remotes',
  'serve',
  'lock',
  'ignore',
  'validation',
  'report',
  'host',
  'network',
  'folders',
  '$schema',
]);

export interface Config {
  file: string;
  /** Absolute library folder; null when the library is a ref of the store itself. */
  libraryDir: string | null;
  libraryRef: string | null;
  /** The library pulled from a git host (src/fleet/): fetched into the store before every sync. */
  libraryUrl: UrlLibrary | null;
  /** Where this machine pushes its company histories after each `sync --fix` (src/fleet/report.ts). */
  report: ReportConfig | null;
  /** This machine's name under `refs/hosts/` on a hub or FORGE; null: its hostname. */
  host: string | null;
  /** Bounds of every fetch and push to a git host (library URL, report, fleet). */
  network: NetworkConfig;
  companiesSpec: string | Record<string, string>;
  /** The skills folders kept in each company, relative to its root (config `folders`); null: each company is one folder. */
  folders: string[] | null;
  storeDir: string;
  indexFile: string;
  maxRemovePercent: number;
  maxFileBytes: number;
  allowSymlinkedCompanies: boolean;
  concurrency: number;
  /** Companies written at once (sync, push): `concurrency` when set, else 8 (their writes wait on the disk, not the cores). */
  writeConcurrency: number;
  /** Automatic snapshots kept (named ones are never pruned). */
  snapshotsKeep: number;
  /** Inside an override: "skill" keeps the company's whole skill; "file"/"line" take library-only changes per file. */
  merge: MergeMode;
  /** Named smart-HTTP remotes for `forge-sync`, in config order. */
  remotes: RemoteConfig[];
  serve: ServeConfig;
  /** A lock holder that stopped refreshing its lock (frozen, asleep) for this long is taken over. */
  lockStaleMs: number;
  /** Extra gitignore patterns (after the built-in defaults and the library's .gitignore; `!p` re-includes). */
  ignore: string[];
  /** `validation: "strict"`: the Agent Skills specification's warnings block a skill too. */
  strictValidation: boolean;
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

export function resolvePath(p: string, baseDir: string): string {
  return path.resolve(baseDir, expandHome(p));
}

/** The user config, as chezmoi and git find theirs: `$XDG_CONFIG_HOME/library-sync/config.json`, else `~/.config/…`. */
export function userConfigFile(): string {
  const xdg = process.env.XDG_CONFIG_HOME;
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config'), 'library-sync', 'config.json');
}

export const LOCAL_CONFIG = 'library.config.json';

/** Every `library.config.json` in `dir` and the folders above it, nearest first (git finds `.git` the same way). */
export function localConfigs(dir = process.cwd()): string[] {
  const out: string[] = [];
  for (let cur = path.resolve(dir); ; cur = path.dirname(cur)) {
    const file = path.join(cur, LOCAL_CONFIG);
    if (fs.existsSync(file)) out.push(file);
    if (path.dirname(cur) === cur) return out;
  }
}

export interface ConfigLookup {
  /** A folder in a git repository (`hooks install` run in the library's): a config whose library is in that repository wins. */
  libraryRepoOf?: string;
}

/**
 * `--config`, else $LIBRARY_CONFIG, else `library.config.json` in the current folder or a parent, else the user
 * config. null when none of them exists (an explicit file is returned as given, so its absence is named).
 */
export function findConfigFile(explicit?: string, lookup: ConfigLookup = {}): string | null {
  if (explicit) return path.resolve(explicit);
  if (process.env.LIBRARY_CONFIG) return path.resolve(process.env.LIBRARY_CONFIG);
  const found = localConfigs();
  if (fs.existsSync(userConfigFile())) found.push(userConfigFile());
  const repo = lookup.libraryRepoOf ? realpath(findGitDir(path.resolve(lookup.libraryRepoOf))?.workTree) : null;
  return (repo && found.find((f) => libraryRepoOfConfig(f) === repo)) || found[0] || null;
}

/** The work tree holding a config file's library folder, or null (unreadable, a ref library, not in git). */
function libraryRepoOfConfig(file: string): string | null {
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { library?: unknown };
    return typeof raw.library === 'string' ? realpath(findGitDir(resolvePath(raw.library, path.dirname(file)))?.workTree) : null;
  } catch {
    return null;
  }
}

const realpath = (p: string | undefined): string | null => (p && fs.existsSync(p) ? fs.realpathSync(p) : null);

function requireString(value: unknown, key: string, file: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ConfigError(`config ${file}: "${key}" must be a non-empty string path`);
  }
  return value;
}

export function loadConfig(explicit?: string, lookup: ConfigLookup = {}): Config {
  const file = findConfigFile(explicit, lookup);
  if (!file) {
    throw new ConfigError(
      `no config found: not given by --config or $LIBRARY_CONFIG, no ${LOCAL_CONFIG} in ${process.cwd()} or a folder above it, no ${userConfigFile()}: run \`library init\`, or pass --config FILE`,
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`config ${file} not found: pass --config FILE, set LIBRARY_CONFIG, or run \`library init\``);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return checkConfigPaths(parseConfig(raw, file));
}

/** What parseConfig cannot know without the disk: the library folder exists. Returns the config. */
export function checkConfigPaths(config: Config): Config {
  if (!config.libraryDir) return config;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(config.libraryDir);
  } catch {
    /* reported below */
  }
  if (!stat?.isDirectory()) {
    throw new ConfigError(`config ${config.file}: library folder ${config.libraryDir} does not exist: create it or fix "library"`);
  }
  return config;
}

/** Pure: validate and resolve a config object (paths against the config file's folder). Touches no disk. */
export function parseConfig(raw: unknown, file: string): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`config ${file} must be a JSON object with "library", "companies" and "store"`);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new ConfigError(`config ${file}: unknown key "${key}" (known keys: ${[...KNOWN_KEYS].filter((k) => k !== '$schema').join(', ')})`);
    }
  }
  const base = path.dirname(file);

  let libraryDir: string | null = null;
  let libraryRef: string | null = null;
  let libraryUrl: UrlLibrary | null = null;
  if (typeof obj.library === 'object' && obj.library !== null && !Array.isArray(obj.library) && 'url' in obj.library) {
    libraryUrl = parseUrlLibrary(obj.library as Record<string, unknown>, file, (p) => resolvePath(p, base));
  } else if (typeof obj.library === 'object' && obj.library !== null && !Array.isArray(obj.library)) {
    const ref = (obj.library as Record<string, unknown>).ref;
    if (typeof ref !== 'string' || !ref.startsWith('refs/')) {
      throw new ConfigError(`config ${file}: "library.ref" must be a full ref name such as "refs/heads/library" (a library on a git host is { "url": …, "branch": …, "path": … })`);
    }
    libraryRef = ref;
  } else {
    libraryDir = resolvePath(requireString(obj.library, 'library', file), base);
  }

  let companiesSpec: string | Record<string, string>;
  if (typeof obj.companies === 'string') {
    companiesSpec = resolvePath(obj.companies, base);
    const stars = companiesSpec.split(path.sep).filter((seg) => seg.includes('*'));
    if (stars.length !== 1 || stars[0] !== '*') {
      throw new ConfigError(
        `config ${file}: "companies" glob must have exactly one path segment that is "*" (the company name), e.g. "~/ALAI/*/.claude/skills", or "~/ALAI/*" with "folders"`,
      );
    }
  } else if (typeof obj.companies === 'object' && obj.companies !== null && !Array.isArray(obj.companies)) {
    companiesSpec = {};
    const caseTwinOf = caseTwinFinder();
    for (const [name, dir] of Object.entries(obj.companies as Record<string, unknown>)) {
      if (!isValidName(name)) {
        throw new ConfigError(`config ${file}: invalid company name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
      }
      const twin = caseTwinOf(name);
      if (twin) throw new ConfigError(`config ${file}: ${caseTwinMessage(twin, name)}: rename one in "companies"`);
      companiesSpec[name] = resolvePath(requireString(dir, `companies.${name}`, file), base);
    }
  } else {
    throw new ConfigError(`config ${file}: "companies" must be a glob string or an object of name → folder`);
  }

  const storeDir = resolvePath(requireString(obj.store, 'store', file), base);
  const indexFile = obj.index === undefined ? path.join(path.dirname(storeDir), 'index.json') : resolvePath(requireString(obj.index, 'index', file), base);
  const safety = (obj.safety ?? {}) as Record<string, unknown>;
  const maxRemovePercent = numberOr(safety.maxRemovePercent, 25, 'safety.maxRemovePercent', file);
  const maxFileBytes = numberOr(safety.maxFileBytes, 10 * 1024 * 1024, 'safety.maxFileBytes', file);
  const snapshotsKeep = numberOr(((obj.snapshots ?? {}) as Record<string, unknown>).keep, 500, 'snapshots.keep', file);
  const lockStaleSeconds = numberOr(((obj.lock ?? {}) as Record<string, unknown>).staleSeconds, 30, 'lock.staleSeconds', file);
  if (lockStaleSeconds < 2) throw new ConfigError(`config ${file}: "lock.staleSeconds" must be at least 2 (the lock is refreshed every staleSeconds / 2)`);
  const concurrency = numberOr(obj.concurrency, Math.max(2, Math.min(8, os.availableParallelism())), 'concurrency', file);
  // Writing a company mostly waits for the disk (each ref is fsync-ed): 8 at once by default, whatever the cores, so
  // those waits overlap and share journal commits. A `concurrency` the user set holds for writes too.
  const writeConcurrency = numberOr(obj.concurrency, 8, 'concurrency', file);

  const merge = (obj.merge ?? 'skill') as MergeMode;
  if (!MERGE_MODES.includes(merge)) {
    throw new ConfigError(`config ${file}: "merge" must be one of ${MERGE_MODES.map((m) => `"${m}"`).join(', ')}`);
  }

  if (obj.validation !== undefined && obj.validation !== 'default' && obj.validation !== 'strict') {
    throw new ConfigError(`config ${file}: "validation" must be "default" (warnings are reported, the skill is distributed) or "strict" (warnings block the skill)`);
  }

  return {
    file,
    libraryDir,
    libraryRef,
    libraryUrl,
    report: parseReport(obj.report, file, (p) => resolvePath(p, base)),
    host: parseHost(obj.host, file),
    network: parseNetwork(obj.network, file),
    companiesSpec,
    folders: parseFolders(obj.folders, file),
    storeDir,
    indexFile,
    maxRemovePercent,
    maxFileBytes,
    allowSymlinkedCompanies: obj.allowSymlinkedCompanies === true,
    concurrency,
    writeConcurrency,
    snapshotsKeep,
    merge,
    remotes: parseRemotes(obj.remotes, file),
    serve: parseServe(obj.serve, file),
    lockStaleMs: lockStaleSeconds * 1000,
    ignore: parseIgnore(obj.ignore, file),
    strictValidation: obj.validation === 'strict',
  };
}

function parseIgnore(value: unknown, file: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p.trim() === '' || p.includes('\n'))) {
    throw new ConfigError(`config ${file}: "ignore" must be a list of gitignore patterns, e.g. ["*.log", "!.DS_Store"] (a "!" pattern switches a default off)`);
  }
  return value as string[];
}

function numberOr(value: unknown, fallback: number, key: string, file: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`config ${file}: "${key}" must be a non-negative number`);
  }
  return value;
}
