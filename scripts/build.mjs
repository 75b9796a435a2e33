#!/usr/bin/env node
/**
 * npm run build: the typed ESM package (tsc → dist/, what `import 'library-sync'`
 * loads, with its declarations), then each command-line bin bundled by esbuild
 * into one CommonJS file (dist/cli/library.cjs, dist/cli/discover.cjs) with a
 * V8 code cache beside it, started by a stub at the bin's path
 * (dist/cli/library.js), so that starting a command resolves one module and
 * parses none of it that the cache holds.
 * isomorphic-git stays outside: only an HTTP forge-sync loads it, from
 * node_modules, when it runs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist/cli');
const BINS = ['library', 'discover'];
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
await build({
  entryPoints: Object.fromEntries(BINS.map((bin) => [bin, path.join(ROOT, `src/cli/${bin}.ts`)])),
  outdir: OUT,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  // CommonJS, so that scripts/bundle-loader.cjs can start it from V8's code cache (Node 20 has none for ES modules).
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  // No comments or layout: a smaller bundle to read and hash at every start, all ASCII (a one-byte string in V8).
  minifyWhitespace: true,
  minifySyntax: true,
  // Short local names: a quarter less to read and compile at every start (11 ms of `status`). keepNames keeps the
  // names errors and stack traces print. A CPU profile reads better with LIBRARY_SYNC_READABLE_BUILD=1 npm run build.
  minifyIdentifiers: !process.env.LIBRARY_SYNC_READABLE_BUILD,
  keepNames: true,
  charset: 'ascii',
  // Left in node_modules, loaded by require() when an HTTP forge-sync first needs it. plist is bundled (behind
  // its import(), run only by the launchd commands): it is an ES module only, which Node 20 cannot require().
  external: ['isomorphic-git', 'playwright-core'],
  define: { 'import.meta.url': 'importMetaUrl' },
  plugins: [bundleLazily(['yaml', 'proper-lockfile'])],
  inject: [path.join(ROOT, 'scripts/import-meta-url.mjs')],
  logLevel: 'warning',
});
/**
 * `lazyRequire('<pkg>')` (src/util/lazy-require.ts) reads a package from node_modules on first use. For the
 * packages named here that cost more than it saves: yaml is needed by every run in which a library skill changed
 * (its front matter is validated), and resolving and compiling its 80 files took 30-50 ms of such a run;
 * proper-lockfile is needed by every command that writes (with graceful-fs and signal-exit), and by none that only
 * reads (`status`: 6 ms less without it). In the bundle each such call becomes a `require` that esbuild bundles,
 * still run only on first use.
 */
