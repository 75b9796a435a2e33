/**
 * `npm run demo`: build the example workspace in a temp folder and run the
 * real CLI on it, the way an operator would.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExampleWorkspace } from './workspace.js';

// Built to example/dist/; the CLI it runs is the package's own build in dist/.
const cliDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli');
const ws = createExampleWorkspace(fs.mkdtempSync(path.join(os.tmpdir(), 'library-sync-demo-')));

function runBin(bin: 'library' | 'discover', args: string[]): void {
  console.log(`\n$ ${bin} ${args.join(' ')}`);
  const logFile = path.join(ws.root, 'logs', 'library-sync.log');
  const res = spawnSync(process.execPath, [path.join(cliDir, `${bin}.js`), '--config', ws.configFile, '--log-file', logFile, ...args], { stdio: 'inherit' });
  if (res.status !== 0) console.log(`(exit code ${res.status})`);
}
const library = (...args: string[]) => runBin('library', args);
const discover = (...args: string[]) => runBin('discover', args);

console.log(`example workspace: ${ws.root}`);
console.log('library: pdf, docx, xlsx, brand-voice. CodeCraft customized pdf; Lexicon has its own legal-citations; Northwind is empty.');
library('sync');
library('sync', '--fix');
library('status');
discover('ocr');
discover('spredsheet', '--company', 'Lexicon');

console.log('\n# the library improves docx; CodeCraft edits its own xlsx');
fs.appendFileSync(path.join(ws.libraryDir, 'docx', 'SKILL.md'), '\nNew: export to PDF with `--pdf`.\n');
fs.appendFileSync(path.join(ws.companyDir('CodeCraft'), 'pdf', 'reference.md'), '\nCodeCraft note: OCR language is eng+deu.\n');
library('sync', '--fix');
library('push', 'pdf', '--company', 'CodeCraft');
library('status', '--company', 'CodeCraft');

console.log(`\n$ git --git-dir ${ws.storeDir} log --graph --oneline --all`);
try {
  console.log(execFileSync('git', ['--git-dir', ws.storeDir, 'log', '--graph', '--oneline', '--all'], { encoding: 'utf8' }));
} catch {
  console.log('(native git is not installed; the store is a plain bare repository any git can read)');
}
console.log(`workspace kept at ${ws.root}; JSON logs in ${path.join(ws.root, 'logs', 'library-sync.log')}`);
