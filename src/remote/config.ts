/**
 * The `remotes` and `serve` config sections (pure validation). Tokens never
 * live in the config: only the name of the environment variable holding one;
 * ssh remotes need none (ssh's own keys and config apply).
 */
import { ConfigError } from '../errors.js';
import { isValidName } from '../names.js';
import { parseRemoteUrl, type RemoteUrl } from './url.js';

export interface RemoteConfig {
  name: string;
  url: string;
  /** Environment variable holding the push token, or null for a server that needs none. */
  tokenEnv: string | null;
}

export interface ServeConfig {
  tokenEnv: string | null;
  port: number;
}

export const DEFAULT_SERVE_PORT = 8174;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, known: string[], key: string, file: string): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) throw new ConfigError(`config ${file}: unknown key "${key}.${k}" (known: ${known.join(', ')})`);
  }
}

function tokenEnvOf(value: unknown, key: string, file: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !ENV_NAME.test(value)) {
    throw new ConfigError(`config ${file}: "${key}" must name an environment variable, e.g. "LIBRARY_FORGE_TOKEN"`);
  }
  return value;
}

/** A remote URL (smart HTTP, ssh:// or scp form) without credentials; the message names where it came from. */
export function checkRemoteUrl(url: string, where: string): RemoteUrl {
  const parsed = parseRemoteUrl(url);
  if (typeof parsed === 'string') throw new ConfigError(`${where}: ${JSON.stringify(url)} ${parsed}`);
  return parsed;
}

export function parseRemotes(raw: unknown, file: string): RemoteConfig[] {
  if (raw === undefined) return [];
  if (!isObject(raw)) throw new ConfigError(`config ${file}: "remotes" must be an object of name → { "url": …, "tokenEnv": … }`);
  return Object.entries(raw).map(([name, value]) => {
    if (!isValidName(name)) {
      throw new ConfigError(`config ${file}: invalid remote name ${JSON.stringify(name)}: use letters, digits, '.', '_' and '-'`);
    }
    if (!isObject(value) || typeof value.url !== 'string') {
      throw new ConfigError(`config ${file}: "remotes.${name}" must be an object with a "url" string`);
    }
    checkKeys(value, ['url', 'tokenEnv'], `remotes.${name}`, file);
    const { url, kind } = checkRemoteUrl(value.url, `config ${file}: "remotes.${name}.url"`);
    const tokenEnv = tokenEnvOf(value.tokenEnv, `remotes.${name}.tokenEnv`, file);
    if (tokenEnv && kind === 'ssh') {
      throw new ConfigError(`config ${file}: "remotes.${name}.tokenEnv" is for http(s) remotes: over ssh, your ssh keys (or ssh-agent) are the credentials; remove it`);
    }
    return { name, url, tokenEnv };
  });
}

export function parseServe(raw: unknown, file: string): ServeConfig {
  if (raw === undefined) return { tokenEnv: null, port: DEFAULT_SERVE_PORT };
  if (!isObject(raw)) throw new ConfigError(`config ${file}: "serve" must be an object such as { "tokenEnv": "LIBRARY_SERVE_TOKEN" }`);
  // No "bind" key on purpose: exposing the store beyond loopback takes an explicit --bind.
  checkKeys(raw, ['tokenEnv', 'port'], 'serve', file);
  const port = raw.port ?? DEFAULT_SERVE_PORT;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`config ${file}: "serve.port" must be a port number between 0 and 65535`);
  }
  return { tokenEnv: tokenEnvOf(raw.tokenEnv, 'serve.tokenEnv', file), port };
}
