/**
 * `library doctor`: every check an operator would otherwise do by hand, each
 * failure with its fix. Reads only; the store walk reads trees (each distinct
 * tree once) and checks that every blob exists.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { resolveCompanies } from '../companies.js';
import { errorMessage } from '../errors.js';
import { lockHealth } from '../lock.js';
import { readRunState, type RunState } from '../run-state.js';
import { Store, StoreAccessError } from '../store/store.js';
import { damaged, verifyStore } from '../store/verify.js';
import { baseRef, companyRef } from '../refs.js';
import { needsBase } from './bases.js';
import { DEFAULT_LABEL, parsePlist } from '../schedule/launchd.js';
import { DEFAULT_UNIT } from '../schedule/systemd.js';
import { defaultLaunchdDir, defaultSystemdDir, hasCommand, readScheduleRecord } from '../schedule/install.js';
import { formatAge, type HealthCheckName, type SyncHealth } from './health.js';
import { gatherSyncHealth } from './gather.js';

export interface DoctorCheck {
  check: 'config' | 'companies' | 'store' | 'refs' | 'state' | 'schedule' | HealthCheckName;
  ok: boolean;
  message: string;
  fix?: string;
  /** Every damaged object behind this finding (the message names the first few). */
  objects?: string[];
}

const STORE_FIX =
  'run `library doctor --repair`: it writes back every object the library, its git repository and the company folders still hold, rewrites what cannot be read out of the history (keeping the rest), re-records each affected company from its folder and says exactly what it could not keep';

