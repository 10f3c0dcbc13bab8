// docs/DECISIONS.md "Passwords": argon2id PHC strings, wrapped legacy digests, upgrade, no truncation.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { isLegacyDigest } from '../../../src/core/ports/passwords.js';
import { createPasswordHasher } from '../../../src/infra/hashing/passwords.js';

const hasher = createPasswordHasher({ memoryKib: 19_456, iterations: 2 });

test('a plaintext password is stored as an argon2id PHC string at the configured cost', async () => {
  const stored = await hasher.hash('correct horse');
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.deepEqual(await hasher.verify(stored, 'correct horse'), { ok: true, needsUpgrade: false });
  assert.deepEqual(await hasher.verify(stored, 'correct horse '), { ok: false, needsUpgrade: false });
});

test('a legacy digest is stored wrapped, verifies the plaintext, asks for an upgrade, and is not itself a password', async () => {
  const digest = createHash('md5').update('pässword', 'utf8').digest('hex').toUpperCase();
  const stored = await hasher.hashLegacyDigest('md5', digest);
  assert.match(stored, /^md5:\$argon2id\$/);
  assert.ok(!stored.includes(digest) && !stored.includes(digest.toLowerCase()));
  assert.deepEqual(await hasher.verify(stored, 'pässword'), { ok: true, needsUpgrade: true });
  assert.equal((await hasher.verify(stored, digest)).ok, false);
  assert.equal((await hasher.verify(stored, digest.toLowerCase())).ok, false);
});

test('a hash at a lower cost than configured asks for an upgrade', async () => {
  const weak = await createPasswordHasher({ memoryKib: 8192, iterations: 1 }).hash('pw');
  assert.deepEqual(await hasher.verify(weak, 'pw'), { ok: true, needsUpgrade: true });
});

test('an unreadable stored hash never verifies', async () => {
  assert.equal((await hasher.verify('garbage', 'garbage')).ok, false);
  assert.equal((await hasher.verify('sha1:garbage', 'x')).ok, false);
});

test('legacy digests must be hex of the right length for their type', () => {
  assert.ok(isLegacyDigest('sha1', 'a'.repeat(40)));
  assert.ok(isLegacyDigest('sha256', 'A'.repeat(64)));
  assert.ok(!isLegacyDigest('sha1', 'a'.repeat(39)));
  assert.ok(!isLegacyDigest('md5', 'g'.repeat(32)));
});

test('hashing does not block the event loop', async () => {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 1);
  await Promise.all(Array.from({ length: 8 }, (_, i) => hasher.hash(`pw${i}`)));
  clearInterval(timer);
  assert.ok(ticks >= 5, `the event loop ran ${ticks} timer ticks while hashing`);
});