function bundleLazily(packages) {
  const call = new RegExp(`lazyRequire<[^>]*>\\('(${packages.join('|')})'\\)`, 'g');
  return {
    name: 'bundle-lazily',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
        const source = fs.readFileSync(args.path, 'utf8');
        const contents = source.replace(call, (_, pkg) => `(() => require('${pkg}'))`);
        return contents === source ? undefined : { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The loader compiles a bundle as a function body, where a `#!` line is a
 * syntax error: it is blanked (so lines still map). And each of the bundle's
 * 130 `import … from 'node:…'` became `__toESM(require("node:…"))`, an object
 * copying every export of the built-in, built again for every importing file
 * (10 ms at start-up): built-ins never change, so each gets one, shared.
 */
function sharedBuiltinInterop(code, file) {
  // A script compiled by vm has no loader for import(): a package the bundle leaves outside is required (lazyRequire).
  const dynamic = /\bimport\(\s*["'`]/.exec(code);
  if (dynamic) throw new Error(`${file}: an import() of a package left outside the bundle (${code.slice(dynamic.index, dynamic.index + 60)}…): load it with lazyRequire (src/util/lazy-require.ts)`);
  // esbuild wraps every built-in as `<__toESM>(require("node:…"))`; with minified names the helper's name varies.
  const wrappers = new Set([...code.matchAll(/([\w$]+)\(require\("node:/g)].map((m) => m[1]));
  if (wrappers.size !== 1) throw new Error(`${file}: expected one __toESM helper around require("node:…"), found ${[...wrappers].join(', ') || 'none'}; update sharedBuiltinInterop in scripts/build.mjs`);
  const [toESM] = wrappers;
  // A function declaration is hoisted, so the helper may go first whatever order esbuild gave its own.
  const shared = `var __builtinInterop=new Map();function __toESMBuiltin(mod){return __builtinInterop.get(mod)??__builtinInterop.set(mod,${toESM}(mod)).get(mod)}`;
  const strict = /^\s*"use strict";/.exec(code);
  const at = strict ? strict[0].length : 0;
  return code.slice(0, at) + shared + code.slice(at).replaceAll(`${toESM}(require("node:`, '__toESMBuiltin(require("node:');
}

// dist/cli holds only the bins: tsc's modules of src/cli are all in the bundles (tsc still type-checks them), and
// the folder is CommonJS, so that a bin's stub (dist/cli/library.js, the path package.json, launchd and the hooks
// name) is loaded without Node's ES module loader (6 ms of every start).
for (const name of fs.readdirSync(OUT)) if (/^[^.]+\.(js|d\.ts|js\.map)$/.test(name)) fs.rmSync(path.join(OUT, name));
fs.writeFileSync(path.join(OUT, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
fs.copyFileSync(path.join(ROOT, 'scripts/bundle-loader.cjs'), path.join(OUT, 'bundle-loader.cjs'));
const loader = createRequire(import.meta.url)(path.join(OUT, 'bundle-loader.cjs'));
for (const bin of BINS) {
  // The bin itself (the path package.json, launchd and the hooks name) is a stub over the loader.
  const stub = path.join(OUT, `${bin}.js`);
  fs.writeFileSync(stub, `#!/usr/bin/env node\n// Bundled by scripts/build.mjs: ${bin}.cjs, started from its V8 code cache (bundle-loader.cjs).\nrequire('./bundle-loader.cjs').start(${JSON.stringify(bin)});\n`, { mode: 0o755 });
  fs.rmSync(`${stub}.map`, { force: true });
  const bundle = path.join(OUT, `${bin}.cjs`);
  for (const cache of fs.readdirSync(OUT).filter((f) => f.startsWith(`${bin}.cjs.`) && f.endsWith('.v8-cache'))) fs.rmSync(path.join(OUT, cache));
  fs.writeFileSync(bundle, sharedBuiltinInterop(fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, ''), bundle));
}
warmCodeCaches();

/**
 * Each bundle's code cache is made after it ran a small command, so it holds
 * what start-up compiles: `library status` over a scratch workspace synced
 * once (one library skill, one company), `discover --version`; and `sync`'s own
 * (bundle-loader.cjs, VERB_CACHES) after a sync that distributes a changed skill.
 */
function warmCodeCaches() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'library-sync-build-'));
  try {
    const skill = path.join(scratch, 'library', 'hello');
    fs.mkdirSync(skill, { recursive: true });
    fs.writeFileSync(path.join(skill, 'SKILL.md'), '---\nname: hello\ndescription: Says hello. Use when greeting.\n---\n\nSay hello.\n');
    fs.mkdirSync(path.join(scratch, 'companies', 'acme', '.claude', 'skills'), { recursive: true });
    const config = path.join(scratch, 'library.config.json');
    fs.writeFileSync(config, JSON.stringify({ library: 'library', companies: 'companies/*/.claude/skills', store: 'store.git' }));
    execFileSync(process.execPath, [path.join(OUT, 'library.js'), '--config', config, 'sync', '--fix', '--no-index'], { stdio: 'ignore' });
    loader.writeCodeCache(path.join(OUT, 'library.cjs'), ['--config', config, 'status']);
    fs.appendFileSync(path.join(skill, 'SKILL.md'), 'Say it twice.\n'); // a library change, so that sync writes
    loader.writeCodeCache(path.join(OUT, 'library.cjs'), ['--config', config, 'sync', '--fix', '--no-index']);
    loader.writeCodeCache(path.join(OUT, 'discover.cjs'), ['--version']);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
