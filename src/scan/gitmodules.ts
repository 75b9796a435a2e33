/**
 * What `git fsck` refuses in a `.gitmodules` blob (fsck.c, fsck_gitmodules_fn),
 * and so what hosting services and receivers with transfer.fsckObjects refuse
 * on push: a submodule name with a `..` component, a URL that looks like an
 * option or that git's URL checks reject (CVE-2018-17456, CVE-2020-5260,
 * CVE-2020-11008), a path that looks like an option, an `update = !command`.
 * A skill holding such a file is blocked (src/scan/scan.ts): recorded, it
 * would make every later push of the store fail.
 *
 * The blob is parsed as git's config parser does (config.c: comments, quotes,
 * escapes, continuation lines, CRLF), byte for byte
 * (a latin1 string is the bytes), and entries before a parse error still
 * count, as in git. test/property/gitmodules.test.ts judges it against native
 * git fsck.
 */
import { isGitmodulesName } from '../names.js';

/**
 * Why git's fsck refuses an entry it reads as `.gitmodules` (src/names.ts,
 * isGitmodulesName): 'a folder' or 'a symlink' always, a file by its content
 * (`content` is read only then); null for any other name or a file git accepts.
 */
export function gitmodulesEntryRefusal(name: string, kind: 'file' | 'folder' | 'symlink' | 'other', content: () => Buffer | null | undefined): string | null {
  if (kind === 'other' || !isGitmodulesName(name)) return null;
  if (kind !== 'file') return `a ${kind}`;
  const bytes = content();
  return bytes ? gitmodulesRefusal(bytes) : null;
}

/** Why git refuses this `.gitmodules` content, or null when it does not. */
export function gitmodulesRefusal(content: Buffer): string | null {
  const text = content.toString('latin1');
  if (text.includes('\0')) return 'it holds a NUL byte'; // never a config file: refused here rather than guessed at
  for (const { name, key, value } of submoduleEntries(text)) {
    const shown = (s: string) => JSON.stringify(Buffer.from(s, 'latin1').toString('utf8'));
    if (!isAllowedName(name)) return `disallowed submodule name: ${shown(name)}`;
    if (value === null) continue;
    if (key === 'url' && !isAllowedUrl(value)) return `disallowed submodule url: ${shown(value)}`;
    if (key === 'path' && value.startsWith('-')) return `disallowed submodule path: ${shown(value)}`;
    if (key === 'update' && value.startsWith('!')) return `disallowed submodule update setting: ${shown(value)}`;
  }
  return null;
}

