// Structured logging: one JSON object per line on stdout, implementing the core's Logger port.
// Callers pass only fields that are safe to log; no password, token, session id, cookie or private
// key is ever handed to the logger.
//
// Every request writes a line, so the line must cost little (docs/PERFORMANCE.md "Round two", change 1): it is
// built without copying the fields into a new object, with the time formatted once per millisecond,
// and stdout's lines are written in batches rather than one system call each. A batch is written
// when it would pass PIPE_BUF (4096 bytes: a write that size or smaller to a pipe is never
// interleaved with another process's, so the workers' lines stay whole), 50 ms after its first
// line at the latest, at once for a warning or an error (after the lines batched before it, in
// order), and when the process exits.
import type { LOG_LEVELS } from '../config/options.js';
import { printableJsonText } from '../core/identifiers.js';
import type { LogFields, Logger } from '../core/ports/logger.js';

export type { LogFields, Logger };

export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Writes whole lines; `urgent` lines (warnings, errors) must not wait behind a batch. */
export type LogSink = (line: string, urgent: boolean) => void;

/** The largest batch written at once: PIPE_BUF on Linux, the size a pipe writes without interleaving. */
const BATCH_BYTES = 4096;
/** The longest an info or debug line waits in a batch. */
export const BATCH_DELAY_MS = 50;

/** A sink that batches lines for `write` (one per process for stdout: see stdoutSink). */
export function batchingSink(write: (text: string) => void): { readonly sink: LogSink; readonly flush: () => void } {
  let batch = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (batch === '') return;
    const text = batch;
    batch = '';
    write(text);
  };
  const sink: LogSink = (line, urgent) => {
    if (batch.length + line.length > BATCH_BYTES) flush();
    batch += line;
    if (urgent || batch.length >= BATCH_BYTES) flush();
    else if (timer === null) timer = setTimeout(flush, BATCH_DELAY_MS).unref();
  };
  return { sink, flush };
}

let stdout: LogSink | null = null;

/** stdout's one batching sink, flushed when the process exits (also on an uncaught error). */
function stdoutSink(): LogSink {
  if (stdout === null) {
    const batching = batchingSink((text) => process.stdout.write(text));
    process.on('exit', batching.flush);
    stdout = batching.sink;
  }
  return stdout;
}

let clockMs = Number.NaN;
let clockText = '';

/** The time as ISO 8601, formatted again only when the millisecond changed. */
function isoNow(): string {
  const now = Date.now();
  if (now !== clockMs) {
    clockMs = now;
    clockText = new Date(now).toISOString();
  }
  return clockText;
}

/**
 * `{"time":…,"level":…,"msg":…,<fields>}` and a newline; undefined fields are left out, as JSON.stringify does.
 * A field may hold what a client sent (a login, a source's answer): DEL, C1 controls, bidirectional
 * controls and line separators in its strings are written as `\uXXXX`, as JSON.stringify writes C0
 * controls, so that the line parses to the same values and cannot turn around or split in an
 * operator's terminal (docs/SECURITY.md, case F45).
 */
export function formatLine(level: Exclude<LogLevel, 'silent'>, msg: string, fields: LogFields | undefined): string {
  const head = `{"time":"${isoNow()}","level":"${level}","msg":${JSON.stringify(msg)}`;
  if (fields === undefined) return printableJsonText(`${head}}\n`);
  const rest = JSON.stringify(fields);
  return printableJsonText(rest.length > 2 ? `${head},${rest.slice(1)}\n` : `${head}}\n`);
}

/** A logger at `level`; on stdout in batches unless another sink is given. */
export function createLogger(level: LogLevel, sink: LogSink = stdoutSink()): Logger {
  const threshold = RANK[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < threshold) return;
    sink(formatLine(lvl, msg, fields), RANK[lvl] >= RANK.warn);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}
