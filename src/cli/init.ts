import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { LOCAL_CONFIG, checkConfigPaths, findConfigFile, parseConfig, resolvePath, userConfigFile } from '../config.js';
import { UsageError } from '../errors.js';
import { AGENT_FOLDERS, foldersForAgents } from '../folders/config.js';
import { Store } from '../store/store.js';
import { writeFileAtomic } from '../util/atomic.js';
import { globalsOf, loggerFor, run } from './context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write the config (the user config, ~/.config/library-sync/config.json or under $XDG_CONFIG_HOME; or --here, or --config FILE) and create the store')
    .requiredOption('--library <dir>', 'the library folder (one sub-folder per skill)')
    .requiredOption('--companies <glob>', 'company folders, e.g. "~/ALAI/*/.claude/skills"; with --agents, company roots: "~/ALAI/*"')
    .option('--agents <list>', `the agents each company uses, comma-separated (${Object.keys(AGENT_FOLDERS).join(', ')}): writes "folders", the skills folders they read`)
    .option('--store <dir>', 'the store (a bare git repository)', '~/system/library-store.git')
    .option('--here', `write ./${LOCAL_CONFIG} instead: used from this folder and the folders below it`)
    .option('--overwrite', 'replace an existing config file')
    .action(
      run(async (opts, cmd: Command) => {
        const explicit = globalsOf(cmd).config ?? process.env.LIBRARY_CONFIG;
        if (explicit && opts.here) throw new UsageError(`--here writes ./${LOCAL_CONFIG}, but ${explicit} is named by ${globalsOf(cmd).config ? '--config' : '$LIBRARY_CONFIG'}: drop one of them`);
        const file = explicit ? path.resolve(explicit) : opts.here ? path.resolve(LOCAL_CONFIG) : userConfigFile();
        if (fs.existsSync(file) && !opts.overwrite) throw new UsageError(`config ${file} already exists: edit it, or pass --overwrite`);
        const cwd = process.cwd();
        const folders = opts.agents === undefined ? undefined : foldersForAgents(String(opts.agents).split(',').map((a) => a.trim()).filter(Boolean));
        const raw = { library: resolvePath(opts.library, cwd), companies: resolvePath(opts.companies, cwd), ...(folders ? { folders } : {}), store: resolvePath(opts.store, cwd) };
        const config = checkConfigPaths(parseConfig(raw, file)); // validates before anything is written
        // Never shadow silently: say which of two configs a command run here would read.
        const before = explicit ? null : findConfigFile();
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await Store.create(config.storeDir);
        writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`);
        if (before && before !== file) {
          const now = findConfigFile();
          const message =
            now === file
              ? `${file} now shadows ${before} in ${path.dirname(file)} and the folders below it: commands run there read the new one`
              : `commands run in ${cwd} still read ${before}, found before ${file}: run them elsewhere, pass --config ${file}, or remove ${before}`;
          loggerFor(cmd).warn({ action: 'init', file, shadowed: now === file ? before : file }, message);
        }
        console.log(`wrote ${file}\ncreated store ${config.storeDir}\nnext: library sync (to see the plan), then library sync --fix`);
        return [];
      }),
    );
}
