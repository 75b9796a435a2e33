/**
 * `library doctor`: every check an operator would otherwise do by hand, each
 * failure with its fix. Reads only; the store walk reads trees (each distinct
 * tree once) and checks that every blob exists.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { resolveCompanies, type Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { lockHealth } from '../lock.js';
import { readRunState } from '../state.js';
import { Store } from '../store/store.js';
import { verifyStore } from '../store/verify.js';
import { DEFAULT_LABEL, parsePlist } from '../schedule/launchd.js';
import { DEFAULT_UNIT } from '../schedule/systemd.js';
import { defaultLaunchdDir, defaultSystemdDir, hasCommand, readScheduleRecord } from '../schedule/install.js';
import { checkSyncHealth, formatAge } from './health.js';

export interface DoctorCheck {
  check: 'config' | 'companies' | 'store' | 'lock' | 'schedule' | 'last-sync' | 'company-failed';
  ok: boolean;
  message: string;
  fix?: string;
}

const STORE_FIX =
  'run `library doctor --repair`: it deletes corrupt objects and rewrites every object the library and company folders still hold; history whose content exists nowhere else stays damaged (see it with `git --git-dir <store> fsck --full`)';

/** Every object reachable from every ref must be present and hash to its id (history included). */
export async function checkStore(store: Store): Promise<DoctorCheck[]> {
  const report = await verifyStore(store);
  const from = (o: string) => `ref ${report.reachedFrom[o]}: object ${o}`;
  const bad = [...report.missing.map((o) => `${from(o)} is missing`), ...report.corrupt.map((o) => `${from(o)} is corrupt`)];
  if (bad.length === 0) return [{ check: 'store', ok: true, message: `store ${store.gitdir}: ${report.refs} refs, ${report.objects} objects read and verified` }];
  const more = bad.length > 3 ? ` (and ${bad.length - 3} more)` : '';
  return [{ check: 'store', ok: false, message: `store ${store.gitdir}: ${bad.slice(0, 3).join('; ')}${more}`, fix: STORE_FIX }];
}

/** The job's command line: /bin/sh wrapper node cli config log. */
function checkJobArguments(kind: string, args: unknown[], config: Config, reinstall: string): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  const [, wrapper, node, cli, configFile] = args.map(String);
  for (const [what, p] of [['wrapper', wrapper], ['node', node], ['CLI', cli], ['config', configFile]] as const) {
    if (!p || !fs.existsSync(p)) out.push({ check: 'schedule', ok: false, message: `the ${kind} job runs ${what} ${p ?? '(none)'}, which does not exist`, fix: reinstall });
  }
  if (configFile && path.resolve(configFile) !== config.file) {
    out.push({ check: 'schedule', ok: false, message: `the ${kind} job syncs config ${configFile}, not ${config.file}`, fix: reinstall });
  }
  return out;
}

