// The master key: the file `ssod master-key generate` writes, and the sealing of the
// private keys that a PostgreSQL store holds.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { generateMasterKeyFile, readMasterKeyFile } from '../../../src/infra/keys/masterKey.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-mk-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const fresh = (): string => path.join(dir, `key-${++counter}`);
const SECRET = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';

test('generate writes one owner-only line and refuses to overwrite an existing file', async () => {
  const file = fresh();
  const key = await generateMasterKeyFile(file);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /^ssod-master-key-v1:[A-Za-z0-9_-]{43}\n$/);
  assert.equal((await readMasterKeyFile(file)).id, key.id);
  const before = readFileSync(file, 'utf8');
  await assert.rejects(generateMasterKeyFile(file), /already exists; a master key is never overwritten/);
  assert.equal(readFileSync(file, 'utf8'), before);
});

test('two generated keys differ', async () => {
  assert.notEqual((await generateMasterKeyFile(fresh())).id, (await generateMasterKeyFile(fresh())).id);
});

test('reading refuses a missing, loose or malformed file with what to do, never showing the key', async () => {
  const missing = fresh();
  await assert.rejects(readMasterKeyFile(missing), new RegExp(`does not exist: make one with \`ssod master-key generate ${missing}\``));

  const loose = fresh();
  await generateMasterKeyFile(loose);
  chmodSync(loose, 0o644);
  await assert.rejects(readMasterKeyFile(loose), (error: Error) => {
    assert.match(error.message, /readable by others \(mode 644\): run chmod 600/);
    assert.ok(!error.message.includes(readFileSync(loose, 'utf8').trim().split(':')[1] ?? '-'));
    return true;
  });

  for (const contents of ['', 'hello\n', 'ssod-master-key-v1:short\n', `ssod-master-key-v1:${'A'.repeat(44)}\n`]) {
    const bad = fresh();
    writeFileSync(bad, contents, { mode: 0o600 });
    await assert.rejects(readMasterKeyFile(bad), /is not an ssod master key/);
  }
});

test('seal and unseal: round trip, never the plaintext, a fresh IV each time', async () => {
  const key = await generateMasterKeyFile(fresh());
  const sealed = key.seal(SECRET, 'ca');
  assert.match(sealed, new RegExp(`^v1\\.${key.id}\\.[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
  assert.ok(!sealed.includes('PRIVATE KEY') && !sealed.includes('MIGHAgEAMBMG'));
  assert.notEqual(key.seal(SECRET, 'ca'), sealed);
  assert.equal(key.unseal(sealed, 'ca'), SECRET);
});

test('unseal refuses another record, another key, a changed byte and a shortened tag', async () => {
  const key = await generateMasterKeyFile(fresh());
  const other = await generateMasterKeyFile(fresh());
  const sealed = key.seal(SECRET, 'ca');
  assert.throws(() => key.unseal(sealed, 'server'), /damaged/);
  assert.throws(() => other.unseal(sealed, 'ca'), /sealed with another master key .*every node must use the same master key file/);

  const parts = sealed.split('.');
  const body = Buffer.from(parts[3] ?? '', 'base64url');
  body[0] = (body[0] ?? 0) ^ 1;
  assert.throws(() => key.unseal([...parts.slice(0, 3), body.toString('base64url'), parts[4]].join('.'), 'ca'), /damaged/);
  const tag = Buffer.from(parts[4] ?? '', 'base64url')
    .subarray(0, 4)
    .toString('base64url');
  assert.throws(() => key.unseal([...parts.slice(0, 4), tag].join('.'), 'ca'), /damaged/);
  assert.throws(() => key.unseal('plain text', 'ca'), /not in a format/);
});
