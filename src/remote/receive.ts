/**
 * What `library serve` does around a push before and after git sees it: the
 * request body is spooled whole to a file first (git never reads a cut-off
 * body, and a slow client holds no lock), checked to be a receive-pack request
 * with an intact pack, and leftovers of receives that were cut off are removed
 * when the server starts. The ref rules themselves are the pre-receive hook's,
 * shared with pushes over ssh.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { RECEIVE_CHECK_PATH, renderHook } from '../hooks/install.js';
import type { Store } from '../store/store.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseReceiveRequest, type ReceiveRequest } from './pktline.js';
import { ZERO_OID } from './ref-rules.js';

export const spoolDir = (store: Store) => path.join(store.dataDir, 'serve-spool');
export const serveHooksDir = (store: Store) => path.join(store.dataDir, 'serve-hooks');

/** A receive-pack request's list of refs fits in this many bytes (about 80,000 refs). */
const MAX_COMMANDS_BYTES = 8 * 1024 * 1024;

/**
 * Remove what receives cut off by a crash or kill left: git's quarantine folders
 * (`objects/tmp_objdir-incoming-*`) and our spooled bodies. Returns what was removed.
 */
export function cleanLeftovers(store: Store): string[] {
  const removed: string[] = [];
  const objects = path.join(store.gitdir, 'objects');
  for (const name of fs.existsSync(objects) ? fs.readdirSync(objects) : []) {
    if (!name.startsWith('tmp_objdir-incoming-')) continue;
    fs.rmSync(path.join(objects, name), { recursive: true, force: true });
    removed.push(path.join(objects, name));
  }
  const spool = spoolDir(store);
  for (const name of fs.existsSync(spool) ? fs.readdirSync(spool) : []) {
    fs.rmSync(path.join(spool, name), { force: true });
    removed.push(path.join(spool, name));
  }
  fs.mkdirSync(spool, { recursive: true, mode: 0o700 });
  return removed;
}

/** The hooks folder the backend runs with (core.hooksPath): our pre-receive only, written fresh at each start. */
export function writeServeHooks(store: Store): string {
  const dir = serveHooksDir(store);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(path.join(dir, 'pre-receive'), renderHook('pre-receive', { NODE: process.execPath, CHECK: RECEIVE_CHECK_PATH }), 0o755);
  return dir;
}

/** A request body larger than the server takes (`serve --max-body-bytes`), counted after decoding. */
export class BodyTooLargeError extends Error {}

/**
 * The whole request body into `file` (a gzip-encoded push decoded); resolves with
 * its length. Past `maxBytes` nothing more is written (the rest is read and
 * dropped, so the pusher still gets its answer) and the file is removed: a
 * pusher, or a gzip bomb, cannot fill the disk.
 */
export async function spool(req: http.IncomingMessage, file: string, gunzip: boolean, maxBytes: number): Promise<number> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new BodyTooLargeError(`the request body is ${declared} bytes, over the server's limit of ${maxBytes} (serve --max-body-bytes)`);
  let bytes = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, next) {
      bytes += chunk.length;
      next(null, bytes > maxBytes ? undefined : chunk);
    },
  });
  const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
  await (gunzip ? pipeline(req, zlib.createGunzip(), cap, out) : pipeline(req, cap, out));
  if (bytes > maxBytes) {
    fs.rmSync(file, { force: true });
    throw new BodyTooLargeError(`the request body is ${bytes} bytes${gunzip ? ' decoded' : ''}, over the server's limit of ${maxBytes} (serve --max-body-bytes)`);
  }
  return bytes;
}

/** The spooled push's commands, or why it is not a push: a garbled list of refs, or a pack that is cut off or damaged. */
export async function checkPush(file: string): Promise<ReceiveRequest | string> {
  const size = fs.statSync(file).size;
  const head = Buffer.alloc(Math.min(size, MAX_COMMANDS_BYTES));
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const request = parseReceiveRequest(head, size);
  if (typeof request === 'string' || request.packAt === size) return request;
  // A pack ends with the SHA-1 of everything before it: a cut-off or damaged pack fails here.
  const hash = createHash('sha1');
  for await (const chunk of fs.createReadStream(file, { start: request.packAt, end: size - 21 })) hash.update(chunk as Buffer);
  const trailer = Buffer.alloc(20);
  const tfd = fs.openSync(file, 'r');
  try {
    fs.readSync(tfd, trailer, 0, 20, size - 20);
  } finally {
    fs.closeSync(tfd);
  }
  return hash.digest().equals(trailer) ? request : 'its pack is cut off or damaged (the checksum at its end does not match)';
}

/** Whether the push moved any ref (a refused or empty push starts no sync). */
export async function anyUpdated(store: Store, request: ReceiveRequest): Promise<boolean> {
  for (const c of request.commands) if (c.new !== ZERO_OID && (await store.readRef(c.ref)) === c.new) return true;
  return false;
}
