/**
 * What was true at scan time may not be true at write time. Real signals,
 * real timing and real files, no test hooks:
 * - a run frozen mid-write (SIGSTOP, as a sleeping laptop) is taken over; when
 *   it resumes it writes nothing and exits 75, and no history is orphaned;
 * - a same-size edit whose mtime was put back (`touch -r`) is still seen;
 * - a company's `.claude` swapped for a symlink during a run redirects no write.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cleanupTempDirs, cli, fsck, historyHas, refsOf, snapshotFolder, stateOf, tempDir, write } from '../helpers.js';
import { danglingCommits, generatedWorkspace, sleep, snapshotTags, startCli, until } from './adversary-helpers.js';

afterAll(cleanupTempDirs);

it('a run frozen mid-write and taken over writes nothing when it resumes: exit 75, the edit kept, no dangling commit', async () => {
  for (let round = 0; round < 2; round++) {
    const ws = generatedWorkspace(30, 20, { lock: { staleSeconds: 2 } });
    const first = startCli(ws, ['sync', '--fix']);
    let exited = false;
    void first.done.then(() => (exited = true));
    await until(() => exited || snapshotTags(ws.storeDir).length > 0, 60_000, 'the first run to start writing');
    await sleep(round * 30); // a little later into the write phase in the second round
    first.child.kill('SIGSTOP');
    try {
      expect(exited, 'the first run ended before it could be frozen: make the workspace bigger').toBe(false);
      // While it sleeps, the company writes a skill of its own under a name the frozen run meant to fill.
      const edited = path.join(ws.companyDir('Co29'), 'skill-19', 'SKILL.md');
      write(edited, '---\nname: skill-19\ndescription: "Co29 made this one by hand"\n---\nCo29 edit while the other run slept\n');
      // A second run waits for the frozen one's lock to go stale (2 s here), takes it over and records the edit.
      const second = cli(ws, ['sync', '--fix', '--wait', '60']);
      expect(second.code, second.stderr).toBe(0);
      expect(historyHas(ws.storeDir, 'Co29', 'skill-19/SKILL.md', 'Co29 edit while the other run slept')).toBe(true);
      const folders = ws.companies.map((c) => snapshotFolder(ws.companyDir(c)));
      const refs = refsOf(ws.storeDir);

      first.child.kill('SIGCONT');
      const resumed = await first.done;
      expect(resumed.code, resumed.stderr).toBe(75);
      // Stopped by its fence (the lock was lost), or by a ref that moved under it if it froze inside an update.
      expect(resumed.stderr).toMatch(/lock on store .* was lost|moved while this run held it/);
      // It wrote nothing: every folder and every ref is as the second run left them.
      expect(ws.companies.map((c) => snapshotFolder(ws.companyDir(c)))).toEqual(folders);
      expect(refsOf(ws.storeDir)).toBe(refs);
      expect(fs.readFileSync(edited, 'utf8')).toContain('Co29 edit while the other run slept');
      expect(danglingCommits(ws.storeDir)).toEqual([]);
      fsck(ws.storeDir);
      expect(cli(ws, ['sync', '--fix']).code).toBe(0);
    } finally {
      first.child.kill('SIGCONT');
      first.child.kill('SIGKILL');
    }
  }
}, 240_000);

it('a same-size edit whose mtime was put back with touch -r is seen, and kept when the library updates the skill', async () => {
  const ws = generatedWorkspace(2, 3);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  // A second run re-reads what the first wrote (too recent to trust) and leaves a cache it trusts.
  await sleep(50);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const file = path.join(ws.companyDir('Co00'), 'skill-01', 'SKILL.md');
  const reference = path.join(tempDir(), 'mtime-reference');
  fs.writeFileSync(reference, '');
  execFileSync('touch', ['-r', file, reference]);
  const before = fs.readFileSync(file, 'utf8');
  const after = before.replace('Steps for', 'Steps FOR'); // same size
  expect(after.length).toBe(before.length);
  await sleep(50);
  fs.writeFileSync(file, after);
  execFileSync('touch', ['-r', reference, file]); // as cp -p, rsync -t or tar would leave it
  expect(fs.statSync(file).mtimeMs).toBe(fs.statSync(reference).mtimeMs);

  expect(stateOf(cli(ws, ['status', '--json']).json, 'Co00', 'skill-01')).toBe('override');
  fs.appendFileSync(path.join(ws.libraryDir, 'skill-01', 'SKILL.md'), 'library update\n');
  const sync = cli(ws, ['sync', '--fix', '--json']);
  expect(sync.code, sync.stderr).toBe(0);
  expect(stateOf(sync.json, 'Co00', 'skill-01')).toBe('override-behind');
  expect(fs.readFileSync(file, 'utf8')).toBe(after);
  expect(historyHas(ws.storeDir, 'Co00', 'skill-01/SKILL.md', 'Steps FOR')).toBe(true);
  // The other company, untouched, got the update.
  expect(fs.readFileSync(path.join(ws.companyDir('Co01'), 'skill-01', 'SKILL.md'), 'utf8')).toContain('library update');
});

it("a company's .claude swapped for a symlink to an outside folder during a run: nothing outside changes", async () => {
  const ws = generatedWorkspace(12, 16);
  expect(cli(ws, ['sync', '--fix']).code).toBe(0);
  const victim = 'Co06';
  const claude = path.dirname(ws.companyDir(victim));
  // The outside folder looks exactly like the company's, so only the folder's identity can tell them apart.
  const outside = path.join(tempDir('lsync-outside-'), '.claude');
  fs.cpSync(claude, outside, { recursive: true });
  const outsideBefore = snapshotFolder(outside);
  // A round proves something only if the swap lands while the run still has the victim's skills to write: the run
  // then says the victim's folder changed since the scan. A swap that came too late proves nothing: another round.
  const wanted = 3;
  const maxRounds = 12;
  const landed: number[] = [];
  for (let round = 1; landed.length < wanted && round <= maxRounds; round++) {
    for (const s of ws.skills) fs.appendFileSync(path.join(ws.libraryDir, s, 'SKILL.md'), `library v${round}\n`);
    const before = snapshotTags(ws.storeDir).length;
    const run = startCli(ws, ['sync', '--fix', '--json']);
    let exited = false;
    void run.done.then(() => (exited = true));
    await until(() => exited || snapshotTags(ws.storeDir).length > before, 60_000, 'the run to start writing');
    await sleep(Math.random() * 20 * round); // a little later into the write phase each round
    fs.renameSync(claude, `${claude}-real`);
    fs.symlinkSync(outside, claude);
    const result = await run.done;
    expect([0, 1], result.stderr).toContain(result.code);
    expect(snapshotFolder(outside), `round ${round}: the outside folder changed`).toEqual(outsideBefore);
    const report = JSON.parse(result.stdout).companies.find((c: any) => c.name === victim);
    if (!report.ok) {
      expect(result.code).toBe(1);
      expect(report.error).toMatch(/changed since the scan|no longer the folder that was scanned/);
      landed.push(round);
    } else {
      expect(result.code, result.stderr).toBe(0); // too late: the victim was already written, as every other company
    }
    fs.unlinkSync(claude);
    fs.renameSync(`${claude}-real`, claude);
    expect(cli(ws, ['sync', '--fix']).code).toBe(0); // converges once the folder is back
    fsck(ws.storeDir);
  }
  expect(landed.length, `the swap landed while the run was writing ${victim} in only ${landed.length} of ${maxRounds} rounds`).toBe(wanted);
}, 240_000);
