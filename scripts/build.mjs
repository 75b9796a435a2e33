#!/usr/bin/env node
/**
 * npm run build: the typed ESM package (tsc → dist/, what `import 'library-sync'`
 * loads, with its declarations), then each command-line bin bundled by esbuild
 * into one file over tsc's output (dist/cli/library.js, dist/cli/discover.js),
 * so that starting a command resolves and compiles one module, not a hundred.
 * isomorphic-git and plist stay outside: only an HTTP forge-sync, and
 * launchd's commands and doctor, load them, from node_modules, when they run.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
await build({
  entryPoints: { library: path.join(ROOT, 'src/cli/library.ts'), discover: path.join(ROOT, 'src/cli/discover.ts') },
  outdir: path.join(ROOT, 'dist/cli'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: ['isomorphic-git', 'playwright-core', 'plist'],
  // The CommonJS packages bundled (pino, commander…) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __libraryRequire } from 'node:module'; const require = __libraryRequire(import.meta.url);" },
  logLevel: 'warning',
});
