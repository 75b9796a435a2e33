/**
 * A package loaded on first use instead of at start-up: plist (launchd) and
 * tar (export, import) are a third of the bundled CLI, and most commands never
 * touch them (issue 27, start-up). The bundler leaves this call alone, so the
 * package is read from node_modules when a command first needs it; for a
 * package named in scripts/build.mjs (bundleLazily: yaml, proper-lockfile), the bundles hold the
 * package instead, still run only on first use.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load(name) as T);
}
