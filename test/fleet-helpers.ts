/**
 * A fleet on one machine, loopback only: a hub (a bare repository with the
 * library under `skills/` beside files that are not skills, written by a
 * person's clone of it), `git http-backend` serving it with protocol v2 and an
 * access log of what went over the wire, and machines: separate stores,
 * configs, companies and `host` values.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { LIBRARY_SKILLS, writeSkillFiles } from '../example/workspace.js';

const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Hub Person', GIT_AUTHOR_EMAIL: 'p@hub', GIT_COMMITTER_NAME: 'Hub Person', GIT_COMMITTER_EMAIL: 'p@hub' } });

export interface Hub {
  /** The bare repository every machine pulls from and reports to. */
  gitdir: string;
  /** A person's clone, where library changes are made. */
  work: string;
  main(): string;
  /** Write (string) or delete (null) files in the clone, commit, push: the new main. */
  commit(files: Record<string, string | null>, message: string): string;
  /** Replace main's last commit with another one (amend), force-pushed: the new main. */
  rewrite(files: Record<string, string | null>, message: string): string;
}

export function createHub(root: string): Hub {
  const work = path.join(root, 'work');
  const gitdir = path.join(root, 'hub.git');
  fs.mkdirSync(work, { recursive: true });
  run(work, ['init', '-q', '-b', 'main']);
  for (const [name, files] of Object.entries(LIBRARY_SKILLS)) writeSkillFiles(path.join(work, 'skills', name), files);
  fs.writeFileSync(path.join(work, 'README.md'), '# Our skills\n');
  writeSkillFiles(path.join(work, 'tools', 'lint'), { 'SKILL.md': '---\nname: lint\ndescription: Not a library skill: outside skills/.\n---\n' });
  run(work, ['add', '-A']);
  run(work, ['commit', '-q', '-m', 'the library']);
  run(root, ['clone', '-q', '--bare', work, gitdir]);
  run(work, ['remote', 'add', 'origin', gitdir]);
  const apply = (files: Record<string, string | null>) => {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(work, rel);
      if (content === null) fs.rmSync(file, { recursive: true, force: true });
      else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
    }
    run(work, ['add', '-A']);
  };
  const main = () => run(root, ['--git-dir', gitdir, 'rev-parse', 'refs/heads/main']).trim();
  return {
    gitdir,
    work,
    main,
    commit(files, message) {
      apply(files);
      run(work, ['commit', '-q', '-m', message]);
      run(work, ['push', '-q', 'origin', 'main']);
      return main();
    },
    rewrite(files, message) {
      apply(files);
      run(work, ['commit', '-q', '--amend', '-m', message]);
      run(work, ['push', '-q', '--force', 'origin', 'main']);
      return main();
    },
  };
}

export interface AccessEntry {
  method: string;
  service: string;
  /** For protocol v2 upload-pack requests: `ls-refs` or `fetch`. */
  command: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** A pack went one way or the other (the bytes "PACK" followed by version 2 or 3). */
  packIn: boolean;
  packOut: boolean;
}

export interface HubServer {
  url: string;
  /** Every request, in order. */
  log: AccessEntry[];
  /** The host is away: every connection is cut at once (the port stays ours, so the URL holds when it is back). */
  away(): Promise<void>;
  back(): Promise<void>;
  close(): Promise<void>;
}

const hasPack = (b: Buffer) => {
  for (let i = b.indexOf('PACK'); i >= 0; i = b.indexOf('PACK', i + 1)) if (b.readUInt32BE(i + 4) === 2 || b.readUInt32BE(i + 4) === 3) return true;
  return false;
};

/** `git http-backend` as CGI, with protocol v2 (the Git-Protocol header), pushes allowed, and an access log. */
export async function serveHub(gitdir: string): Promise<HubServer> {
  const log: AccessEntry[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const service = u.searchParams.get('service') ?? path.basename(u.pathname);
      const entry: AccessEntry = { method: req.method!, service, command: /command=([a-z-]+)/.exec(body.toString('latin1'))?.[1] ?? null, status: 0, bytesIn: raw.length, bytesOut: 0, packIn: hasPack(body), packOut: false };
      log.push(entry);
      const child = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: path.dirname(gitdir),
          GIT_HTTP_EXPORT_ALL: '1',
          REMOTE_USER: 'fleet',
          PATH_INFO: u.pathname,
          QUERY_STRING: u.search.slice(1),
          REQUEST_METHOD: req.method,
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          CONTENT_LENGTH: String(body.length),
          ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        },
      });
      // git may answer (an error, a refusal) and exit before reading the whole body: that is its answer, not a test failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(body);
      let head = Buffer.alloc(0);
      const out: Buffer[] = [];
      let sent = false;
      child.stdout.on('data', (c: Buffer) => {
        if (sent) {
          out.push(c);
          return void res.write(c);
        }
        head = Buffer.concat([head, c]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headers = head.subarray(0, end).toString().split('\r\n').map((l) => l.split(/:\s*/));
        entry.status = Number(headers.find(([k]) => k === 'Status')?.[1].split(' ')[0] ?? 200);
        res.writeHead(entry.status, Object.fromEntries(headers.filter(([k]) => k !== 'Status')));
        out.push(head.subarray(end + 4));
        res.write(head.subarray(end + 4));
        sent = true;
      });
      child.on('close', () => {
        const all = Buffer.concat(out);
        entry.bytesOut = all.length;
        entry.packOut = hasPack(all);
        res.end();
      });
    });
  });
  let away = false;
  server.on('connection', (s) => {
    if (away) return void s.destroy();
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
  const cut = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}/${path.basename(gitdir)}`,
    log,
    away: async () => {
      away = true;
      cut();
    },
    back: async () => void (away = false),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        cut();
      }),
  };
}

export interface Machine {
  name: string;
  root: string;
  configFile: string;
  storeDir: string;
  companyDir(company: string): string;
}

export const CUSTOM_PDF = '---\nname: pdf\ndescription: "Acme: always OCR scanned pages first."\n---\n\n# pdf\n\nAcme only.\n';

/**
 * A machine with companies Acme (which customized pdf before it ever synced: an override) and Beta (empty),
 * pulling the library from `libraryUrl` (path `skills`) and reporting to `reportUrl`.
 */
export function createMachine(root: string, name: string, libraryUrl: string, reportUrl: string | null, network: Record<string, number> = { tries: 2, retryDelay: 0.2, timeout: 60, connectTimeout: 10 }): Machine {
  fs.mkdirSync(root, { recursive: true });
  const companyDir = (c: string) => path.join(root, 'companies', c, '.claude', 'skills');
  writeSkillFiles(path.join(companyDir('Acme'), 'pdf'), { ...LIBRARY_SKILLS.pdf, 'SKILL.md': CUSTOM_PDF });
  fs.mkdirSync(companyDir('Beta'), { recursive: true });
  const storeDir = path.join(root, 'store.git');
  const configFile = path.join(root, 'library.config.json');
  const config = {
    library: { url: libraryUrl, branch: 'main', path: 'skills' },
    companies: path.join(root, 'companies', '*', '.claude', 'skills'),
    store: storeDir,
    host: name,
    network,
    ...(reportUrl ? { report: { url: reportUrl } } : {}),
  };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { name, root, configFile, storeDir, companyDir };
}

/** The skills a folder holds (its sub-folders), sorted. */
export const skillsIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')).sort() : []);

/** A file of the hub's main, as git has it. */
export const hubFile = (hub: Hub, rel: string) => execFileSync('git', ['--git-dir', hub.gitdir, 'show', `refs/heads/main:${rel}`], { encoding: 'utf8' });