function checkLaunchd(config: Config, file: string, label: string, expectLoaded: boolean): DoctorCheck[] {
  const reinstall = `library launchd install${label === DEFAULT_LABEL ? '' : ` --label ${label}`} (with the same --dest, --interval and --log-dir)`;
  if (!fs.existsSync(file)) return [{ check: 'schedule', ok: false, message: `launchd agent ${file} is missing`, fix: reinstall }];
  let plist: Record<string, unknown>;
  try {
    plist = parsePlist(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return [{ check: 'schedule', ok: false, message: `launchd agent ${file} cannot be read: ${errorMessage(err)}`, fix: reinstall }];
  }
  const args = Array.isArray(plist.ProgramArguments) ? plist.ProgramArguments : [];
  const out = checkJobArguments('launchd', args, config, reinstall);
  if (expectLoaded && process.platform === 'darwin') {
    try {
      const listed = execFileSync('launchctl', ['list', label], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const status = /"LastExitStatus"\s*=\s*(-?\d+)/.exec(listed)?.[1];
      if (status && status !== '0') out.push({ check: 'schedule', ok: false, message: `launchd job ${label}: LastExitStatus ${status}`, fix: 'read the end of the log (library-sync.log, library-sync.err) and run `library sync --fix` by hand to see the error' });
    } catch {
      out.push({ check: 'schedule', ok: false, message: `launchd job ${label} is not loaded`, fix: `launchctl load -w ${file}` });
    }
  }
  if (out.length === 0) out.push({ check: 'schedule', ok: true, message: `launchd agent ${file} (every ${String(plist.StartInterval)} s)` });
  return out;
}

function checkSystemd(config: Config, files: string[], unit: string, args: string[], expectEnabled: boolean): DoctorCheck[] {
  const reinstall = `library systemd install${unit === DEFAULT_UNIT ? '' : ` --unit ${unit}`} (with the same --dest, --interval and --log-dir)`;
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) return [{ check: 'schedule', ok: false, message: `systemd unit ${missing.join(', ')} is missing`, fix: reinstall }];
  const out = checkJobArguments('systemd', args, config, reinstall);
  if (expectEnabled && hasCommand('systemctl')) {
    try {
      execFileSync('systemctl', ['--user', 'is-active', '--quiet', `${unit}.timer`], { stdio: 'ignore' });
    } catch {
      out.push({ check: 'schedule', ok: false, message: `systemd timer ${unit}.timer is not active`, fix: `systemctl --user enable --now ${unit}.timer` });
    }
  }
  if (out.length === 0) out.push({ check: 'schedule', ok: true, message: `systemd units ${files.join(', ')}` });
  return out;
}

export function checkSchedule(config: Config): DoctorCheck[] {
  const record = readScheduleRecord(config);
  const out: DoctorCheck[] = [];
  if (record.launchd) out.push(...checkLaunchd(config, record.launchd.files[0], record.launchd.label, record.launchd.loaded));
  if (record.systemd) out.push(...checkSystemd(config, record.systemd.files, record.systemd.unit, record.systemd.programArguments, record.systemd.enabled));
  if (out.length > 0) return out;
  // Nothing recorded: look where a default install would be.
  const plist = path.join(defaultLaunchdDir(), `${DEFAULT_LABEL}.plist`);
  if (fs.existsSync(plist)) return checkLaunchd(config, plist, DEFAULT_LABEL, true);
  const timer = path.join(defaultSystemdDir(), `${DEFAULT_UNIT}.timer`);
  if (fs.existsSync(timer)) return [{ check: 'schedule', ok: true, message: `systemd timer ${timer} (not installed by this store's \`library systemd install\`)` }];
  return [{
    check: 'schedule',
    ok: false,
    message: 'no scheduled sync is installed: companies get library changes only when someone runs `library sync --fix`',
    fix: process.platform === 'darwin' ? 'library launchd install' : 'library systemd install (or library launchd install on macOS)',
  }];
}

export async function runDoctor(config: Config, maxAgeSeconds: number, now = Date.now()): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [{ check: 'config', ok: true, message: `config ${config.file}` }];
  let names: string[] = [];
  try {
    const resolved = resolveCompanies(config);
    names = resolved.companies.map((c) => c.name);
    checks.push({ check: 'companies', ok: names.length > 0, message: `${names.length} companies: ${names.join(', ') || '(none)'}`, ...(names.length ? {} : { fix: 'check "companies" in the config' }) });
    for (const p of resolved.problems) checks.push({ check: 'companies', ok: false, message: p.message, fix: 'rename the folder' });
  } catch (err) {
    checks.push({ check: 'companies', ok: false, message: errorMessage(err), fix: 'fix "companies" in the config' });
  }
  let store: Store | null = null;
  try {
    store = Store.open(config.storeDir);
  } catch (err) {
    checks.push({ check: 'store', ok: false, message: errorMessage(err), fix: 'library sync --fix creates it' });
  }
  if (store) checks.push(...(await checkStore(store)));
  const lock = store ? lockHealth(store, now) : null;
  const health = checkSyncHealth({ state: readRunState(store), companies: names, lock, now, maxAgeSeconds, storeDir: config.storeDir });
  const lockProblem = health.problems.find((p) => p.check === 'lock');
  if (lockProblem) checks.push({ check: 'lock', ok: false, message: lockProblem.message, fix: lockProblem.fix });
  else if (lock?.held) checks.push({ check: 'lock', ok: true, message: `held by a running sync: pid ${lock.owner?.pid ?? '?'} (${lock.owner?.command ?? '?'}) since ${lock.owner?.startedAt ?? '?'}` });
  else checks.push({ check: 'lock', ok: true, message: 'free' });
  checks.push(...checkSchedule(config));
  const syncProblems = health.problems.filter((p) => p.check !== 'lock');
  for (const p of syncProblems) checks.push({ check: p.check, ok: false, message: p.message, fix: p.fix });
  if (syncProblems.length === 0) {
    checks.push({ check: 'last-sync', ok: true, message: `every company synced within ${formatAge(health.oldestSyncAgeSeconds ?? 0)} (limit ${formatAge(maxAgeSeconds)})` });
  }
  return checks;
}
