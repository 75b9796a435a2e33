/**
 * SKILL.md → what the index knows about a skill: front matter, headings, the
 * first paragraph, the body. Pure: no fs, no store. A broken SKILL.md still
 * gives a document (named after its folder) with `problems`, never an error,
 * so a broken skill stays findable.
 */
import { lazyRequire } from '../util/lazy-require.js';

const yamlModule = lazyRequire<typeof import('yaml')>('yaml');

export interface SkillDoc {
  /** Front-matter `name`, or the folder name when it is missing or unusable. */
  name: string;
  description: string;
  /** Every front-matter field, as parsed. */
  frontMatter: Record<string, unknown>;
  /** The first Markdown heading of the body, and its first paragraph. */
  heading: string | null;
  summary: string | null;
  headings: string[];
  body: string;
  problems: string[];
}

/** Bodies are indexed up to this many characters, so one huge SKILL.md cannot bloat the index. */
export const MAX_BODY_CHARS = 100_000;

const FENCE = /^\s*(```|~~~)/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/;

/** Split `--- yaml --- body`; `yaml` is null when there is no front matter block. */
function splitFrontMatter(text: string): { yaml: string | null; body: string; problem?: string } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return { yaml: null, body: lines.join('\n'), problem: 'SKILL.md does not start with YAML front matter (a "---" line)' };
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (end < 0) return { yaml: null, body: lines.slice(1).join('\n'), problem: 'SKILL.md front matter is not closed by a "---" line' };
  return { yaml: lines.slice(1, end).join('\n'), body: lines.slice(end + 1).join('\n') };
}

function parseFrontMatter(yaml: string, problems: string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = yamlModule().parse(yaml);
  } catch (err) {
    problems.push(`SKILL.md front matter is not valid YAML: ${(err as Error).message.split('\n')[0].replace(/:\s*$/, '')}`);
    return {};
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('SKILL.md front matter is not a mapping of fields (name: …, description: …)');
    return {};
  }
  return value as Record<string, unknown>;
}

/** Headings and the first paragraph, skipping fenced code. */
function outline(body: string): { headings: string[]; summary: string | null } {
  const headings: string[] = [];
  let summary: string | null = null;
  let paragraph: string[] = [];
  let inFence = false;
  const endParagraph = () => {
    if (summary === null && paragraph.length > 0) summary = paragraph.join(' ').replace(/\s+/g, ' ').trim();
    paragraph = [];
  };
  for (const line of body.split('\n')) {
    if (FENCE.test(line)) {
      inFence = !inFence;
      endParagraph();
      continue;
    }
    if (inFence) continue;
    const h = HEADING.exec(line);
    if (h) {
      endParagraph();
      if (h[1]) headings.push(h[1]);
    } else if (line.trim() === '') endParagraph();
    else paragraph.push(line.trim());
  }
  endParagraph();
  return { headings, summary };
}

/** `text` is null when the skill has no readable SKILL.md; `problems` then says why. */
export function parseSkillMd(text: string | null, folder: string, problems: string[] = []): SkillDoc {
  const split = text === null ? { yaml: null, body: '' } : splitFrontMatter(text);
  if ('problem' in split && split.problem) problems.push(split.problem);
  const before = problems.length;
  const frontMatter = split.yaml === null ? {} : parseFrontMatter(split.yaml, problems);
  const yamlOk = split.yaml !== null && problems.length === before;
  const field = (key: string): string | null => {
    const v = frontMatter[key];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
  };
  const name = field('name');
  const description = field('description');
  // A front matter that failed to parse already has its problem; don't pile on.
  if (yamlOk) {
    if (!name) problems.push('SKILL.md front matter has no "name"');
    if (!description) problems.push('SKILL.md front matter has no "description"');
  }
  // Words of a front matter that does not parse stay searchable: index the whole file as the body.
  const bodyText = split.yaml !== null && !yamlOk ? text! : split.body;
  const { headings, summary } = outline(split.body);
  const body = bodyText.trim();
  return {
    name: name ?? folder,
    description: description ?? '',
    frontMatter,
    heading: headings[0] ?? null,
    summary,
    headings,
    body: body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body,
    problems,
  };
}
