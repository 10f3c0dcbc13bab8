// The last hour minute by minute (adapters/http/minuteHistory.ts): counts add up in their minute, a
// slot of an earlier hour reads as nothing, samples keep the last value of their minute.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTES, MinuteCounts, MinuteSamples } from '../../../src/adapters/http/minuteHistory.js';

const MINUTE = 60_000;
const START = Date.UTC(2026, 11, 4, 6, 0, 0);

describe('minute history', () => {
  test('counts add up per minute, oldest first, the current minute last', () => {
    const counts = new MinuteCounts();
    counts.add(START);
    counts.add(START + 59_999, 2);
    counts.add(START + 2 * MINUTE);
    const hour = counts.lastHour(START + 2 * MINUTE + 5);
    assert.equal(hour.length, MINUTES);
    assert.deepEqual(hour.slice(-3), [3, 0, 1]);
    assert.equal(
      hour.reduce((sum, value) => sum + value, 0),
      4,
    );
  });

  test('a minute more than an hour ago is not counted, even when its slot is read again', () => {
    const counts = new MinuteCounts();
    counts.add(START, 5);
    assert.deepEqual(counts.lastHour(START + MINUTES * MINUTE), new Array<number>(MINUTES).fill(0));
    counts.add(START + MINUTES * MINUTE);
    assert.equal(counts.lastHour(START + MINUTES * MINUTE).at(-1), 1, 'the slot starts again from 0');
  });

  test('samples keep the last value of their minute; a minute without one is null', () => {
    const samples = new MinuteSamples();
    samples.set(START, 10);
    samples.set(START + 30_000, 12);
    samples.set(START + 2 * MINUTE, 7);
    assert.deepEqual(samples.lastHour(START + 2 * MINUTE).slice(-3), [12, null, 7]);
    assert.equal(samples.lastHour(START + 2 * MINUTE)[0], null);
  });
});
