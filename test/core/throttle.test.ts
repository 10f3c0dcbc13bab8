// The pure parts of brute-force protection: what a source address is counted under, and how long a
// lock lasts. (The rules at work are tested over the wire in test/security/bruteforce.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lockWaitMs, sourceAddress } from '../../src/core/throttle.js';

test('IPv4 sources are counted as written, also when IPv4-mapped', () => {
  assert.equal(sourceAddress('192.0.2.7'), '192.0.2.7');
  assert.equal(sourceAddress('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(sourceAddress('::FFFF:192.0.2.7'), '192.0.2.7');
});

test('IPv6 sources are counted by their /64 prefix, however the address is written', () => {
  const prefix = '2001:db8:1:2::/64';
  for (const address of [
    '2001:db8:1:2::1',
    '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
    '2001:DB8:1:2:0:0:0:9',
    '2001:db8:1:2::1%eth0',
    '2001:db8:1:2::192.0.2.1',
  ]) {
    assert.equal(sourceAddress(address), prefix, address);
  }
  assert.equal(sourceAddress('::1'), '0:0:0:0::/64');
  assert.notEqual(sourceAddress('2001:db8:1:3::1'), prefix);
});

test('an address that is not one is kept as given (never an error), an empty one is "unknown"', () => {
  assert.equal(sourceAddress(''), 'unknown');
  assert.equal(sourceAddress('not-an-address'), 'not-an-address');
});

test('lock waits: none below the threshold, one increment more per failure past it, capped', () => {
  const wait = (failures: number): number => lockWaitMs(failures, 5, 60, 300) / 1000;
  assert.deepEqual([0, 1, 4, 5, 6, 7, 9, 10, 100].map(wait), [0, 0, 0, 60, 120, 180, 300, 300, 300]);
  assert.equal(lockWaitMs(1000, 0, 60, 300), 0, 'a threshold of 0 never locks');
});
