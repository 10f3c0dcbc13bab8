// The store option names the engine and where its data is.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { storeLocation } from '../../../src/infra/store/location.js';

test('sqlite: alone is ssod.db in the data directory, as before the option existed', () => {
  assert.deepEqual(storeLocation('sqlite:', '/var/lib/ssod'), { engine: 'sqlite', path: path.join('/var/lib/ssod', 'ssod.db') });
  assert.deepEqual(storeLocation('sqlite:/tmp/other.db', '/var/lib/ssod'), { engine: 'sqlite', path: '/tmp/other.db' });
});

test('postgres:// and postgresql:// URLs are PostgreSQL; anything else is an error', () => {
  assert.deepEqual(storeLocation('postgres://ssod@db/ssod', '.'), { engine: 'postgres', url: 'postgres://ssod@db/ssod' });
  assert.deepEqual(storeLocation('postgresql:///ssod?host=/run/postgresql', '.'), {
    engine: 'postgres',
    url: 'postgresql:///ssod?host=/run/postgresql',
  });
  assert.throws(() => storeLocation('mongodb://db', '.'), /store must be sqlite:PATH or a postgres/);
});