interface Entry {
  name: string;
  key: string;
  value: string | null;
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r'; // git's sane ctype
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isKeyChar = (c: string) => isAlpha(c) || (c >= '0' && c <= '9') || c === '-';

/** The `submodule.<name>.<key>` entries of a config text, up to its first syntax error (git_parse_source). */
function submoduleEntries(text: string): Entry[] {
  const out: Entry[] = [];
  // No byte order mark is skipped: read from a blob, git's parser sees its first byte as a signed char that matches
  // nothing, so the blob does not parse and fsck checks none of it.
  let at = 0;
  let eof = false;
  // get_next_char: CRLF reads as LF, and the end of the text as one last LF.
  const next = (): string => {
    if (at >= text.length) {
      eof = true;
      at++;
      return '\n';
    }
    const c = text[at++]!;
    if (c === '\r' && text[at] === '\n') {
      at++;
      return '\n';
    }
    return c;
  };
  let section = ''; // "submodule.<name>" or another section, as git builds its variable names
  let comment = false;
  for (;;) {
    const c = next();
    if (c === '\n') {
      if (eof) return out;
      comment = false;
      continue;
    }
    if (comment || isSpace(c)) continue;
    if (c === '#' || c === ';') {
      comment = true;
      continue;
    }
    if (c === '[') {
      const header = sectionHeader(next, () => eof);
      if (header === null || header.length === 0) return out;
      section = header;
      continue;
    }
    if (!isAlpha(c)) return out;
    let key = c.toLowerCase();
    let d: string;
    for (;;) {
      d = next();
      if (eof || !isKeyChar(d)) break;
      key += d.toLowerCase();
    }
    while (d === ' ' || d === '\t') d = next();
    let value: string | null = null;
    if (d !== '\n') {
      if (d !== '=') return out;
      value = parseValue(next);
      if (value === null) return out;
    }
    const sub = submoduleName(`${section}.${key}`);
    if (sub !== null) out.push({ name: sub, key, value });
  }
}

/** get_base_var and get_extended_base_var: `[section]`, `[section.sub]` (lower-cased) or `[section "sub"]`; null for a syntax error. */
function sectionHeader(next: () => string, atEnd: () => boolean): string | null {
  let name = '';
  for (;;) {
    let c = next();
    if (atEnd()) return null;
    if (c === ']') return name;
    if (isSpace(c)) {
      do {
        if (c === '\n') return null;
        c = next();
      } while (isSpace(c));
      if (c !== '"') return null;
      name += '.';
      for (;;) {
        let s = next();
        if (s === '\n') return null;
        if (s === '"') break;
        if (s === '\\') {
          s = next();
          if (s === '\n') return null;
        }
        name += s;
      }
      return next() === ']' ? name : null;
    }
    if (!isKeyChar(c) && c !== '.') return null;
    name += c.toLowerCase();
  }
}

/** parse_value: the value after '=', to the end of its line; null for an unknown escape or an unclosed quote. */
function parseValue(next: () => string): string | null {
  let value = '';
  let quote = false;
  let comment = false;
  let spaces = 0;
  for (;;) {
    let c = next();
    if (c === '\n') return quote ? null : value;
    if (comment) continue;
    if (isSpace(c) && !quote) {
      if (value.length > 0) spaces++;
      continue;
    }
    if (!quote && (c === ';' || c === '#')) {
      comment = true;
      continue;
    }
    value += ' '.repeat(spaces);
    spaces = 0;
    if (c === '\\') {
      c = next();
      if (c === '\n') continue;
      if (c === 't') c = '\t';
      else if (c === 'b') c = '\b';
      else if (c === 'n') c = '\n';
      else if (c !== '\\' && c !== '"') return null;
      value += c;
      continue;
    }
    if (c === '"') {
      quote = !quote;
      continue;
    }
    value += c;
  }
}

/** parse_config_key(var, "submodule", …): the subsection of a `submodule.<name>.<key>` variable, else null. */
function submoduleName(variable: string): string | null {
  if (!variable.startsWith('submodule.')) return null;
  const rest = variable.slice('submodule'.length);
  const dot = rest.lastIndexOf('.');
  return dot === 0 ? null : rest.slice(1, dot);
}

const isSep = (c: string | undefined) => c === '/' || c === '\\';

/** check_submodule_name: not empty, and no `..` component (either slash separates). */
function isAllowedName(name: string): boolean {
  if (name === '') return false;
  for (let i = -1; i < name.length; i++) {
    if (i >= 0 && !isSep(name[i])) continue;
    if (name[i + 1] === '.' && name[i + 2] === '.' && (i + 3 >= name.length || isSep(name[i + 3]))) return false;
  }
  return true;
}

/** check_submodule_url. */
function isAllowedUrl(url: string): boolean {
  if (url.startsWith('-')) return false;
  if (url.startsWith('./') || url.startsWith('../') || url.startsWith('git://')) {
    // Appended to an http URL and decoded, a newline would forge credential-helper input.
    if (hasNewline(urlDecode(url))) return false;
    // "../" past the root can rewrite the host: https::example.com/x, https:///example.com/x (CVE-2020-11008).
    let rest = url;
    let dotdots = 0;
    for (;;) {
      if (rest.startsWith('..') && isSep(rest[2])) {
        dotdots++;
        rest = rest.slice(3);
      } else if (rest[0] === '.' && isSep(rest[1])) rest = rest.slice(2);
      else break;
    }
    return !(dotdots > 0 && (rest[0] === ':' || rest[0] === '/'));
  }
  const curl = curlUrl(url);
  return curl === null || credentialUrlHasHost(curl);
}

/** url_to_curl_url: a URL git would hand to git-remote-curl, else null. */
function curlUrl(url: string): string | null {
  for (const p of ['http::', 'https::', 'ftp::', 'ftps::']) if (url.startsWith(p)) return url.slice(p.length);
  return /^(https?|ftps?):\/\//.test(url) ? url : null;
}

/** credential_from_url_gently(…) succeeds and gives a host: a scheme, a host, and no newline in any part. */
function credentialUrlHasHost(url: string): boolean {
  const protoEnd = url.indexOf('://');
  if (protoEnd <= 0) return false;
  const cp = protoEnd + 3;
  const at = url.indexOf('@', cp);
  const colon = url.indexOf(':', cp);
  let slash = cp;
  while (slash < url.length && !'/?#'.includes(url[slash]!)) slash++;
  const parts: string[] = [url.slice(0, protoEnd)];
  let host: number;
  if (at < 0 || slash <= at) host = cp;
  else if (colon < 0 || at <= colon) {
    parts.push(urlDecode(url.slice(cp, at)));
    host = at + 1;
  } else {
    parts.push(urlDecode(url.slice(cp, colon)), urlDecode(url.slice(colon + 1, at)));
    host = at + 1;
  }
  const hostName = urlDecode(url.slice(host, slash));
  parts.push(hostName);
  let path = slash;
  while (url[path] === '/') path++;
  if (path < url.length) parts.push(urlDecode(url.slice(path)));
  return !parts.some(hasNewline) && hostName !== '';
}

/** url_decode: %XX decoded, except in the part before a first ':' (a scheme); a bad escape, and %00, stay as written. */
function urlDecode(s: string): string {
  const colon = s.indexOf(':');
  const head = colon > 0 ? s.slice(0, colon) : '';
  const body = colon > 0 ? s.slice(colon) : s;
  return head + body.replace(/%([0-9a-fA-F]{2})/g, (escape, hex: string) => (hex === '00' ? escape : String.fromCharCode(parseInt(hex, 16))));
}

const hasNewline = (s: string) => s.includes('\n');
