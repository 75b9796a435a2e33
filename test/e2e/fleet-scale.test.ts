/**
 * Twenty machines (separate stores, configs and `host` values) syncing at
 * once against one hub, half over `git http-backend` and half over a real
 * sshd on 127.0.0.1: all converge, and the hub holds every host's reports and
 * nothing else. Ten run at a time, so the process count stays sane on 2 cores.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupTempDirs, fsck, git, tempDir, type CliResult } from '../helpers.js';
import { cliAsync } from '../remote-helpers.js';
import { SSHD, startSshd, type Sshd } from '../remote-sshd.js';
import { createHub, createMachine, CUSTOM_PDF, hubFile, serveHub, skillsIn, type Hub, type HubServer, type Machine } from '../fleet-helpers.js';

const MACHINES = 20;
const AT_ONCE = 10;
const HAVE_SSHD = fs.existsSync(SSHD);
if (!HAVE_SSHD) process.stderr.write(`\n!!!!!! the 20-machine fleet runs over http only: ${SSHD} is missing (apt-get install -y openssh-server) !!!!!!\n\n`);

describe(`${MACHINES} machines syncing at once against one hub`, () => {
  let hub: Hub;
  let server: HubServer;
  let sshd: Sshd | null = null;
  let env: NodeJS.ProcessEnv = {};
  const machines: Machine[] = [];

  beforeAll(async () => {
    const root = tempDir('lsync-fleet20-');
    hub = createHub(path.join(root, 'hub'));
    server = await serveHub(hub.gitdir);
    if (HAVE_SSHD) {
      sshd = await startSshd(tempDir('lsync-sshd-'), ['AcceptEnv GIT_PROTOCOL', 'MaxStartups 100:30:200', 'MaxSessions 100']);
      env = { LIBRARY_SSH: sshd.sshCommand };
    }
    for (let i = 0; i < MACHINES; i++) {
      const name = `host-${String(i).padStart(2, '0')}`;
      const url = HAVE_SSHD && i % 2 === 1 ? `ssh://forge-test${hub.gitdir}` : server.url;
      machines.push(createMachine(path.join(root, name), name, url, url));
    }
  });
  afterAll(async () => {
    await server?.close();
    await sshd?.stop();
    cleanupTempDirs();
  });

  const everyMachine = async (args: string[]): Promise<CliResult[]> => {
    const limit = pLimit(AT_ONCE);
    return Promise.all(machines.map((m) => limit(() => cliAsync(m.configFile, args, env))));
  };

  it('all exit 0 and converge; the hub holds refs/hosts/<host>/companies/* for each, no branch but its own, main untouched, fsck --strict clean', async () => {
    const main = hub.main();
    const first = await everyMachine(['sync', '--fix', '--json']);
    first.forEach((res, i) => expect(res.code, `${machines[i].name}: ${res.stderr}`).toBe(0));
    for (const m of machines) {
      expect(skillsIn(m.companyDir('Beta'))).toEqual(skillsIn(path.join(hub.work, 'skills')));
      expect(fs.readFileSync(path.join(m.companyDir('Acme'), 'pdf', 'SKILL.md'), 'utf8')).toBe(CUSTOM_PDF);
    }
    const refs = () => git(hub.gitdir, ['for-each-ref', '--format=%(refname) %(objectname)']).trim().split('\n').map((l) => l.split(' '));
    const expected = machines.flatMap((m) => ['Acme', 'Beta'].map((c) => `refs/hosts/${m.name}/companies/${c}`));
    expect(refs().map(([r]) => r)).toEqual(['refs/heads/main', ...expected].sort());
    expect(git(hub.gitdir, ['rev-parse', 'refs/heads/main']).trim()).toBe(main);
    fsck(hub.gitdir);

    // A new library version reaches every machine on its next run, all at once again.
    const docx = '---\nname: docx\ndescription: "Word documents, v2."\n---\n\nNow with comments.\n';
    const tip = hub.commit({ 'skills/docx/SKILL.md': docx }, 'docx v2');
    const second = await everyMachine(['sync', '--fix', '--json']);
    second.forEach((res, i) => {
      expect(res.code, `${machines[i].name}: ${res.stderr}`).toBe(0);
      expect(res.json.fetch.commit).toBe(tip);
      expect(res.json.report.updated.length).toBe(2);
    });
    for (const m of machines) {
      expect(fs.readFileSync(path.join(m.companyDir('Beta'), 'docx', 'SKILL.md'), 'utf8')).toBe(hubFile(hub, 'skills/docx/SKILL.md'));
      for (const c of ['Acme', 'Beta']) expect(git(hub.gitdir, ['rev-parse', `refs/hosts/${m.name}/companies/${c}`])).toBe(git(m.storeDir, ['rev-parse', `refs/heads/companies/${c}`]));
    }
    expect(git(hub.gitdir, ['for-each-ref', '--format=%(refname)', 'refs/heads/']).trim()).toBe('refs/heads/main');
    expect(git(hub.gitdir, ['rev-parse', 'refs/heads/main']).trim()).toBe(tip);
    fsck(hub.gitdir);

    const fleet = await cliAsync(machines[0].configFile, ['fleet', '--json'], env);
    expect(fleet.code, fleet.stderr).toBe(0);
    expect(fleet.json.hosts.map((h: any) => h.host).sort()).toEqual(machines.map((m) => m.name));
    for (const h of fleet.json.hosts) {
      expect(h.companies.every((c: any) => c.atTip === true && c.libraryCommit === tip)).toBe(true);
      expect(h.companies.find((c: any) => c.name === 'Acme').drift.overrides).toEqual(['pdf']);
    }
  });
});
