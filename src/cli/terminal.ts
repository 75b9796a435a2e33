/**
 * The two audiences of stderr (SPEC.md, "Output"). A person at a terminal gets
 * short lines (`warning: …`, `error: …`, coloured unless NO_COLOR), each said
 * once, and a progress line redrawn in place; anything else (launchd, a hook,
 * a pipe, --log-file) gets pino JSON lines (src/log.ts). stdout is the
 * command's own output either way.
 */
import type { SyncContext } from '../sync.js';

/** A person is reading stderr. */
export const isTerminal = Boolean(process.stderr.isTTY);
const colour = isTerminal && !process.env.NO_COLOR; // https://no-color.org: set and not empty
const paint = (code: string, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
const LABELS = { error: paint('1;31', 'error:'), warning: paint('33', 'warning:'), info: paint('2', 'info:'), debug: paint('2', 'debug:') };
export type Kind = keyof typeof LABELS;
export const label = (kind: Kind): string => LABELS[kind];

const said = new Set<string>();

/** One human line on stderr; a warning or error already said in this run is not said again. An error names the log file. */
export function say(kind: Kind, message: string, logFile?: string): void {
  const key = `${kind} ${message}`;
  if ((kind === 'error' || kind === 'warning') && said.has(key)) return;
  said.add(key);
  const redraw = statusShown;
  eraseStatus();
  process.stderr.write(`${LABELS[kind]} ${message}${kind === 'error' && logFile ? ` (log: ${logFile})` : ''}\n`);
  if (redraw) drawStatus();
}

/** The error that ends a command, or a failure it reports: `error: …` for a person, `<bin>: …` for a log. */
export function sayError(bin: string, message: string, logFile?: string): void {
  if (isTerminal) say('error', message, logFile);
  else process.stderr.write(`${bin}: ${message}\n`);
}

/** A failure the command's summary on stdout states too: said on stderr as well, unless both go to the same terminal. */
export function sayFailure(bin: string, message: string, logFile?: string): void {
  if (!(isTerminal && process.stdout.isTTY)) sayError(bin, message, logFile);
}

// The status line: shown once the command has run for about a second, redrawn in place, erased before a line is said and when the run ends.
const DELAY_MS = Number(process.env.LIBRARY_SYNC_TEST_PROGRESS_MS ?? 1000); // test-only knob: show it at once
let statusText = '';
let statusShown = false;
let statusTimer: NodeJS.Timeout | undefined;

function drawStatus(): void {
  const width = Math.max(20, (process.stderr.columns || 80) - 1); // a wrapped line could not be redrawn with \r
  const text = [...statusText].length > width ? `${[...statusText].slice(0, width - 1).join('')}…` : statusText;
  process.stderr.write(`\r\x1b[2K${text}`);
  statusShown = true;
}

function eraseStatus(): void {
  if (statusShown) process.stderr.write('\r\x1b[2K');
  statusShown = false;
}

export function setStatus(text: string): void {
  if (!isTerminal) return;
  statusText = text;
  // Checked at each update (much of a scan is synchronous: a timer would wait for it), and by a timer for a long wait.
  const wait = DELAY_MS - performance.now(); // since the process started
  if (wait <= 0) drawStatus();
  else statusTimer ??= setTimeout(() => statusText && drawStatus(), wait).unref();
}

export function clearStatus(): void {
  statusText = '';
  eraseStatus();
}

/** runSync's `onCompanyDone` as the status line ("companies: 12/40 done, last CodeCraft"), erased after the last company. */
export function companyProgress(): NonNullable<SyncContext['onCompanyDone']> {
  return (outcome, done, total) => (done >= total ? clearStatus() : setStatus(`companies: ${done}/${total} done, last ${outcome.name}`));
}

/** The status before the first company is done: runSync reads every company before it plans and writes any. */
export const READING = 'reading the library and the companies';
