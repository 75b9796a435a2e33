/**
 * Ranked full-text search over the index with MiniSearch: fuzzy and prefix
 * matching, name and description boosted. The engine is built from the index
 * on each query; that takes milliseconds for thousands of skills and keeps the
 * file format ours rather than MiniSearch's.
 */
import MiniSearch from 'minisearch';
import { UsageError } from '../errors.js';
import type { CompanyLocation, SkillIndex } from './index-file.js';

export interface SearchHit {
  tree: string;
  name: string;
  description: string;
  score: number;
  library: string[];
  companies: CompanyLocation[];
  problems: string[];
}

export interface SearchOptions {
  company?: string;
  limit: number;
}

export function searchIndex(index: SkillIndex, query: string, opts: SearchOptions): SearchHit[] {
  if (opts.company !== undefined && !(opts.company in index.sources.companies)) {
    const known = Object.keys(index.sources.companies);
    throw new UsageError(`unknown company "${opts.company}" in the search index: known companies are ${known.join(', ') || '(none)'}`);
  }
  const engine = new MiniSearch({
    fields: ['name', 'description', 'headings', 'body'],
    searchOptions: { boost: { name: 3, description: 2 }, fuzzy: 0.2, prefix: true },
  });
  const has = (companies: CompanyLocation[]) => opts.company === undefined || companies.some((c) => c.company === opts.company);
  engine.addAll(
    Object.entries(index.skills)
      .filter(([, e]) => has(e.companies))
      .map(([tree, e]) => ({
        id: tree,
        // Folder names count as names: a skill with broken front matter is found by its folder.
        name: [...new Set([e.name, ...e.library, ...e.companies.map((c) => c.folder)])].join(' '),
        description: e.description,
        headings: e.headings.join('\n'),
        body: e.body,
      })),
  );
  return engine.search(query).slice(0, opts.limit).map((r) => {
    const tree = String(r.id);
    const e = index.skills[tree];
    return {
      tree,
      name: e.name,
      description: e.description,
      score: Math.round(r.score * 1000) / 1000,
      library: e.library,
      companies: opts.company === undefined ? e.companies : e.companies.filter((c) => c.company === opts.company),
      problems: e.problems,
    };
  });
}
