// Session variables: the part of the Store contract suite (index.ts) that every engine runs: the
// declarations with their limit, the values with their version rule and the size of a session, and
// the one read of ssox:verifySession.
import assert from 'node:assert/strict';
import type { SessionVariableDeclaration, Store } from '../../../../src/core/store/index.js';
import { T0, seedApplication, seedSession, seedUser, type SessionParts, type StoreTest } from './fixtures.js';

function declaration(applicationId: string, name: string, overrides: Partial<SessionVariableDeclaration> = {}): SessionVariableDeclaration {
  return {
    applicationId,
    name,
    defaultValue: `default of ${name}`,
    maxLength: 100,
    readable: false,
    writable: false,
    createdAt: T0,
    ...overrides,
  };
}

async function seeded(store: Store): Promise<{ owner: string; other: string; otherFingerprint: string; session: SessionParts }> {
  const { app } = await seedApplication(store);
  const { app: other, cert } = await seedApplication(store);
  const user = await seedUser(store, app.id);
  return { owner: app.id, other: other.id, otherFingerprint: cert.fingerprint, session: await seedSession(store, user.id) };
}

const LIMIT = 64 * 1024;

export function sessionVariablesContract(storeTest: StoreTest): void {
  storeTest('declareSessionVariable inserts, replaces by name, lists by name; the limit counts new names only', async (store) => {
    const { owner } = await seeded(store);
    assert.equal(await store.declareSessionVariable(declaration(owner, 'theme'), 2), true);
    assert.equal(await store.declareSessionVariable(declaration(owner, 'cart'), 2), true);
    assert.equal(await store.declareSessionVariable(declaration(owner, 'third'), 2), false);
    const replaced = declaration(owner, 'theme', { defaultValue: 'dark', maxLength: 7, readable: true, writable: true });
    assert.equal(await store.declareSessionVariable(replaced, 2), true);
    assert.deepEqual(await store.listSessionVariableDeclarations(owner), [declaration(owner, 'cart'), replaced]);
    assert.deepEqual(await store.getSessionVariableDeclaration(owner, 'theme'), replaced);
    assert.equal(await store.getSessionVariableDeclaration(owner, 'third'), null);
  });

  storeTest('writeSessionVariable compares and sets the version; removing a declaration drops its values', async (store) => {
    const { owner, session } = await seeded(store);
    await store.declareSessionVariable(declaration(owner, 'cart'), 32);
    const write = { globalId: session.global.id, owner, name: 'cart', value: 'one', expectedVersion: 0, maxSessionBytes: LIMIT };
    assert.equal(await store.getSessionVariableValue(session.global.id, owner, 'cart'), null);
    assert.equal(await store.writeSessionVariable(write), true);
    assert.equal(await store.writeSessionVariable({ ...write, value: 'lost' }), false);
    assert.equal(await store.writeSessionVariable({ ...write, value: 'two', expectedVersion: 1 }), true);
    assert.equal(await store.writeSessionVariable({ ...write, value: 'late', expectedVersion: 1 }), false);
    assert.deepEqual(await store.getSessionVariableValue(session.global.id, owner, 'cart'), {
      owner,
      name: 'cart',
      value: 'two',
      version: 2,
    });
    assert.equal(await store.writeSessionVariable({ ...write, name: 'undeclared' }), false);
    assert.equal(await store.writeSessionVariable({ ...write, globalId: 'no-such-session' }), false);
    assert.equal(await store.removeSessionVariableDeclaration(owner, 'cart'), true);
    assert.equal(await store.removeSessionVariableDeclaration(owner, 'cart'), false);
    assert.equal(await store.getSessionVariableValue(session.global.id, owner, 'cart'), null);
  });

  storeTest('of two writers racing with the same version, exactly one wins, whatever the version', async (store) => {
    const { owner, session } = await seeded(store);
    await store.declareSessionVariable(declaration(owner, 'cart'), 32);
    const write = { globalId: session.global.id, owner, name: 'cart', expectedVersion: 0, maxSessionBytes: LIMIT };
    for (let round = 0; round < 5; round += 1) {
      const outcomes = await Promise.all([
        store.writeSessionVariable({ ...write, expectedVersion: round, value: `a${round}` }),
        store.writeSessionVariable({ ...write, expectedVersion: round, value: `b${round}` }),
      ]);
      assert.equal(outcomes.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(outcomes)}`);
      const stored = await store.getSessionVariableValue(session.global.id, owner, 'cart');
      assert.equal(stored?.version, round + 1);
      assert.equal(stored.value, outcomes[0] ? `a${round}` : `b${round}`);
    }
  });

  storeTest('a session holds at most maxSessionBytes of values (UTF-8), also against writers racing', async (store) => {
    const { owner, session } = await seeded(store);
    for (const name of ['a', 'b', 'c']) await store.declareSessionVariable(declaration(owner, name, { maxLength: 4096 }), 32);
    const write = { globalId: session.global.id, owner, expectedVersion: 0, maxSessionBytes: 10 };
    assert.equal(await store.writeSessionVariable({ ...write, name: 'a', value: 'ä'.repeat(3) }), true); // 6 bytes
    assert.equal(await store.sessionVariableBytes(session.global.id), 6);
    assert.equal(await store.writeSessionVariable({ ...write, name: 'b', value: '12345' }), false);
    // Replacing a value counts its new size only.
    assert.equal(await store.writeSessionVariable({ ...write, name: 'a', expectedVersion: 1, value: '1234567890' }), true);
    assert.equal(await store.writeSessionVariable({ ...write, name: 'a', expectedVersion: 2, value: '' }), true);
    const outcomes = await Promise.all([
      store.writeSessionVariable({ ...write, name: 'b', value: '123456' }),
      store.writeSessionVariable({ ...write, name: 'c', value: '123456' }),
    ]);
    assert.equal(outcomes.filter(Boolean).length, 1);
    assert.equal(await store.sessionVariableBytes(session.global.id), 6);
  });

  storeTest('writeSessionVariables sets several values at once, each a version up, or none', async (store) => {
    const { owner, session } = await seeded(store);
    for (const name of ['a', 'b']) await store.declareSessionVariable(declaration(owner, name), 32);
    const values = [
      { name: 'a', value: 'x' },
      { name: 'b', value: 'y' },
    ];
    assert.equal(await store.writeSessionVariables(session.global.id, owner, values, LIMIT), true);
    assert.equal(await store.writeSessionVariables(session.global.id, owner, [{ name: 'a', value: 'z' }], LIMIT), true);
    assert.equal((await store.getSessionVariableValue(session.global.id, owner, 'a'))?.version, 2);
    assert.equal(
      await store.writeSessionVariables(
        session.global.id,
        owner,
        [
          { name: 'b', value: 'w' },
          { name: 'gone', value: '' },
        ],
        LIMIT,
      ),
      false,
    );
    assert.deepEqual(await store.getSessionVariableValue(session.global.id, owner, 'b'), { owner, name: 'b', value: 'y', version: 1 });
    assert.equal(await store.writeSessionVariables(session.global.id, owner, [{ name: 'b', value: 'far too long' }], 5), false);
  });

  storeTest(
    'findCertificateSessionAndVariables reads what the caller may read, defaults included; markLocalSessionVerified once',
    async (store) => {
      const { owner, other, otherFingerprint, session } = await seeded(store);
      await store.declareSessionVariable(declaration(owner, 'published', { readable: true }), 32);
      await store.declareSessionVariable(declaration(owner, 'private'), 32);
      await store.declareSessionVariable(declaration(other, 'mine'), 32);
      await store.writeSessionVariable({
        globalId: session.global.id,
        owner,
        name: 'published',
        value: 'v1',
        expectedVersion: 0,
        maxSessionBytes: LIMIT,
      });
      const read = await store.findCertificateSessionAndVariables(otherFingerprint, session.local.idHash);
      assert.equal(read.certificate?.applicationId, other);
      assert.equal(read.session?.global.id, session.global.id);
      assert.equal(read.firstVerifiedAt, null);
      const expected = [
        { owner: other, name: 'mine', value: 'default of mine', version: 0 },
        { owner, name: 'published', value: 'v1', version: 1 },
      ].sort((a, b) => (a.owner < b.owner ? -1 : 1));
      assert.deepEqual(read.variables, expected);
      assert.equal(await store.markLocalSessionVerified(session.local.idHash, T0 + 5), true);
      assert.equal(await store.markLocalSessionVerified(session.local.idHash, T0 + 6), false);
      assert.equal((await store.findCertificateSessionAndVariables(otherFingerprint, session.local.idHash)).firstVerifiedAt, T0 + 5);
      const none = await store.findCertificateSessionAndVariables(otherFingerprint, 'no-such-session');
      assert.equal(none.session, null);
      assert.deepEqual(none.variables, []);
    },
  );
}
