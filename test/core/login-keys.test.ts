// Login keys stored before logins were PRECIS usernames (NFC and lower case) are brought to their
// PRECIS form when a server starts, on both engines: a login with fullwidth forms is then found by
// its folded form, and an old look-alike of another login, or a login the rules refuse, keeps its
// user, found by id.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { freshInstallation, type Engine, type Installation } from '../helpers/installation.js';
import { postgresSuite } from '../helpers/postgres.js';
import { call, registerApp, type TestServer } from '../helpers/server.js';

const PASSWORD = 'correct horse battery staple';

function loginKeyTests(engine: Engine): void {
  let inst: Installation;
  let ts: TestServer;
  let sashaId: string;
  const legacy = { bob: randomUUID(), sashaLookAlike: randomUUID(), zeroWidth: randomUUID() };
  before(async () => {
    inst = await freshInstallation({ engine });
    const first = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    const app = await registerApp(first, 'https://panel.example.com:8443/', 'panel');
    sashaId =
      (await call(first, 'createUser', { login: 'sasha@example.com', password: PASSWORD }, { credentials: app.credentials })).field(
        'userId',
      ) ?? '';
    const store = first.server.services.store;
    const sasha = await store.getUser(sashaId);
    assert.ok(sasha !== null);
    // Rows as an older ssod wrote them: the key is the login in NFC, lower case.
    const old = (id: string, login: string) => store.insertUser({ ...sasha, id, login, loginKey: login.normalize('NFC').toLowerCase() });
    await old(legacy.bob, 'ｂｏｂ@example.com');
    await old(legacy.sashaLookAlike, 'ｓａｓｈａ@example.com');
    await old(legacy.zeroWidth, 'zoe\u200B@example.com');
    await first.close();
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const signIn = async (login: string) => (await call(ts, 'authenticate', { login, password: PASSWORD })).field('userId');

  test(`F44 (${engine}): a login stored with fullwidth forms is found by its folded form after the upgrade, and by itself`, async () => {
    assert.equal(await signIn('bob@example.com'), legacy.bob);
    assert.equal(await signIn('ｂｏｂ@example.com'), legacy.bob);
    assert.equal((await ts.server.services.store.readSettings()).loginKeyForm, 'precis-usernamecasemapped');
  });

  test(`F44 (${engine}): an old look-alike of a login, or a login the rules refuse, keeps its user (found by id) and is named in the log`, async () => {
    assert.equal(await signIn('ｓａｓｈａ@example.com'), sashaId);
    assert.equal((await call(ts, 'authenticate', { login: 'zoe\u200B@example.com', password: PASSWORD })).fault, 'invalidParameter');
    for (const id of [legacy.sashaLookAlike, legacy.zeroWidth]) {
      assert.notEqual(await ts.server.services.store.getUser(id), null);
      assert.ok(
        ts.logRecords().some((record) => record.level === 'warn' && record.userId === id),
        id,
      );
    }
  });
}

describe('login keys: sqlite', () => loginKeyTests('sqlite'));
postgresSuite('login keys: postgres', () => loginKeyTests('postgres'));
