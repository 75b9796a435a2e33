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

/** The bundle `name` compiled, from its code cache when V8 accepts it (`cachedDataRejected` says whether it did). */
function script(name) {
  const file = path.join(__dirname, `${name}.cjs`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.v8-cache`);
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
 * start-up and a small command compile, not only the top level V8 compiles
 * eagerly (with a cache made before running, `status` spent 20 ms more compiling).
 * Run in a child process: the bundle runs its command on load, then exits.
 */
function writeCodeCache(file, argv) {
  const { status, stderr } = require('node:child_process').spawnSync(process.execPath, [__filename, '--write-code-cache', file, ...argv], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (!fs.existsSync(`${file}.v8-cache`)) throw new Error(`${file}: no code cache written (exit ${status}): ${stderr}`);
}

/** The child of writeCodeCache: run the bundle as `node <bin> …argv`, then save its cache whatever the command's outcome. */
function runAndWriteCodeCache(file, argv) {
  fs.rmSync(`${file}.v8-cache`, { force: true });
  const compiled = compile(file, undefined);
  process.argv = [process.argv[0], file, ...argv];
  process.on('exit', () => fs.writeFileSync(`${file}.v8-cache`, compiled.createCachedData()));
  run(compiled, file);
}

if (require.main === module && process.argv[2] === '--write-code-cache') runAndWriteCodeCache(process.argv[3], process.argv.slice(4));

module.exports = { start, script, writeCodeCache };
