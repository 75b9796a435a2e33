// Injected into the CommonJS bundles by scripts/build.mjs: the sources are ES modules, and import.meta.url is the bundle's own URL.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
