'use strict';
/**
 * Starts a bundled command (dist/cli/<name>.cjs) with the V8 code cache that
 * `npm run build` made for it (<name>.cjs.v8-cache), so a command does not
 * parse the whole bundle before it starts (issue 27, start-up). V8 checks the
 * cache against the source and its own version and flags; a cache it rejects
 * (another Node, a rebuilt bundle) only costs the normal compile. The
 * bundle holds no `import()` (a script compiled by vm has no loader for one):
 * scripts/build.mjs turns each into a require or bundles the module.
 * Copied into dist/cli/ by scripts/build.mjs.
 */
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/** The wrapped script of a bundle; with `cachedData`, V8 skips parsing what the cache holds. */
function compile(file, cachedData) {
  return new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
}

/**
 * Commands with a code cache of their own, made after running them (`<name>.cjs.<verb>.v8-cache`): what `sync`
 * compiles to write (the scheduled job's work) is not in the cache every command loads, which `status` would pay
 * for in deserialising at each start.
 */
const VERB_CACHES = ['sync'];

/** The code cache for a command line: its verb's own, else the bundle's. */
function cacheFile(file, argv) {
  const verb = VERB_CACHES.find((v) => argv.includes(v));
  return verb ? `${file}.${verb}.v8-cache` : `${file}.v8-cache`;
}

/** The bundle `name` compiled, from the code cache for `argv` when V8 accepts it (`cachedDataRejected` says whether it did). */
function script(name, argv = process.argv.slice(2)) {
  const file = path.join(__dirname, `${name}.cjs`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile(file, argv));
  } catch {
    cachedData = undefined; // not built with a cache: compiled as usual
  }
  return { file, script: compile(file, cachedData), cached: cachedData !== undefined };
}

function start(name) {
  const { file, script: compiled } = script(name);
  run(compiled, file);
}

/** Run a compiled bundle as Node runs a CommonJS main module. */
function run(compiled, file) {
  const mod = new Module(file, module);
  mod.filename = file;
  compiled.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

/**
 * What the build writes: the code cache of the bundle after it ran `argv` (a
 * command over a scratch workspace), so it holds the bytecode of every function
 * start-up and the command compile, not only the top level V8 compiles
 * eagerly (with a cache made before running, `status` spent 20 ms more compiling).
 * It is the cache cacheFile() picks for `argv`. Run in a child process: the
 * bundle runs its command on load, then exits.
 */
function writeCodeCache(file, argv) {
  const out = cacheFile(file, argv);
  const { status, stderr } = require('node:child_process').spawnSync(process.execPath, [__filename, '--write-code-cache', file, out, ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (!fs.existsSync(out)) throw new Error(`${file}: no code cache written to ${out} (exit ${status}): ${stderr}`);
}

/** The child of writeCodeCache: run the bundle as `node <bin> …argv`, then save its cache to `out` whatever the command's outcome. */
function runAndWriteCodeCache(file, out, argv) {
  fs.rmSync(out, { force: true });
  const compiled = compile(file, undefined);
  process.argv = [process.argv[0], file, ...argv];
  process.on('exit', () => fs.writeFileSync(out, compiled.createCachedData()));
  run(compiled, file);
}

if (require.main === module && process.argv[2] === '--write-code-cache') runAndWriteCodeCache(process.argv[3], process.argv[4], process.argv.slice(5));

module.exports = { start, script, writeCodeCache };
