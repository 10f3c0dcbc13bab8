// The certificate authority kept in the store: what every node of a PostgreSQL
// installation shares, the private keys sealed with the master key. Run on both engines; only
// PostgreSQL shows nodes really racing to create the CA on an empty database.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CertificateAuthority } from '../../../src/infra/keys/authority.js';
import { storePlace } from '../../../src/infra/keys/material.js';
import { generateMasterKeyFile, type MasterKey } from '../../../src/infra/keys/masterKey.js';
import { openPostgresStore } from '../../../src/infra/store/postgres.js';
import { openSqliteStore } from '../../../src/infra/store/sqlite.js';
import type { Store } from '../../../src/core/store/index.js';
import { createSchema, droppingOnClose, postgresSuite } from '../../helpers/postgres.js';

const HOST = '127.0.0.1';
const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-ca-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let keys = 0;
const newMasterKey = (): Promise<MasterKey> => generateMasterKeyFile(path.join(dir, `master-${++keys}.key`));

function caStoreTests(open: () => Promise<Store>): void {
  async function withStore(body: (store: Store, masterKey: MasterKey) => Promise<void>): Promise<void> {
    const store = await open();
    try {
      await body(store, await newMasterKey());
    } finally {
      await store.close();
    }
  }

  test('the first open creates the CA and the server certificate in the store, private keys sealed', () =>
    withStore(async (store, masterKey) => {
      const ca = await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now);
      const stored = await store.getKeyMaterial('ca');
      assert.equal(stored?.certificatePem, ca.certificatePem);
      const server = await store.getKeyMaterial('server');
      assert.equal(server?.certificatePem, ca.serverCredentials().cert);
      for (const record of [stored, server]) {
        assert.ok(!record.sealedKey.includes('PRIVATE KEY'));
        assert.ok(record.sealedKey.startsWith(`v1.${masterKey.id}.`));
      }
      const keyBody = ca.serverCredentials().key.split('\n')[1] ?? '-';
      assert.ok(!JSON.stringify(server).includes(keyBody), 'the server key is not in the store in the clear');
    }));

  test('every later open, on any node, gets the same CA and server certificate', () =>
    withStore(async (store, masterKey) => {
      const first = await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now);
      const second = await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now);
      assert.equal(second.certificatePem, first.certificatePem);
      assert.deepEqual(second.serverCredentials(), first.serverCredentials());
    }));

  test('several nodes opening an empty store at once end up with one CA and one server certificate', () =>
    withStore(async (store, masterKey) => {
      const nodes = await Promise.all(
        Array.from({ length: 4 }, () => CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now)),
      );
      assert.equal(new Set(nodes.map((node) => node.certificatePem)).size, 1);
      assert.equal(new Set(nodes.map((node) => node.serverCredentials().cert)).size, 1);
      assert.equal((await store.getKeyMaterial('ca'))?.certificatePem, nodes[0]?.certificatePem);
    }));

  test('a node with another master key is refused with a message saying so', () =>
    withStore(async (store, masterKey) => {
      await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now);
      const stranger = await newMasterKey();
      await assert.rejects(
        CertificateAuthority.openIn(storePlace(store, stranger, Date.now), HOST, Date.now),
        /sealed with another master key/,
      );
    }));

  test('a new host name re-issues the server certificate once; another node then serves the same one', () =>
    withStore(async (store, masterKey) => {
      const first = await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), HOST, Date.now);
      const renamed = await first.setHostname('sso.example.com');
      const second = await CertificateAuthority.openIn(storePlace(store, masterKey, Date.now), 'sso.example.com', Date.now);
      assert.deepEqual(second.serverCredentials(), renamed);
      assert.equal((await store.getKeyMaterial('server'))?.certificatePem, renamed.cert);
    }));
}

describe('CA in the store: sqlite', () => caStoreTests(() => openSqliteStore(':memory:')));

postgresSuite('CA in the store: postgres', () =>
  caStoreTests(async () => {
    const schema = await createSchema();
    return droppingOnClose(await openPostgresStore(schema.url, { poolSize: 4 }), schema);
  }),
);
