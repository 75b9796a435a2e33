/**
 * The front matter of a SKILL.md: the YAML between a first line `---` and the
 * next line `---` (or `...`). Pure. Positions are 1-based lines and columns in
 * the file, counting the opening `---` line.
 */
import type { Document } from 'yaml';
import { lazyRequire } from '../util/lazy-require.js';

/** Loaded when a SKILL.md is first parsed: a run whose validation is all cached never needs it. */
const yaml = lazyRequire<typeof import('yaml')>('yaml');

export interface Position {
  line: number;
  column?: number;
}

export interface ParsedFrontMatter {
  data: Record<string, unknown>;
  /** Closed with `...` rather than `---`. */
  closedWithDots: boolean;
  /** The line of the closing fence. */
  closingLine: number;
  /** Where a top-level key is written. */
  keyAt(key: string): Position | undefined;
  /** The value of `metadata.<key>` as written (to quote it in a fix), if it is a scalar. */
  metadataSource(key: string): string | undefined;
}

export interface FrontMatterError extends Partial<Position> {
  code: 'front-matter-missing' | 'front-matter-unclosed' | 'front-matter-encoding' | 'yaml-invalid' | 'front-matter-not-mapping';
  error: string;
}

const isFence = (l: string) => l.trimEnd() === '---';

/** Byte offset where line `index` (0-based) starts. */
function lineStart(bytes: Buffer, index: number): number {
  let offset = 0;
  for (let i = 0; i < index; i++) offset = bytes.indexOf(0x0a, offset) + 1;
  return offset;
}

/** The first line (1-based) of `bytes` that is not valid UTF-8, or 0. */
function firstBadLine(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    try {
      decoder.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    start = end;
  }
  return 0;
}

/** The "quote the value" advice, made concrete when the line is `key: value` with a ": " in the value. */
function yamlAdvice(line: string | undefined, code: string): string {
  if (code === 'DUPLICATE_KEY') return 'a key may appear once: remove or rename one of them';
  const m = /^(\s*[\w-]+):\s+(.*\S)\s*$/.exec(line ?? '');
  if (m && /: |\s#/.test(m[2]) && !/^["']/.test(m[2])) return `quote the value: ${m[1]}: ${JSON.stringify(m[2])}`;
  return 'check the indentation and quoting there; a value holding ": " or " #", or starting with one of [ ] { } > | * & ! % @ `, needs quotes';
}

export function parseFrontMatter(input: Buffer | string): ParsedFrontMatter | FrontMatterError {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  if (!isFence(lines[0]) && /^---[ \t]*\r[^\n]/.test(text.replace(/^\uFEFF/, ''))) {
    // Classic Mac OS line endings: every line runs into the first, so the fence is there but never seen.
    return { code: 'front-matter-missing', error: 'ends its lines with CR alone (old Mac line endings), so no line "---" can be found: convert the line endings to LF (for example `perl -pi -e \'s/\\r\\n?/\\n/g\' SKILL.md`)', line: 1 };
  }
  if (!isFence(lines[0])) {
    return { code: 'front-matter-missing', error: 'has no front matter: start it with a line "---", then "name:" and "description:", then "---"' };
  }
  const end = lines.findIndex((l, i) => i > 0 && (isFence(l) || l.trimEnd() === '...'));
  if (end < 0) return { code: 'front-matter-unclosed', error: 'front matter is not closed: add a line "---" after it' };
  if (typeof input !== 'string') {
    // Decoded lossily, a bad byte would reach every company as U+FFFD.
    const bad = firstBadLine(input.subarray(0, lineStart(input, end)));
    if (bad) return { code: 'front-matter-encoding', line: bad, error: `front matter is not valid UTF-8 (line ${bad}): save SKILL.md as UTF-8` };
  }
  const yamlText = lines.slice(1, end).join('\n');
  const { isMap, isScalar, LineCounter, parseDocument } = yaml();
  const counter = new LineCounter();
  const doc = parseDocument(yamlText, { prettyErrors: false, lineCounter: counter });
  const at = (offset: number): Position => {
    const p = counter.linePos(offset);
    return { line: p.line + 1, column: p.col };
  };
  const invalid = (message: string, pos?: Position, code = ''): FrontMatterError => {
    const where = pos ? ` at line ${pos.line}, column ${pos.column}` : '';
    const advice = pos ? `: ${yamlAdvice(lines[pos.line - 1], code)}` : '';
    return { code: 'yaml-invalid', ...pos, error: `front matter is not valid YAML${where}: ${message.split('\n')[0]}${advice}` };
  };
  if (doc.errors.length > 0) return invalid(doc.errors[0].message, at(doc.errors[0].pos[0]), doc.errors[0].code);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    return invalid((err as Error).message); // e.g. too many aliases (a "billion laughs")
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { code: 'front-matter-not-mapping', line: 2, error: 'front matter is not a YAML mapping: write "name: …" and "description: …" lines between the two "---" lines' };
  }
  return {
    data: data as Record<string, unknown>,
    closedWithDots: !isFence(lines[end]),
    closingLine: end + 1,
    keyAt: (key) => {
      const range = pairOf(doc, key)?.key?.range;
      return range ? at(range[0]) : undefined;
    },
    metadataSource: (key) => {
      const meta = pairOf(doc, 'metadata')?.value;
      const value = isMap(meta) ? meta.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.value : undefined;
      return isScalar(value) && value.range ? yamlText.slice(value.range[0], value.range[1]) : undefined;
    },
  };
}

function pairOf(doc: Document, key: string) {
  const { isMap, isScalar } = yaml();
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair as { key?: { range?: [number, number, number] | null }; value?: unknown } | undefined;
}
