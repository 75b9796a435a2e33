/**
 * PURE: the two small pieces of git's receive-pack protocol that isomorphic-git
 * does not expose for a multi-ref push: the command list sent before the pack,
 * and the `report-status` answer (gitprotocol-pack(5), "Pushing data to a server").
 */

/** One pkt-line: 4 hex digits of total length, then the payload. */
export function pktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.length > 65516) throw new Error(`pkt-line payload too long (${body.length} bytes)`);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}

export const FLUSH = Buffer.from('0000', 'ascii');

export interface Command {
  old: string;
  new: string;
  ref: string;
}

/** The command section of a receive-pack request: capabilities ride on the first line, then a flush. */
export function receivePackCommands(commands: readonly Command[], capabilities: readonly string[]): Buffer {
  if (commands.length === 0) throw new Error('receive-pack request without commands');
  const lines = commands.map((c, i) => pktLine(`${c.old} ${c.new} ${c.ref}${i === 0 ? `\0${capabilities.join(' ')}` : ''}\n`));
  return Buffer.concat([...lines, FLUSH]);
}

/** Payloads of the pkt-lines in `buf` up to the first flush (or the end). */
export function readPktLines(buf: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = parseInt(buf.toString('ascii', at, at + 4), 16);
    if (Number.isNaN(len)) throw new Error(`malformed pkt-line at byte ${at}: ${JSON.stringify(buf.toString('latin1', at, at + 4))}`);
    if (len === 0) break;
    if (len < 4 || at + len > buf.length) throw new Error(`truncated pkt-line at byte ${at}`);
    out.push(buf.toString('utf8', at + 4, at + len).replace(/\n$/, ''));
    at += len;
  }
  return out;
}

export interface ReportStatus {
  /** `ok`, or the server's reason the pack was not unpacked. */
  unpack: string;
  refs: Map<string, { ok: boolean; reason: string | null }>;
}

/** Parse `unpack ok` / `ok <ref>` / `ng <ref> <reason>` lines. */
export function parseReportStatus(buf: Buffer): ReportStatus {
  const lines = readPktLines(buf);
  const first = lines.shift();
  if (!first?.startsWith('unpack ')) throw new Error(`the server did not report the push status (got ${JSON.stringify(first ?? buf.toString('latin1', 0, 80))})`);
  const refs: ReportStatus['refs'] = new Map();
  for (const line of lines) {
    const m = /^(ok|ng) (\S+)(?: (.*))?$/.exec(line);
    if (m) refs.set(m[2], { ok: m[1] === 'ok', reason: m[1] === 'ng' ? (m[3] ?? 'rejected') : null });
  }
  return { unpack: first.slice('unpack '.length), refs };
}

export interface ReceiveRequest {
  commands: Command[];
  /** Where the pack starts (the end of the request when every command is a deletion, which needs no pack). */
  packAt: number;
}

const ZERO = '0'.repeat(40);

/**
 * The head of a receive-pack request (gitprotocol-pack(5), "Reference Update
 * Request"): the commands up to the flush, then `PACK` and version 2 or 3 unless
 * every command is a deletion. Anything else (shallow lines, push certificates,
 * push options: none is advertised) is not a push we take. `head` is the first
 * bytes of the request, `total` its length.
 */
export function parseReceiveRequest(head: Buffer, total: number): ReceiveRequest | string {
  const commands: Command[] = [];
  let at = 0;
  for (;;) {
    if (at + 4 > head.length) return at + 4 > total ? 'it ends before the list of refs does' : 'its list of refs is too long';
    const len = parseInt(head.toString('latin1', at, at + 4), 16);
    if (!/^[0-9a-f]{4}$/.test(head.toString('latin1', at, at + 4)) || (len > 0 && len < 5)) {
      return `it does not start with git's pkt-lines (${JSON.stringify(head.toString('latin1', at, at + 8))})`;
    }
    if (len === 0) break;
    if (at + len > head.length) return at + len > total ? 'it ends inside its list of refs' : 'its list of refs is too long';
    const line = head.toString('utf8', at + 4, at + len).replace(/\n$/, '').split('\0')[0];
    const m = /^([0-9a-f]{40}) ([0-9a-f]{40}) (refs\/\S+)$/.exec(line);
    if (!m) return `${JSON.stringify(line.slice(0, 80))} is not a ref update`;
    commands.push({ old: m[1], new: m[2], ref: m[3] });
    at += len;
  }
  at += 4;
  // A lone flush is git's probe before a large (chunked) push: it checks the credentials and updates nothing.
  if (commands.length === 0) return at === total ? { commands, packAt: at } : 'it updates no ref';
  if (commands.every((c) => c.new === ZERO)) return at === total ? { commands, packAt: at } : 'it has data after its deletions';
  if (total - at < 32 || head.length < at + 8) return 'it carries no pack';
  const version = head.readUInt32BE(at + 4);
  if (head.toString('latin1', at, at + 4) !== 'PACK' || (version !== 2 && version !== 3)) return 'what follows the list of refs is not a git pack';
  return { commands, packAt: at };
}