/** Every object reachable from every ref must be present, readable and hash to its id: one finding per damaged ref. */
export async function checkStore(store: Store, companies: string[] = []): Promise<DoctorCheck[]> {
  let report;
  try {
    report = await verifyStore(store);
  } catch (err) {
    return [{ check: 'store', ok: false, message: `store ${store.gitdir}: ${errorMessage(err)}`, fix: STORE_FIX }];
  }
  const byRef = new Map<string, string[]>();
  for (const o of damaged(report)) byRef.set(report.reachedFrom[o], [...(byRef.get(report.reachedFrom[o]) ?? []), o]);
  const what = (o: string) => (report.missing.includes(o) ? 'missing' : report.corrupt.includes(o) ? 'corrupt' : 'unreadable');
  const checks: DoctorCheck[] = [...byRef].map(([ref, objects]) => ({
    check: 'store',
    ok: false,
    message: `store ${store.gitdir}: ref ${ref} reaches ${objects.length} damaged object${objects.length === 1 ? '' : 's'}: ${objects.slice(0, 3).map((o) => `${o} is ${what(o)}`).join('; ')}${objects.length > 3 ? ` (and ${objects.length - 3} more)` : ''}`,
    fix: STORE_FIX,
    objects,
  }));
  for (const b of report.brokenRefs) checks.push({ check: 'store', ok: false, message: `store ${store.gitdir}: ${b.error.split(': run `')[0]}`, fix: STORE_FIX });
  const reservedByRef = new Map<string, typeof report.reserved>();
  for (const r of report.reserved) reservedByRef.set(r.ref, [...(reservedByRef.get(r.ref) ?? []), r]);
  for (const [ref, found] of reservedByRef) {
    const paths = found.map((r) => r.path);
    const whys = [...new Set(found.map((r) => r.why))];
    checks.push({
      check: 'store',
      ok: false,
      message: `store ${store.gitdir}: ref ${ref} holds ${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` (and ${paths.length - 3} more)` : ''}: ${whys.join('; ')}, recorded by an older version: \`git fsck\`, \`git archive\` and every host that checks objects reject it, so forge-sync cannot send it`,
      fix: 'run `library doctor --repair`: it rewrites that history without those paths, keeping everything else (the files stay in the folders, and sync no longer records them)',
    });
  }
  if (checks.length === 0) checks.push({ check: 'store', ok: true, message: `store ${store.gitdir}: ${report.refs} refs, ${report.objects} objects read and verified` });
  checks.push(...(await checkRefs(store, companies)));
  return checks;
}

/** The refs the design needs: a company with distributions has a base; a base has its company. */
async function checkRefs(store: Store, companies: string[]): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  const names = new Set([...companies, ...(await store.listRefs('refs/bases/')).map((r) => r.slice('refs/bases/'.length))]);
  const refProblem = async (name: string): Promise<DoctorCheck | null> => {
    if (await needsBase(store, name)) {
      return {
        check: 'refs',
        ok: false,
        message: `${baseRef(name)} is missing, though ${companyRef(name)} has distributions: every skill ${name} has not changed would look like an override and stop receiving library updates (sync refuses ${name} until this is mended)`,
        fix: 'run `library doctor --repair`: it rebuilds the base from the distribution commits (their Library-Commit trailers) and the folder',
      };
    }
    if ((await store.readRef(baseRef(name))) !== null && (await store.readRef(companyRef(name))) === null) {
      return { check: 'refs', ok: false, message: `${companyRef(name)} is missing, though ${baseRef(name)} exists: the company's history is gone`, fix: 'run `library doctor --repair`: it records the company again from its folder' };
    }
    return null;
  };
  for (const name of [...names].sort()) {
    // A damaged ref or history is reported by the store check.
    const problem = await refProblem(name).catch(() => null);
    if (problem) out.push(problem);
  }
  if (out.length === 0) out.push({ check: 'refs', ok: true, message: 'every company with a history has its base' });
  return out;
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

async function checkLaunchd(config: Config, file: string, label: string, expectLoaded: boolean): Promise<DoctorCheck[]> {
  const reinstall = `library launchd install${label === DEFAULT_LABEL ? '' : ` --label ${label}`} (with the same --dest, --interval and --log-dir)`;
  if (!fs.existsSync(file)) return [{ check: 'schedule', ok: false, message: `launchd agent ${file} is missing`, fix: reinstall }];
  let plist: Record<string, unknown>;
  try {
    plist = await parsePlist(fs.readFileSync(file, 'utf8'));
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

export async function checkSchedule(config: Config): Promise<DoctorCheck[]> {
  const record = readScheduleRecord(config);
  const out: DoctorCheck[] = [];
  if (record.launchd) out.push(...(await checkLaunchd(config, record.launchd.files[0], record.launchd.label, record.launchd.loaded)));
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
    checks.push(err instanceof StoreAccessError ? { check: 'store', ok: false, message: err.problem, fix: err.fix } : { check: 'store', ok: false, message: errorMessage(err), fix: 'library sync --fix creates it' });
  }
  if (store) checks.push(...(await checkStore(store, names)));
  let lock: ReturnType<typeof lockHealth> | null = null;
  try {
    lock = store ? lockHealth(store, now) : null;
  } catch (err) {
    checks.push({ check: 'lock', ok: false, message: errorMessage(err), fix: 'make sure no library command is running, then delete that file' });
  }
  let state: RunState = { lastRun: null, companies: {} };
  try {
    state = readRunState(store);
    if (store) checks.push({ check: 'state', ok: true, message: `run state ${path.join(store.dataDir, 'state.json')}` });
  } catch (err) {
    checks.push({ check: 'state', ok: false, message: errorMessage(err).split(': run `')[0], fix: 'run `library doctor --repair`: it sets the damaged file aside and a fresh one starts with the next sync (last-sync times and rollback marks start again)' });
  }
  let health: SyncHealth;
  try {
    health = gatherSyncHealth(config, maxAgeSeconds, { now, store, state, lock });
  } catch (err) {
    // The companies or remotes.json cannot be read: the verdict cannot be given.
    health = { lastRun: state.lastRun, oldestSync: null, oldestSyncAgeSeconds: null, problems: [{ check: 'last-sync', message: `cannot judge the last sync: ${errorMessage(err)}`, fix: 'fix what the message names' }] };
  }
  const lockProblem = health.problems.find((p) => p.check === 'lock');
  if (lockProblem) checks.push({ check: 'lock', ok: false, message: lockProblem.message, fix: lockProblem.fix });
  else if (lock?.held) checks.push({ check: 'lock', ok: true, message: `held by a running sync: pid ${lock.owner?.pid ?? '?'} (${lock.owner?.command ?? '?'}) since ${lock.owner?.startedAt ?? '?'}` });
  else checks.push({ check: 'lock', ok: true, message: 'free' });
  try {
    checks.push(...(await checkSchedule(config)));
  } catch (err) {
    checks.push({ check: 'schedule', ok: false, message: errorMessage(err), fix: 'see the message; `library systemd install` (or `launchd install`) rewrites the record' });
  }
  // The health verdict, as `status --check` gives it: one failed check per reason.
  const syncProblems = health.problems.filter((p) => p.check !== 'lock');
  for (const p of syncProblems) checks.push({ check: p.check, ok: false, message: p.message, fix: p.fix });
  if (syncProblems.length === 0) {
    checks.push({ check: 'last-sync', ok: true, message: `every company synced within ${formatAge(health.oldestSyncAgeSeconds ?? 0)} (limit ${formatAge(maxAgeSeconds)}); the last run exited 0` });
  }
  return checks;
}
