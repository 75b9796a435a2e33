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
  const mod = new Module(file, module);
  mod.filename = file;
  return compiled.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
}

/** What the build writes: the code cache of a freshly compiled bundle. */
function writeCodeCache(file) {
  fs.writeFileSync(`${file}.v8-cache`, compile(file, undefined).createCachedData());
}

module.exports = { start, script, writeCodeCache };
