#!/usr/bin/env node
/**
 * npm run bench [-- --companies 100 --skills 200 --files 5 --bytes 2048 --runs 3 --noop-runs 100] [--scaling]
 * --scaling: first distribution and no-op at 10 to 1,000 companies, 20 skills each unless --skills says otherwise.
 *
 * Generates a deterministic workspace and times, in one run on the same
 * machine, baselines (find, git status, cp -a) and our commands, reporting
 * ratios (medians of --runs), peak RSS, and store growth; and start-up: our
 * `--version` and `status` on the bundled example against `node -e 0`. Prints a
 * table on stdout and one JSON line (prefixed "BENCH_JSON "). Targets: issue 27.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(HERE, '..', 'dist', 'cli', 'library.js');
const RSS_HOOK = path.join(HERE, 'rss.mjs');
const EXAMPLE = path.join(HERE, '..', 'example');

function parseArgs(argv) {
  const opts = { companies: 100, skills: 200, files: 5, bytes: 2048, runs: 3, noopRuns: 100, scaling: false, keep: false };
  let skillsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--skills') skillsGiven = true;
    if (a === '--scaling') opts.scaling = true;
    else if (a === '--keep') opts.keep = true;
    else if (a.startsWith('--')) {
      const key = a.slice(2).replace(/-(\w)/g, (_, c) => c.toUpperCase());
      if (!(key in opts)) throw new Error(`unknown flag ${a}`);
      opts[key] = Number(argv[++i]);
    }
  }
  // 1,000 companies × 200 skills would be a million files: scaling keeps companies small unless told.
  if (opts.scaling && !skillsGiven) opts.skills = 20;
  return opts;
}

/** Deterministic content: a tiny LCG, so every run generates the same bytes. */
function content(seed, bytes) {
  let x = seed >>> 0 || 1;
  const words = ['skill', 'agent', 'library', 'company', 'merge', 'tree', 'sync', 'store', 'use', 'when', 'the', 'a', 'file'];
  let out = '';
  while (out.length < bytes) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out += words[x % words.length] + (x % 11 === 0 ? '\n' : ' ');
  }
  return out.slice(0, bytes);
}

function writeSkill(dir, name, files, bytes, seed) {
  const skill = path.join(dir, name);
  fs.mkdirSync(path.join(skill, 'scripts'), { recursive: true });
  fs.writeFileSync(path.join(skill, 'SKILL.md'), `---\nname: ${name}\ndescription: benchmark skill ${name}\n---\n\n${content(seed, Math.max(0, bytes - 60))}`);
  for (let f = 1; f < files; f++) {
    const rel = f === 1 ? path.join('scripts', 'run.sh') : `ref-${f}.md`;
    fs.writeFileSync(path.join(skill, rel), content(seed * 31 + f, bytes), { mode: f === 1 ? 0o755 : 0o644 });
  }
}

