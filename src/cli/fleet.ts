/** `library fleet` and `library fleet forget <host>`: the hub's view of every machine reporting to it (src/fleet/hub.ts). */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { forgetHost, readFleet, type FleetCompany, type FleetView } from '../fleet/hub.js';
import { fetchLines, short } from './fleet-format.js';
import { ago } from './format.js';
import { engineOf, loadContext, printJson, run, type CommandContext } from './context.js';
import { sayError } from './terminal.js';

function reportConfig(ctx: CommandContext) {
  if (!ctx.config.report) throw new UsageError(`library fleet needs a hub: add "report": { "url": "…" } to ${ctx.config.file} (the repository every machine reports to)`);
  return ctx.config.report;
}

function companyLine(c: FleetCompany, width: number): string {
  if (c.error) return `  ${c.name.padEnd(width)}  UNREADABLE: ${c.error}`;
  const at = c.atTip === null ? '' : c.atTip ? ' (the tip)' : ' (NOT the tip)';
  const d = c.drift;
  const parts = [
    d.overridesBehind.length ? `overrides behind: ${d.overridesBehind.join(', ')}` : '',
    d.overrides.length ? `overrides: ${d.overrides.join(', ')}` : '',
    d.behind.length ? `behind: ${d.behind.join(', ')}` : '',
    d.new.length ? `new: ${d.new.join(', ')}` : '',
  ].filter(Boolean);
  return `  ${c.name.padEnd(width)}  last sync ${ago(c.lastSync)}  library ${short(c.libraryCommit)}${at}${parts.length ? `  ${parts.join('; ')}` : ''}`;
}

function formatFleet(v: FleetView): string {
  const lines = [...(v.library.fetch ? fetchLines(v.library.fetch) : []), `hub ${v.url}: ${v.hosts.length} host${v.hosts.length === 1 ? '' : 's'}; library ${v.library.source} at ${short(v.library.tip)}`];
  if (v.error) lines.push(`  hosts as last fetched: ${v.error}`);
  for (const h of v.hosts) {
    lines.push(`${h.host}: ${h.companies.length} compan${h.companies.length === 1 ? 'y' : 'ies'}${h.drift ? ', drift' : ''}`);
    const width = Math.max(...h.companies.map((c) => c.name.length));
    for (const c of h.companies) lines.push(companyLine(c, width));
  }
  return lines.join('\n');
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('every machine reporting to the hub ("report" URL): per host and company, the last sync, the library distributed there, overrides and pending updates, drift first')
    .option('--json', 'print JSON')
    .action(
      run(async (opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const report = reportConfig(ctx);
        const store = await engineOf(ctx).writable();
        const view = await readFleet(store, { report, libraryUrl: ctx.config.libraryUrl, net: ctx.config.network, log: ctx.log });
        if (opts.json) printJson(view);
        else console.log(formatFleet(view));
        for (const error of [view.library.fetch?.error, view.error]) if (error) sayError('library', error, ctx.globals.logFile);
        return [view.library.fetch?.failure, view.error ? 'unreachable' : null];
      }),
    );

  fleet
    .command('forget <host>')
    .description('delete a host that is gone for good from the hub (every refs/hosts/<host>/ ref there)')
    .option('--json', 'print JSON')
    .action(
      run(async (host: string, opts, cmd: Command) => {
        const ctx = loadContext(cmd);
        const report = reportConfig(ctx);
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host)) throw new UsageError(`fleet forget: ${JSON.stringify(host)} is not a host name (letters, digits, '.', '_', '-')`);
        const store = await engineOf(ctx).writable();
        const deleted = await forgetHost(store, { report, host, net: ctx.config.network, log: ctx.log });
        if (opts.json || cmd.optsWithGlobals().json) printJson({ host, url: report.url, deleted }); // `--json` after the host is fleet's too
        else console.log(`forgot host ${host}: deleted ${deleted.length} ref${deleted.length === 1 ? '' : 's'} from ${report.url}${deleted.length ? ` (${deleted.join(', ')})` : ''}`);
        return [];
      }),
    );
}
