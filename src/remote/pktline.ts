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
