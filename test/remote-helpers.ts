/**
 * Two stores on one machine, loopback only: a FORGE workspace, `library serve`
 * as a subprocess, a plain `git http-backend` behind a tiny HTTP server we did
 * not derive from ours, and servers that refuse or never answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { LIBRARY_SKILLS, writeSkillFiles } from '../example/workspace.js';
import { CLI, runCli, type CliResult } from './helpers.js';

/** The CLI as an async subprocess: needed whenever the test process itself runs a server. */
export const cliAsync = (configFile: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli({ configFile }, args, env);

export interface Forge {
  root: string;
  storeDir: string;
  configFile: string;
  companyDir(name: string): string;
}

export const FORGE_TOKEN = 'forge-secret-token';

/** FORGE: no library folder, the library is whatever was pushed; two companies of its own. */
export function forgeWorkspace(root: string): Forge {
  const companyDir = (name: string) => path.join(root, 'companies', name, '.claude', 'skills');
  // Acme customized pdf: an override that a delivery must keep.
  writeSkillFiles(path.join(companyDir('Acme'), 'pdf'), { ...LIBRARY_SKILLS.pdf, 'SKILL.md': '---\nname: pdf\ndescription: Acme PDFs.\n---\n\nAcme only.\n' });
  writeSkillFiles(path.join(companyDir('Acme'), 'acme-only'), { 'SKILL.md': '---\nname: acme-only\ndescription: Acme.\n---\n' });
  fs.mkdirSync(companyDir('Globex'), { recursive: true });
  const storeDir = path.join(root, 'forge-store.git');
  const configFile = path.join(root, 'library.config.json');
  const config = {
    library: { ref: 'refs/heads/library' },
    companies: path.join(root, 'companies', '*', '.claude', 'skills'),
    store: storeDir,
    serve: { tokenEnv: 'FORGE_TOKEN' },
  };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  return { root, storeDir, configFile, companyDir };
}

/** Add (or replace) a remote in a workspace's config. */
export function setRemote(configFile: string, name: string, url: string, tokenEnv?: string): void {
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  config.remotes = { ...config.remotes, [name]: tokenEnv ? { url, tokenEnv } : { url } };
  fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
}

/** `library serve --port 0` as a subprocess; resolves once it prints where it listens. */
export function startServe(forge: Forge, args: string[] = []): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, '--config', forge.configFile, '--log-file', path.join(forge.root, 'serve.log'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, FORGE_TOKEN },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stderr.on('data', (c) => (out += c));
    child.stdout.on('data', (c) => {
      out += c;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/store\.git)/.exec(out);
      if (m)
        resolve({
          url: m[1],
          child,
          stop: () =>
            new Promise((done) => {
              child.once('close', () => done());
              child.kill('SIGTERM');
            }),
        });
    });
    child.on('close', (code) => reject(new Error(`library serve exited (${code}): ${out}`)));
  });
}

/** Plain `git http-backend` as CGI behind node:http, pushes allowed, no token: a server we did not write. */
export function startPlainBackend(gitdir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: path.dirname(gitdir),
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'test',
        PATH_INFO: u.pathname,
        QUERY_STRING: u.search.slice(1),
        REQUEST_METHOD: req.method,
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      },
    });
    child.stdin.on('error', () => undefined); // git may answer and exit before reading the whole body
    req.pipe(child.stdin);
    let buf = Buffer.alloc(0);
    let sent = false;
    child.stdout.on('data', (c: Buffer) => {
      if (sent) return void res.write(c);
      buf = Buffer.concat([buf, c]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const headers = buf.subarray(0, end).toString().split('\r\n').map((l) => l.split(/:\s*/));
      const status = Number(headers.find(([k]) => k === 'Status')?.[1].split(' ')[0] ?? 200);
      res.writeHead(status, Object.fromEntries(headers.filter(([k]) => k !== 'Status')));
      res.write(buf.subarray(end + 4));
      sent = true;
    });
    child.on('close', () => res.end());
  });
  return listen(server, `/${path.basename(gitdir)}`);
}

/** Accepts connections and never answers; `connected` resolves at the first connection. */
export async function startSilentServer(): Promise<{ url: string; close: () => Promise<void>; connected: Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let onConnect: () => void = () => {};
  const connected = new Promise<void>((r) => (onConnect = r));
  const server = net.createServer((s) => {
    sockets.add(s);
    onConnect();
    s.on('close', () => sockets.delete(s));
  });
  return { ...(await listen(server, '/store.git', () => sockets.forEach((s) => s.destroy()))), connected };
}

function listen(server: net.Server, mount: string, beforeClose = () => {}): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}${mount}`,
        close: () =>
          new Promise((done) => {
            beforeClose();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Poll until `check` passes (a delivery happens in another process); fails with the last error. */
export async function eventually(check: () => void | Promise<void>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Processes whose environment serves this store (git http-backend and the git it runs): read from /proc. */
export function backendPids(gitdir: string): number[] {
  const mark = `GIT_PROJECT_ROOT=${gitdir}\0`;
  const pids: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').includes(mark)) pids.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** POST a body to a URL with the token; resolves with the status and the answer's text. */
export function rawPost(url: string, body: Buffer, token: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-git-receive-pack-request', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * What a receive cut off by kill -9 leaves in a store: native `git receive-pack`,
 * given a ref update and the start of a pack, is killed once its quarantine
 * folder (objects/tmp_objdir-incoming-*) exists.
 */
export async function interruptedReceive(gitdir: string, newOid: string): Promise<string> {
  const child = spawn('git', ['receive-pack', gitdir], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.stdout.resume();
  const command = `0000000000000000000000000000000000000000 ${newOid} refs/hosts/cut/companies/X\0report-status\n`;
  const pkt = `${(command.length + 4).toString(16).padStart(4, '0')}${command}0000`;
  // A pack header announcing 5 objects, then nothing: receive-pack waits for the rest.
  child.stdin.write(Buffer.concat([Buffer.from(pkt), Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 5])]));
  const objects = path.join(gitdir, 'objects');
  let found = '';
  await eventually(() => {
    found = fs.readdirSync(objects).find((n) => n.startsWith('tmp_objdir-incoming-')) ?? '';
    if (!found) throw new Error(`no quarantine folder in ${objects} yet`);
  }, 10_000);
  await new Promise<void>((r) => {
    child.once('close', () => r());
    child.kill('SIGKILL');
  });
  child.stdin.destroy();
  return path.join(objects, found);
}