function setup(root, o) {
  const lib = path.join(root, 'library');
  for (let s = 0; s < o.skills; s++) writeSkill(lib, `skill-${String(s).padStart(4, '0')}`, o.files, o.bytes, s + 1);
  const companiesRoot = path.join(root, 'companies');
  const companyDir = (i) => path.join(companiesRoot, `Co${String(i).padStart(4, '0')}`, 'skills');
  for (let i = 0; i < o.companies; i++) fs.mkdirSync(companyDir(i), { recursive: true });
  const store = path.join(root, 'store.git');
  const config = path.join(root, 'library.config.json');
  fs.writeFileSync(config, JSON.stringify({ library: lib, companies: path.join(companiesRoot, '*', 'skills'), store, safety: { maxRemovePercent: 100 } }));
  return { lib, companiesRoot, companyDir, store, config };
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(fn) {
  const t = now();
  fn();
  return now() - t;
}

function library(ws, rssFile, ...args) {
  const res = spawnSync(process.execPath, ['--import', RSS_HOOK, CLI, '--config', ws.config, '--log-file', path.join(path.dirname(ws.config), 'bench.log'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
    maxBuffer: 1 << 28,
  });
  if (res.status !== 0) throw new Error(`library ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return res.stdout;
}

function storeSize(store) {
  let count = 0;
  let bytes = 0;
  for (const e of fs.readdirSync(path.join(store, 'objects'), { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      count++;
      bytes += fs.statSync(path.join(e.parentPath, e.name)).size;
    }
  }
  return { count, bytes };
}

/** The largest peak RSS (KB) the runs wrote into `file`, one line each (bench/rss.mjs). */
function peakRss(file) {
  return Math.max(...fs.readFileSync(file, 'utf8').trim().split('\n').map(Number));
}

/** Flush dirty pages, so that one run's writeback is not billed to the next. */
function settle() {
  spawnSync('sync');
}

/** A fresh, empty set of company folders and a fresh store, sharing the workspace's library. */
function freshTarget(ws, o, root, r) {
  const base = path.join(root, `first-${r}`);
  const companyDir = (i) => path.join(base, 'companies', `Co${String(i).padStart(4, '0')}`, 'skills');
  for (let i = 0; i < o.companies; i++) fs.mkdirSync(companyDir(i), { recursive: true });
  const config = path.join(base, 'library.config.json');
  fs.writeFileSync(config, JSON.stringify({ library: ws.lib, companies: path.join(base, 'companies', '*', 'skills'), store: path.join(base, 'store.git') }));
  return { ...ws, config, store: path.join(base, 'store.git'), companyDir };
}

/**
 * cp -a and our first distribution alternate, each into fresh folders, and
 * nothing is deleted until all are done: right after many deletions ext4's
 * inode allocator skips recently freed inodes and every create gets slower
 * (perf showed 47% of kernel time in recently_deleted()), which would bill
 * one side for the other's clean-up.
 */
function firstDistributionVsCp(ws, o, root, rssFile) {
  const cp = [];
  const first = [];
  for (let r = 0; r < o.runs; r++) {
    const dest = path.join(root, `cp-${r}`);
    for (let i = 0; i < o.companies; i++) fs.mkdirSync(path.join(dest, String(i)), { recursive: true });
    settle();
    cp.push(time(() => {
      for (let i = 0; i < o.companies; i++) execFileSync('cp', ['-a', `${ws.lib}/.`, path.join(dest, String(i))]);
    }));
    const target = freshTarget(ws, o, root, r);
    settle();
    first.push(time(() => library(target, rssFile, 'sync', '--fix', '--no-index')));
  }
  for (let r = 0; r < o.runs; r++) {
    fs.rmSync(path.join(root, `cp-${r}`), { recursive: true, force: true });
    fs.rmSync(path.join(root, `first-${r}`), { recursive: true, force: true });
  }
  return { cp, first };
}

function firstDistribution(ws, o, rssFile) {
  return Array.from({ length: o.runs }, (_, r) => {
    const target = freshTarget(ws, o, path.dirname(ws.config), r);
    settle();
    return time(() => library(target, rssFile, 'sync', '--fix', '--no-index'));
  });
}

/** The bundled example workspace (example/workspace.ts, compiled as `npm run demo` does), synced once. */
async function exampleWorkspace(root) {
  const compiled = path.join(EXAMPLE, 'dist', 'workspace.js');
  if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(path.join(EXAMPLE, 'workspace.ts')).mtimeMs) {
    execFileSync(process.execPath, [path.join(HERE, '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(EXAMPLE, 'tsconfig.json')], { stdio: 'inherit' });
  }
  const { createExampleWorkspace } = await import(compiled);
  const dir = path.join(root, 'example');
  fs.mkdirSync(dir);
  const ws = createExampleWorkspace(dir);
  execFileSync(process.execPath, [CLI, '--config', ws.configFile, 'sync', '--fix'], { stdio: 'ignore' });
  return ws;
}

/** Start-up: what a person waits for at the smallest scale, against node starting and doing nothing. */
async function startUp(root, runs) {
  const ws = await exampleWorkspace(root);
  const n = Math.max(runs, 5);
  const node0 = [];
  const version = [];
  const status = [];
  for (let r = 0; r < n; r++) {
    node0.push(time(() => execFileSync(process.execPath, ['-e', '0'])));
    version.push(time(() => execFileSync(process.execPath, [CLI, '--version'])));
    status.push(time(() => execFileSync(process.execPath, [CLI, '--config', ws.configFile, 'status'], { stdio: 'ignore' })));
  }
  return { node0, version, statusExample: status };
}

async function runMain(o) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'library-bench-'));
  // Peak RSS of every run on the 100 × 1,000-file workspace (the issue's scale), and apart from it the runs that
  // keep every company in two folders (twice as many files).
  const rssFile = path.join(root, 'rss.txt');
  const rssTwoFoldersFile = path.join(root, 'rss-two-folders.txt');
  const ws = setup(root, o);
  const results = {};
  try {
    Object.assign(results, await startUp(root, o.runs));
    Object.assign(results, firstDistributionVsCp(ws, o, root, rssFile));
    library(ws, rssFile, 'sync', '--fix', '--no-index'); // the workspace the other measures use
    const afterFirst = storeSize(ws.store);

    // A few companies carry overrides and company-only skills, as in real life.
    const special = Math.max(1, Math.floor(o.companies / 20));
    for (let i = 0; i < special; i++) {
      fs.appendFileSync(path.join(ws.companyDir(i), 'skill-0000', 'SKILL.md'), '\ncompany override\n');
      writeSkill(ws.companyDir(o.companies - 1 - i), `own-${i}`, o.files, o.bytes, 9000 + i);
    }
    library(ws, rssFile, 'sync', '--fix', '--no-index');
    library(ws, rssFile, 'sync', '--fix', '--no-index'); // settle the stat caches

    results.find = [];
    for (let r = 0; r < o.runs; r++) results.find.push(time(() => execFileSync('find', [ws.companiesRoot, '-type', 'f'], { maxBuffer: 1 << 28 })));
    results.noop = [];
    for (let r = 0; r < o.runs; r++) results.noop.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
    results.status = [];
    for (let r = 0; r < o.runs; r++) results.status.push(time(() => library(ws, rssFile, 'status', '--json')));
    // One library skill changed, from a settled workspace (an untimed no-op first, as the scheduled runs between two
    // library changes leave it), each change beside a no-op timed just before it: interleaved, as an A/B is, so the
    // machine's drift over the bench's quarter of an hour moves both alike. At least 5 rounds: the row varies most.
    // Dirty pages are flushed before each timed run (settle): the bench's own cp -a and first distributions leave GBs
    // of small-file writeback in flight, which a scheduled run five minutes after the last never meets.
    // Then the same changes back to back, each run also re-reading (racy rule) the files the run before it wrote,
    // which is the figure earlier stops reported.
    const changeOneSkill = (r) => fs.appendFileSync(path.join(ws.lib, 'skill-0001', 'SKILL.md'), `\nchange ${r}\n`);
    const oneSkillRounds = Math.max(o.runs, 5);
    results.oneSkill = [];
    results.noopBeside = [];
    for (let r = 0; r < oneSkillRounds; r++) {
      library(ws, rssFile, 'sync', '--fix', '--no-index');
      settle();
      results.noopBeside.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
      changeOneSkill(r);
      settle();
      results.oneSkill.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
    }
    results.oneSkillBackToBack = [];
    for (let r = 0; r < o.runs; r++) {
      changeOneSkill(oneSkillRounds + r);
      results.oneSkillBackToBack.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
    }
    results.tenCompanies = [];
    for (let r = 0; r < o.runs; r++) {
      library(ws, rssFile, 'sync', '--fix', '--no-index');
      for (let i = 0; i < Math.min(10, o.companies); i++) fs.appendFileSync(path.join(ws.companyDir(i), 'skill-0002', 'SKILL.md'), `\nedit ${r}\n`);
      results.tenCompanies.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
    }

    // git status in every company folder, each already indexed (setup untimed).
    for (let i = 0; i < o.companies; i++) {
      const g = (...args) => execFileSync('git', ['-C', ws.companyDir(i), ...args], { stdio: 'ignore' });
      g('init', '-q');
      g('add', '-A');
      g('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'index');
    }
    results.gitStatus = [];
    for (let r = 0; r < o.runs; r++) {
      results.gitStatus.push(time(() => {
        for (let i = 0; i < o.companies; i++) execFileSync('git', ['-C', ws.companyDir(i), 'status', '--porcelain'], { maxBuffer: 1 << 26 });
      }));
    }
    for (let i = 0; i < o.companies; i++) fs.rmSync(path.join(ws.companyDir(i), '.git'), { recursive: true, force: true });

    const beforeNoops = storeSize(ws.store);
    for (let r = 0; r < o.noopRuns; r++) library(ws, rssFile, 'sync', '--fix', '--no-index');
    const afterNoops = storeSize(ws.store);

    // The same companies kept in two agents' folders (config "folders"): the second filled, then the no-op again.
    const one = JSON.parse(fs.readFileSync(ws.config, 'utf8'));
    fs.writeFileSync(ws.config, JSON.stringify({ ...one, companies: path.join(ws.companiesRoot, '*'), folders: ['skills', '.agents/skills'] }));
    library(ws, rssTwoFoldersFile, 'sync', '--fix', '--no-index');
    library(ws, rssTwoFoldersFile, 'sync', '--fix', '--no-index'); // settle the stat caches
    results.noopTwoFolders = [];
    for (let r = 0; r < o.runs; r++) results.noopTwoFolders.push(time(() => library(ws, rssTwoFoldersFile, 'sync', '--fix', '--no-index')));
    fs.writeFileSync(ws.config, JSON.stringify(one));
    const peakRssKb = peakRss(rssFile);
    const peakRssTwoFoldersKb = peakRss(rssTwoFoldersFile);

    const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
    const rows = [
      ['first distribution', m.first, 'cp -a', m.cp, m.first / m.cp, '≤ 1.0'],
      ['no-op sync --fix', m.noop, 'find -type f', m.find, m.noop / m.find, '≤ 2.0'],
      ['no-op sync --fix', m.noop, 'git status loop', m.gitStatus, m.noop / m.gitStatus, '≤ 1.0'],
      ['status', m.status, 'find -type f', m.find, m.status / m.find, '-'],
      ['one library skill changed', m.oneSkill, 'no-op beside it', m.noopBeside, m.oneSkill / m.noopBeside, '≤ 1.3'],
      ['  the same, back to back', m.oneSkillBackToBack, 'our no-op', m.noop, m.oneSkillBackToBack / m.noop, '-'],
      ['10 companies edited a file', m.tenCompanies, 'our no-op', m.noop, m.tenCompanies / m.noop, '-'],
      ['no-op, two folders a company', m.noopTwoFolders, 'our no-op', m.noop, m.noopTwoFolders / m.noop, '≤ 2.1'],
      ['library --version', m.version, 'node -e 0', m.node0, m.version / m.node0, '-'],
      ['status, bundled example', m.statusExample, 'node -e 0', m.node0, m.statusExample / m.node0, '≤ 2.0'],
    ];
    const files = o.companies * o.skills * o.files;
    console.log(`workspace: ${o.companies} companies × ${o.skills} skills × ${o.files} files of ${o.bytes} B = ${files} company files; ${os.cpus().length} cores; medians of ${o.runs} runs (of ${Math.max(o.runs, 5)} for one library skill changed)`);
    console.log(`${'measure'.padEnd(28)} ${'ours (s)'.padStart(9)}  ${'baseline'.padEnd(16)} ${'(s)'.padStart(7)} ${'ratio'.padStart(6)}  target`);
    for (const [name, ours, base, b, ratio, target] of rows) {
      console.log(`${name.padEnd(28)} ${ours.toFixed(3).padStart(9)}  ${base.padEnd(16)} ${b.toFixed(3).padStart(7)} ${ratio.toFixed(2).padStart(6)}  ${target}`);
    }
    console.log(`peak RSS: ${(peakRssKb / 1024).toFixed(0)} MB (target ≤ 256 MB); with two folders a company (${2 * files} files): ${(peakRssTwoFoldersKb / 1024).toFixed(0)} MB`);
    console.log(`store after first sync: ${afterFirst.count} objects, ${afterFirst.bytes} bytes; library alone needs ${o.skills * o.files} blobs`);
    console.log(`store growth over ${o.noopRuns} no-op runs: ${afterNoops.count - beforeNoops.count} objects, ${afterNoops.bytes - beforeNoops.bytes} bytes (target 0)`);
    const json = {
      workspace: { companies: o.companies, skills: o.skills, files: o.files, bytes: o.bytes, runs: o.runs, cores: os.cpus().length },
      seconds: results,
      medians: m,
      ratios: Object.fromEntries(rows.map(([name, , base, , ratio]) => [`${name} / ${base}`, Number(ratio.toFixed(3))])),
      peakRssMb: Math.round(peakRssKb / 1024),
      peakRssTwoFoldersMb: Math.round(peakRssTwoFoldersKb / 1024),
      store: { afterFirst, beforeNoops, afterNoops, noopRuns: o.noopRuns },
    };
    console.log(`BENCH_JSON ${JSON.stringify(json)}`);
    return json;
  } finally {
    if (!o.keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

function runScaling(o) {
  const rows = [];
  for (const companies of [10, 30, 100, 300, 1000]) {
    const so = { ...o, companies };
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'library-bench-scale-'));
    const rssFile = path.join(root, 'rss.txt');
    try {
      const ws = setup(root, so);
      const first = median(firstDistribution(ws, so, rssFile));
      library(ws, rssFile, 'sync', '--fix', '--no-index');
      const noops = [];
      for (let r = 0; r < so.runs; r++) noops.push(time(() => library(ws, rssFile, 'sync', '--fix', '--no-index')));
      const noop = median(noops);
      rows.push({ companies, first, noop, firstPerCompanyMs: (first / companies) * 1000, noopPerCompanyMs: (noop / companies) * 1000, peakRssMb: Math.round(peakRss(rssFile) / 1024) });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  console.log(`scaling: ${o.skills} skills × ${o.files} files per company; medians of ${o.runs} runs (of ${Math.max(o.runs, 5)} for one library skill changed)`);
  console.log(`${'companies'.padStart(9)} ${'first (s)'.padStart(10)} ${'per co (ms)'.padStart(12)} ${'no-op (s)'.padStart(10)} ${'per co (ms)'.padStart(12)} ${'peak RSS'.padStart(9)}`);
  for (const r of rows) {
    console.log(`${String(r.companies).padStart(9)} ${r.first.toFixed(3).padStart(10)} ${r.firstPerCompanyMs.toFixed(1).padStart(12)} ${r.noop.toFixed(3).padStart(10)} ${r.noopPerCompanyMs.toFixed(1).padStart(12)} ${`${r.peakRssMb} MB`.padStart(9)}`);
  }
  console.log(`BENCH_JSON ${JSON.stringify({ scaling: rows })}`);
}

const opts = parseArgs(process.argv.slice(2));
if (opts.scaling) runScaling(opts);
else await runMain(opts);
