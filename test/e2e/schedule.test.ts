/**
 * The scheduled job: the launchd plist and the systemd units as written by
 * the real CLI (into --dest, never the real home folders), the wrapper script
 * run by sh, and doctor reading what was installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'plist';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExampleWorkspace } from '../../example/workspace.js';
import { CLI, ROOT, cleanupTempDirs, cli, exampleWorkspace, tempDir } from '../helpers.js';

afterAll(cleanupTempDirs);

let ws: ExampleWorkspace;
let dest: string;
let logDir: string;
beforeEach(() => {
  ws = exampleWorkspace();
  dest = tempDir('lsync-agents-');
  logDir = path.join(ws.root, 'logs');
});

const WRAPPER = path.join(ROOT, 'launchd', 'library-sync-wrapper.sh');

describe('library launchd', () => {
  it('install writes a plist that parses back with the required keys and absolute paths', () => {
    const res = cli(ws, ['launchd', 'install', '--dest', dest, '--no-load', '--log-dir', logDir, '--interval', '120', '--throttle', '30']);
    expect(res.code).toBe(0);
    const file = path.join(dest, 'com.alai.library-sync.plist');
    const p = parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
    expect(p.Label).toBe('com.alai.library-sync');
    expect(p.ProgramArguments).toEqual(['/bin/sh', WRAPPER, process.execPath, CLI, ws.configFile, path.join(logDir, 'library-sync.log')]);
    for (const arg of p.ProgramArguments) {
      expect(path.isAbsolute(arg)).toBe(true);
      expect(fs.existsSync(arg) || arg.endsWith('.log')).toBe(true);
    }
    expect(p.StartInterval).toBe(120);
    expect(p.ThrottleInterval).toBe(30);
    expect(p.RunAtLoad).toBe(true);
    expect(p.StandardOutPath).toBe(path.join(logDir, 'library-sync.out'));
    expect(p.StandardErrorPath).toBe(path.join(logDir, 'library-sync.err'));
    expect(p.EnvironmentVariables.PATH.split(':')).toContain(path.dirname(process.execPath));
    expect(fs.statSync(logDir).isDirectory()).toBe(true);
    expect(res.stdout).toMatch(/not loaded/);
  });

  it('the defaults are the old job: every 300 s, throttle 60, label com.alai.library-sync', () => {
    const res = cli(ws, ['launchd', 'print']);
    expect(res.code).toBe(0);
    const p = parse(res.stdout) as Record<string, any>;
    expect([p.Label, p.StartInterval, p.ThrottleInterval]).toEqual(['com.alai.library-sync', 300, 60]);
    expect(p.ProgramArguments[5]).toBe(path.join(path.dirname(ws.storeDir), 'logs', 'library-sync.log'));
  });

  it("forge-sync's environment (remotes and the ssh command) is copied into the job, nothing else", () => {
    const env = { LIBRARY_FORGE_REMOTES: 'forge', LIBRARY_SSH: 'ssh -i ~/.ssh/forge_key', LIBRARY_UNRELATED: 'x' };
    const p = parse(cli(ws, ['launchd', 'print'], env).stdout) as Record<string, any>;
    expect(Object.keys(p.EnvironmentVariables).sort()).toEqual(['LIBRARY_FORGE_REMOTES', 'LIBRARY_SSH', 'PATH']);
    expect(p.EnvironmentVariables.LIBRARY_SSH).toBe(env.LIBRARY_SSH);
    const unit = cli(ws, ['systemd', 'print'], env).stdout;
    expect(unit).toContain('Environment="LIBRARY_SSH=ssh -i ~/.ssh/forge_key"');
    expect(unit).not.toContain('LIBRARY_UNRELATED');
  });

  it('uninstall removes it; bad flags are exit 2 and write nothing', () => {
    expect(cli(ws, ['launchd', 'install', '--dest', dest, '--no-load', '--log-dir', logDir, '--label', 'test.agent']).code).toBe(0);
    expect(fs.readdirSync(dest)).toEqual(['test.agent.plist']);
    expect(cli(ws, ['launchd', 'uninstall', '--dest', dest, '--no-load', '--label', 'test.agent']).code).toBe(0);
    expect(fs.readdirSync(dest)).toEqual([]);
    for (const bad of [['--interval', '0'], ['--interval', 'often'], ['--label', '../evil']]) {
      const res = cli(ws, ['launchd', 'install', '--dest', dest, '--no-load', ...bad]);
      expect(res.code).toBe(2);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(fs.readdirSync(dest)).toEqual([]);
  });
});

describe('library systemd', () => {
  it('install writes a user service and timer with the same schedule', () => {
    const res = cli(ws, ['systemd', 'install', '--dest', dest, '--no-enable', '--log-dir', logDir, '--interval', '120']);
    expect(res.code).toBe(0);
    expect(fs.readdirSync(dest).sort()).toEqual(['library-sync.service', 'library-sync.timer']);
    const service = fs.readFileSync(path.join(dest, 'library-sync.service'), 'utf8');
    const timer = fs.readFileSync(path.join(dest, 'library-sync.timer'), 'utf8');
    expect(service).toContain('Type=oneshot\n');
    const q = (s: string) => `"${s}"`;
    expect(service).toContain(`ExecStart=${['/bin/sh', WRAPPER, process.execPath, CLI, ws.configFile, path.join(logDir, 'library-sync.log')].map(q).join(' ')}\n`);
    expect(service).toMatch(/^Environment="PATH=[^"]+"$/m);
    expect(service).toContain(`StandardOutput=append:${path.join(logDir, 'library-sync.out')}\n`);
    expect(service).toContain(`StandardError=append:${path.join(logDir, 'library-sync.err')}\n`);
    expect(timer).toContain('OnUnitActiveSec=120s\n');
    expect(timer).toContain('OnActiveSec=1s\n');
    expect(timer).toContain('Unit=library-sync.service\n');
    expect(timer).toContain('WantedBy=timers.target\n');
    expect(res.stdout).toMatch(/not enabled \(--no-enable\)/);
    // systemd's own parser, where this machine has it: unknown keys, bad values and missing executables fail.
    const analyze = spawnSync('systemd-analyze', ['verify', path.join(dest, 'library-sync.service'), path.join(dest, 'library-sync.timer')], { encoding: 'utf8' });
    if (!analyze.error) expect(analyze.status, analyze.stderr).toBe(0);

    expect(cli(ws, ['systemd', 'uninstall', '--dest', dest, '--no-enable']).code).toBe(0);
    expect(fs.readdirSync(dest)).toEqual([]);
  });
});

describe('the wrapper', () => {
  const runWrapper = (env: NodeJS.ProcessEnv = {}) =>
    spawnSync('/bin/sh', [WRAPPER, process.execPath, CLI, ws.configFile, path.join(logDir, 'library-sync.log')], { encoding: 'utf8', env: { ...process.env, ...env } });
  const logLines = () => fs.readFileSync(path.join(logDir, 'library-sync.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  it('runs sync --fix, logs each step as a JSON line, and exits 0', () => {
    const res = runWrapper();
    expect(res.status).toBe(0);
    expect(fs.existsSync(path.join(ws.companyDir('Northwind'), 'pdf', 'SKILL.md'))).toBe(true);
    const steps = logLines().filter((l) => l.action === 'wrapper').map((l) => l.msg);
    expect(steps).toEqual([
      'step sync: started',
      'step sync: ok',
      'step discover: started',
      'step discover: ok',
      'step forge-sync: skipped: LIBRARY_FORGE_REMOTES is not set',
    ]);
    // The CLI logged into the same file, per company.
    expect(logLines().some((l) => l.company === 'Northwind' && l.action === 'fix')).toBe(true);
    expect(fs.readFileSync(path.join(logDir, 'library-sync.last-run.txt'), 'utf8')).toMatch(/^== sync\n.*Northwind/s);
  });

  it('runs every step and exits with the status of the first failure', () => {
    fs.writeFileSync(ws.configFile, '{'); // sync fails: config error, exit 2
    const res = runWrapper({ LIBRARY_FORGE_REMOTES: 'forge' });
    expect(res.status).toBe(2);
    const failed = logLines().filter((l) => l.action === 'wrapper' && l.level === 50);
    expect(failed.map((l) => [l.step, l.status])).toEqual([
      ['sync', 2],
      ['discover', 2],
      ['forge-sync forge', expect.any(Number)],
    ]);
  });
});

describe('library doctor', () => {
  it('passes after a sync with a schedule installed, and names each problem with a fix', () => {
    expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    expect(cli(ws, ['systemd', 'install', '--dest', dest, '--no-enable', '--log-dir', logDir]).code).toBe(0);
    const ok = cli(ws, ['doctor', '--json']);
    expect(ok.json.checks.filter((c: any) => !c.ok)).toEqual([]);
    expect(ok.code).toBe(0);
    expect(ok.json.checks.map((c: any) => c.check)).toEqual(['config', 'companies', 'store', 'refs', 'state', 'lock', 'schedule', 'last-sync']);

    // Break things: the schedule's units are gone, and a ref points at a missing object.
    fs.rmSync(path.join(dest, 'library-sync.timer'));
    fs.writeFileSync(path.join(ws.storeDir, 'refs', 'heads', 'companies', 'Lexicon'), `${'1'.repeat(40)}\n`);
    const bad = cli(ws, ['doctor']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL\s+store\s+.*ref refs\/heads\/companies\/Lexicon reaches 1 damaged object: 1{40} is missing/m);
    expect(bad.stdout).toMatch(/^FAIL\s+schedule\s+systemd unit .*library-sync\.timer is missing\n\s+fix: library systemd install/m);
  });

  it('a config error is the one finding, with a fix', () => {
    fs.writeFileSync(ws.configFile, '{');
    const res = cli(ws, ['doctor']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^FAIL\s+config\s+config .* is not valid JSON/m);
    expect(res.stdout).toMatch(/fix: fix the config file/);
  });
});
