import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parseConfig, resolvePath } from '../config.js';
import { UsageError } from '../errors.js';
import { Store } from '../store/store.js';
import { writeFileAtomic } from '../util/atomic.js';
import { globalsOf, run } from './context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a config file and create the store')
    .requiredOption('--library <dir>', 'the library folder (one sub-folder per skill)')
    .requiredOption('--companies <glob>', 'company folders, e.g. "~/ALAI/*/.claude/skills"')
    .option('--store <dir>', 'the store (a bare git repository)', '~/system/library-store.git')
    .option('--overwrite', 'replace an existing config file')
    .action(
      run(async (opts, cmd: Command) => {
      const file = path.resolve(globalsOf(cmd).config ?? 'library.config.json');
      if (fs.existsSync(file) && !opts.overwrite) throw new UsageError(`config ${file} already exists: edit it, or pass --overwrite`);
      const cwd = process.cwd();
      const raw = { library: resolvePath(opts.library, cwd), companies: resolvePath(opts.companies, cwd), store: resolvePath(opts.store, cwd) };
      const config = parseConfig(raw, file); // validates before anything is written
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await Store.create(config.storeDir);
      writeFileAtomic(file, `${JSON.stringify(raw, null, 2)}\n`);
      console.log(`wrote ${file}\ncreated store ${config.storeDir}\nnext: library sync (to see the plan), then library sync --fix`);
      return 0;
      }),
    );
}
