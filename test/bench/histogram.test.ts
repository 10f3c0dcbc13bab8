// The bench's latency histogram keeps HdrHistogram's accuracy: 3 significant digits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../../bench/histogram.js';

test('percentiles are exact below 2 ms and within 0.1 % above, up to minutes', () => {
  const h = new Histogram();
  for (let us = 1; us <= 1000; us += 1) h.record(us / 1000);
  assert.equal(h.percentile(50), 0.5);
  assert.equal(h.percentile(99), 0.99);
  assert.equal(h.max, 1);
  for (const ms of [2.5, 17.3, 450, 9_999, 120_000]) {
    const one = new Histogram();
    one.record(ms);
    const value = one.percentile(99.9);
    assert.ok(Math.abs(value - ms) / ms <= 0.001, `${ms} ms read back as ${value}`);
  }
});

test('an empty histogram reads as zero', () => {
  assert.equal(new Histogram().percentile(99), 0);
});
