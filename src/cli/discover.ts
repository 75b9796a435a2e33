#!/usr/bin/env node
/**
 * The `discover` command: find a skill by what it does, in the library and in
 * every company, overrides and company-only skills included.
 *   discover --rebuild-index        (re)write the index from the store
 *   discover <query> [--company X]  ranked search over the index
 */
import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../errors.js';
import { rebuildIndex } from '../discover/build.js';
import { currentIndex, formatIndexOutcome, rebuildOptions } from '../discover/refresh.js';
import { searchIndex, type SearchHit } from '../discover/search.js';
import { CONFIG_HELP, loadContext, engineOf, parseSeconds, printJson, run, packageVersion } from './context.js';
import { runProgram } from './main.js';

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of results (1 or more), got "${value}"`);
  return n;
}

/** "library, Lexicon, CodeCraft (override)": where a version lives, drift marked. */
export function whereLine(hit: SearchHit): string {
  const parts = hit.library.map((f) => (f === hit.name ? 'library' : `library/${f}`));
  for (const c of hit.companies) {
    const at = c.folder === hit.name ? c.company : `${c.company}/${c.folder}`;
    parts.push(c.state === 'in-sync' ? at : `${at} (${c.state})`);
  }
  return parts.join(', ') || '(nowhere)';
}

/** Where output is cut: the terminal's width, else $COLUMNS, else 100. */
function outputWidth(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 100;
}

const cut = (text: string, width: number) => {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length <= width ? chars.join('') : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
};

/**
 * One line per hit: name, where it lives, the description cut to the width. Versions of one skill are grouped
 * under its best hit, the name not repeated. `--json` has every field, untruncated.
 */
export function formatHits(query: string, hits: SearchHit[], width = outputWidth()): string {
  if (hits.length === 0) return `no skill matches "${query}"`;
  const groups = new Map<string, SearchHit[]>();
  for (const h of hits) groups.set(h.name, [...(groups.get(h.name) ?? []), h]);
  const nameWidth = Math.min(24, Math.max(...hits.map((h) => h.name.length)));
  const lines: string[] = [];
  for (const [name, versions] of groups) {
    versions.forEach((h, i) => {
      const about = h.problems.length ? `(${h.problems[0]}) ${h.description}` : h.description;
      const head = `${(i === 0 ? name : '').padEnd(nameWidth)}  ${whereLine(h)}`;
      const room = width - [...head].length - 3;
      lines.push(room >= 10 && about ? `${head} — ${cut(about, room)}` : cut(head, width));
    });
  }
  return lines.join('\n');
}

export function buildProgram(): Command {
  return new Command('discover')
    .description('search every skill version, in the library and in every company (overrides and company-only skills included)')
    .version(packageVersion(), '--version', 'print the version')
    .argument('[query...]', 'words to search for in skill names, descriptions, headings and bodies')
    .option('--rebuild-index', 'rewrite the search index from the store (only new skill versions are read)')
    .option('--company <name>', 'only skills this company has')
    .option('--limit <n>', 'at most this many results', parseLimit, 10)
    .option('--wait <seconds>', '--rebuild-index: wait this long for a running sync to finish', parseSeconds, 0)
    .option('--json', 'print JSON')
    .option('--config <file>', CONFIG_HELP)
    .option('--verbose', 'debug detail in logs and errors')
    .option('--log-file <file>', 'write the JSON logs here (a terminal still gets warnings and errors, as short lines)')
    .action(
      run(async (words: string[], opts, cmd: Command) => {
        const query = words.join(' ').trim();
        if (opts.rebuildIndex ? query || opts.company : !query) {
          throw new UsageError('give a query (`discover <words> [--company NAME]`) or `--rebuild-index`: one of the two');
        }
        const ctx = loadContext(cmd);
        if (opts.rebuildIndex) {
          const engine = engineOf(ctx, opts.wait);
          if (!engine.readable()) throw new UsageError(`store ${ctx.config.storeDir} does not exist yet: run \`library sync --fix\` first`);
          // The lock gives a consistent view of the refs, and one index writer at a time.
          const result = await engine.locked('discover --rebuild-index', (store) => rebuildIndex(store, rebuildOptions({ index: engine.policies.index, log: ctx.log })));
          if (opts.json) printJson(result);
          else console.log(formatIndexOutcome({ ...result, error: null }));
          return result.skipped.length ? ['incomplete'] : [];
        }
        // Never from a stale index: checked against the store's refs, and updated if one moved.
        const engine = engineOf(ctx);
        const index = await currentIndex({ index: engine.policies.index, log: ctx.log }, engine.readable());
        const hits = searchIndex(index, query, { company: opts.company, limit: opts.limit });
        if (opts.json) printJson({ query, company: opts.company ?? null, index: ctx.config.indexFile, hits });
        else console.log(formatHits(query, hits));
        return [];
      }),
    );
}

runProgram(buildProgram(), process.argv).then((code) => {
  process.exitCode = code;
});
