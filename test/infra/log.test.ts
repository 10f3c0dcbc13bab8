// The log's line format and stdout's batching (infra/log.ts): every line is a whole JSON object;
// batches never pass PIPE_BUF, keep the order of the lines, and a warning or an error is written at
// once with what was batched before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BATCH_DELAY_MS, batchingSink, createLogger, formatLine } from '../../src/infra/log.js';
import { eventually } from '../helpers/eventually.js';

test('a line is one JSON object: time, level and msg first, then the fields; undefined fields left out', () => {
  const line = formatLine('info', 'request "x"', { requestId: 'r-1', status: 200, ms: 0.5, caller: undefined, ok: true, none: null });
  assert.ok(line.endsWith('}\n'));
  assert.equal(line.split('\n').length, 2, 'one line');
  const parsed = JSON.parse(line) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['time', 'level', 'msg', 'requestId', 'status', 'ms', 'ok', 'none']);
  assert.equal(parsed.msg, 'request "x"');
  assert.equal(parsed.level, 'info');
  assert.ok(Math.abs(Date.parse(String(parsed.time)) - Date.now()) < 60_000);
  const { time, ...rest } = JSON.parse(formatLine('warn', 'm', {})) as Record<string, unknown>;
  assert.equal(typeof time, 'string');
  assert.deepEqual(rest, { level: 'warn', msg: 'm' });
  assert.equal(Object.keys(JSON.parse(formatLine('error', 'm', undefined)) as object).length, 3);
});

test("F45: a client's text in a line (a login with U+202E, C1 controls, a line separator) is written as \\u escapes, and parses back to itself", () => {
  const login = 'mallory\u202E\n{"level":"info"}\u0085\u009B31m\u2028\u{E0001}\u007F';
  for (const line of [formatLine('warn', `login ${login}`, { login }), formatLine('info', login, undefined)]) {
    assert.equal(line.split('\n').length, 2, 'one line');
    assert.doesNotMatch(line.slice(0, -1), /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    assert.match(line, /mallory\\u202e\\n\{\\"level\\":\\"info\\"\}\\u0085\\u009b31m\\u2028\\udb40\\udc01\\u007f/);
  }
  const parsed = JSON.parse(formatLine('warn', `login ${login}`, { login })) as Record<string, unknown>;
  assert.equal(parsed.msg, `login ${login}`);
  assert.equal(parsed.login, login);
});

test('batches: info lines wait at most the batch delay, a warning goes at once after them, no write passes 4096 bytes, order kept', async () => {
  const writes: string[] = [];
  const { sink, flush } = batchingSink((text) => writes.push(text));
  const log = createLogger('debug', sink);
  log.info('first', { n: 1 });
  log.debug('second', { n: 2 });
  assert.equal(writes.length, 0, 'info and debug lines wait');
  log.warn('third', { n: 3 });
  assert.equal(writes.length, 1, 'a warning is written at once');
  assert.deepEqual(
    writes[0]
      ?.trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { msg: string }).msg),
    ['first', 'second', 'third'],
  );
  log.info('later');
  await eventually(() => writes.length === 2, { timeoutMs: 10 * BATCH_DELAY_MS + 5_000, intervalMs: 5 });
  for (let i = 0; i < 500; i += 1) log.info('many', { i, padding: 'x'.repeat(50) });
  log.error('end');
  const after = writes.slice(2);
  assert.ok(after.length > 1, 'split into several writes');
  for (const text of after) {
    assert.ok(Buffer.byteLength(text) <= 4096, `a write of ${Buffer.byteLength(text)} bytes`);
    assert.ok(text.endsWith('\n'), 'whole lines only');
  }
  const numbers = after
    .join('')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { i?: number });
  assert.deepEqual(
    numbers.slice(0, -1).map((line) => line.i),
    Array.from({ length: 500 }, (_, i) => i),
  );
  flush();
});
