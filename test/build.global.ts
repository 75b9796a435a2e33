/**
 * Vitest global setup: end-to-end tests run the built CLI (dist/), so build
 * first whenever a source file is newer than the build. Running one test file
 * after an edit then tests the edit, not the code of the last build.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir: string): number {
  let latest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const built = path.join(ROOT, 'dist', 'cli', 'library.js');
  const stale = !fs.existsSync(built) || newest(path.join(ROOT, 'src')) > fs.statSync(built).mtimeMs;
  if (stale) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' }); // tsc, then the bundled bins
}
