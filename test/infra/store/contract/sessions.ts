// Sessions, relay tokens and cookies: the part of the Store contract suite (index.ts) that every engine runs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  HOUR,
  MINUTE,
  T0,
  activateCertificate,
  addCertificate,
  assertSessionGone,
  certificate,
  hex64,
  seedApplication,
  seedOwnedUser,
  seedSession,
  seedUser,
  sessionParts,
  type StoreTest,
} from './fixtures.js';
import type { LocalSessionRecord } from '../../../../src/core/store/index.js';

function registerSessionTests(storeTest: StoreTest): void {
  storeTest('createSession stores the global session, its local session and its relay token', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id, { expiresAt: T0 + 7, lastSeenAt: T0 + 3 });
    assert.deepEqual(await store.getGlobalSession(parts.global.id), parts.global);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
    assert.deepEqual(await store.consumeRelayToken(parts.token.tokenHash, T0), parts.token);
  });

  storeTest('createSession stores cookie fields given at creation', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id, { cookieHash: hex64(), cookieSealedSecret: 'sealed' });
    assert.deepEqual(await store.getGlobalSession(parts.global.id), parts.global);
  });

  storeTest(
    'findCertificateAndSession reads the certificate, the url of its application and the session together, each or both absent',
    async (store) => {
      const { app, cert } = await seedApplication(store);
      const owner = await seedUser(store, app.id);
      const parts = await seedSession(store, owner.id, {
        expiresAt: T0 + 7,
        lastSeenAt: T0 + 3,
        cookieHash: hex64(),
        cookieSealedSecret: 'sealed',
      });
      const session = { local: parts.local, global: parts.global };
      assert.deepEqual(await store.findCertificateAndSession(cert.fingerprint, parts.local.idHash), {
        certificate: cert,
        applicationUrl: app.url,
        applicationGroup: null,
        session,
      });
      assert.deepEqual(await store.findCertificateAndSession(hex64(), parts.local.idHash), {
        certificate: null,
        applicationUrl: null,
        applicationGroup: null,
        session,
      });
      assert.deepEqual(await store.findCertificateAndSession(cert.fingerprint, hex64()), {
        certificate: cert,
        applicationUrl: app.url,
        applicationGroup: null,
        session: null,
      });
      assert.deepEqual(await store.findCertificateAndSession(hex64(), hex64()), {
        certificate: null,
        applicationUrl: null,
        applicationGroup: null,
        session: null,
      });

      await activateCertificate(store, cert.fingerprint, T0 + 1);
      const replacement = certificate(app.id, { issuedAt: T0 + 2 });
      await addCertificate(store, replacement);
      await activateCertificate(store, replacement.fingerprint, T0 + 3);
      assert.deepEqual(
        (await store.findCertificateAndSession(cert.fingerprint, parts.local.idHash)).certificate,
        await store.findCertificate(cert.fingerprint),
      );
      await store.deleteGlobalSession(parts.global.id);
      assert.deepEqual(await store.findCertificateAndSession(replacement.fingerprint, parts.local.idHash), {
        certificate: { ...replacement, firstUsedAt: T0 + 3 },
        applicationUrl: app.url,
        applicationGroup: null,
        session: null,
      });
    },
  );

  storeTest('lookups of unknown sessions are null', async (store) => {
    assert.equal(await store.getGlobalSession(hex64()), null);
    assert.equal(await store.findSessionByLocalId(hex64()), null);
    assert.equal(await store.findSessionByCookie(hex64()), null);
  });

  storeTest('createSession is atomic: a local session id already in use leaves no global session or token', async (store) => {
    const owner = await seedOwnedUser(store);
    const existing = await seedSession(store, owner.id);
    const clash = sessionParts(owner.id);
    const local = { ...clash.local, idHash: existing.local.idHash };
    await assert.rejects(store.createSession(clash.global, local, clash.token));
    await assertSessionGone(store, clash);
    assert.deepEqual(await store.findSessionByLocalId(existing.local.idHash), { local: existing.local, global: existing.global });
  });

  storeTest('createSession is atomic: a relay token already in use leaves no global or local session', async (store) => {
    const owner = await seedOwnedUser(store);
    const existing = await seedSession(store, owner.id);
    const clash = sessionParts(owner.id);
    await assert.rejects(store.createSession(clash.global, clash.local, { ...clash.token, tokenHash: existing.token.tokenHash }));
    assert.equal(await store.getGlobalSession(clash.global.id), null);
    assert.equal(await store.findSessionByLocalId(clash.local.idHash), null);
  });

  storeTest('ensureLocalSession adds the local session of another application', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    const second: LocalSessionRecord = {
      idHash: hex64(),
      globalId: parts.global.id,
      baseUrl: 'https://billing.example.com:443/',
      createdAt: T0 + 5,
    };
    await store.ensureLocalSession(second);
    assert.deepEqual(await store.findSessionByLocalId(second.idHash), { local: second, global: parts.global });
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
  });

  storeTest('ensureLocalSession is idempotent and never changes an existing local session', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    await store.ensureLocalSession(parts.local);
    await store.ensureLocalSession(parts.local);
    const sameApplication = { ...parts.local, idHash: hex64(), createdAt: T0 + 9 };
    await store.ensureLocalSession(sameApplication);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: parts.global });
    assert.equal(await store.findSessionByLocalId(sameApplication.idHash), null);
  });

  storeTest('touchSession sets lastSeenAt and nothing else', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    await store.touchSession(parts.global.id, T0 + 5 * MINUTE);
    const touched = { ...parts.global, lastSeenAt: T0 + 5 * MINUTE };
    assert.deepEqual(await store.getGlobalSession(parts.global.id), touched);
    assert.deepEqual(await store.findSessionByLocalId(parts.local.idHash), { local: parts.local, global: touched });
    await store.touchSession(hex64(), T0);
  });

  storeTest('setSessionCookie binds a cookie to the session; a new cookie replaces the old one', async (store) => {
    const owner = await seedOwnedUser(store);
    const parts = await seedSession(store, owner.id);
    const first = hex64();
    await store.setSessionCookie(parts.global.id, first, 'sealed-1');
    const withFirst = { ...parts.global, cookieHash: first, cookieSealedSecret: 'sealed-1' };
    assert.deepEqual(await store.findSessionByCookie(first), withFirst);
    assert.deepEqual(await store.getGlobalSession(parts.global.id), withFirst);

    const second = hex64();
    await store.setSessionCookie(parts.global.id, second, 'sealed-2');
    assert.equal(await store.findSessionByCookie(first), null);
    assert.deepEqual(await store.findSessionByCookie(second), { ...parts.global, cookieHash: second, cookieSealedSecret: 'sealed-2' });
  });
}

function registerRelayTokenTests(storeTest: StoreTest): void {
  storeTest('consumeRelayToken gives the token once', async (store) => {
    const owner = await seedOwnedUser(store);
    const { token } = await seedSession(store, owner.id);
    assert.deepEqual(await store.consumeRelayToken(token.tokenHash, T0), token);
    assert.equal(await store.consumeRelayToken(token.tokenHash, T0), null);
    assert.equal(await store.consumeRelayToken(hex64(), T0), null);
  });

  storeTest('consumeRelayToken of an expired token is null; the last valid instant is just before expiresAt', async (store) => {
    const owner = await seedOwnedUser(store);
    const expired = await seedSession(store, owner.id);
    assert.equal(await store.consumeRelayToken(expired.token.tokenHash, expired.token.expiresAt), null);
    assert.equal(await store.consumeRelayToken(expired.token.tokenHash, expired.token.expiresAt + HOUR), null);
    const live = await seedSession(store, owner.id);
    assert.deepEqual(await store.consumeRelayToken(live.token.tokenHash, live.token.expiresAt - 1), live.token);
  });

  storeTest('of 20 concurrent consumeRelayToken calls on one token exactly one gets it', async (store) => {
    const owner = await seedOwnedUser(store);
    const { token } = await seedSession(store, owner.id);
    const results = await Promise.all(Array.from({ length: 20 }, () => store.consumeRelayToken(token.tokenHash, T0)));
    assert.deepEqual(
      results.filter((r) => r !== null),
      [token],
    );
  });
}

function registerSessionEndTests(storeTest: StoreTest): void {
  storeTest('deleteGlobalSession removes its local sessions, tokens and cookie, and nothing of others', async (store) => {
    const owner = await seedOwnedUser(store);
    const doomed = await seedSession(store, owner.id);
    const secondLocal: LocalSessionRecord = {
      idHash: hex64(),
      globalId: doomed.global.id,
      baseUrl: 'https://b.example.com:443/',
      createdAt: T0,
    };
    await store.ensureLocalSession(secondLocal);
    const cookie = hex64();
    await store.setSessionCookie(doomed.global.id, cookie, 'sealed');
    const kept = await seedSession(store, owner.id);

    await store.deleteGlobalSession(doomed.global.id);
    await assertSessionGone(store, doomed, cookie);
    assert.equal(await store.findSessionByLocalId(secondLocal.idHash), null);
    assert.deepEqual(await store.findSessionByLocalId(kept.local.idHash), { local: kept.local, global: kept.global });
    assert.deepEqual(await store.getUser(owner.id), owner);
    await store.deleteGlobalSession(doomed.global.id);
  });

  storeTest('purgeExpiredSessions removes sessions past their lifetime or idle since idleBefore', async (store) => {
    const owner = await seedOwnedUser(store);
    const now = T0 + 10 * HOUR;
    const idleBefore = now - 2 * HOUR;
    // As core/sessions.ts judges it: over at the expiry instant, and when last seen at idleBefore or earlier.
    const pastLifetime = await seedSession(store, owner.id, { expiresAt: now, lastSeenAt: now - MINUTE });
    const idle = await seedSession(store, owner.id, { expiresAt: now + HOUR, lastSeenAt: idleBefore });
    const live = await seedSession(store, owner.id, { expiresAt: now + 1, lastSeenAt: idleBefore + 1 });

    assert.equal(await store.purgeExpiredSessions({ now: now, idleBefore: idleBefore }), 2);
    await assertSessionGone(store, pastLifetime);
    await assertSessionGone(store, idle);
    assert.deepEqual(await store.findSessionByLocalId(live.local.idHash), { local: live.local, global: live.global });
    assert.equal(await store.purgeExpiredSessions({ now: now, idleBefore: idleBefore }), 0);
  });

  storeTest('purgeExpiredSessions removes expired relay tokens of live sessions and keeps the others', async (store) => {
    const owner = await seedOwnedUser(store);
    const now = T0 + 10 * MINUTE;
    const expiredToken = await seedSession(store, owner.id, { createdAt: now - 5 * MINUTE, lastSeenAt: now });
    const liveToken = await seedSession(store, owner.id, { createdAt: now, lastSeenAt: now });

    assert.equal(await store.purgeExpiredSessions({ now: now, idleBefore: now - HOUR }), 0);
    assert.notEqual(await store.getGlobalSession(expiredToken.global.id), null);
    // Consuming as of before the expiry would succeed if the purge had left the token.
    assert.equal(await store.consumeRelayToken(expiredToken.token.tokenHash, expiredToken.global.createdAt), null);
    assert.deepEqual(await store.consumeRelayToken(liveToken.token.tokenHash, now), liveToken.token);
  });
}

function registerSessionOperatorTests(storeTest: StoreTest): void {
  storeTest('listSessions gives sessions newest first with their base urls, by user and by base url', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const older = await seedSession(store, owner.id, { createdAt: T0 });
    const billing = 'https://billing.example.com:443/';
    await store.ensureLocalSession({ idHash: hex64(), globalId: older.global.id, baseUrl: billing, createdAt: T0 + 1 });
    const newer = await seedSession(store, owner.id, { createdAt: T0 + 10 });
    const foreign = await seedSession(store, other.id, { createdAt: T0 + 5 });

    assert.deepEqual(await store.listSessions({ userId: owner.id, limit: 10 }), [
      { global: newer.global, baseUrls: [newer.local.baseUrl] },
      { global: older.global, baseUrls: [billing, older.local.baseUrl] },
    ]);
    assert.deepEqual(
      (await store.listSessions({ limit: 10 })).map((s) => s.global.id),
      [newer.global.id, foreign.global.id, older.global.id],
    );
    assert.deepEqual(
      (await store.listSessions({ baseUrl: billing, limit: 10 })).map((s) => s.global.id),
      [older.global.id],
    );
    assert.deepEqual(
      (await store.listSessions({ limit: 1 })).map((s) => s.global.id),
      [newer.global.id],
    );
    assert.deepEqual(await store.listSessions({ userId: randomUUID(), limit: 10 }), []);
  });

  storeTest('countSessions counts the live sessions of the query, without a limit', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const idle = await seedSession(store, owner.id, { createdAt: T0 });
    const billing = 'https://billing.example.com:443/';
    await store.ensureLocalSession({ idHash: hex64(), globalId: idle.global.id, baseUrl: billing, createdAt: T0 + 1 });
    const live = await seedSession(store, owner.id, { createdAt: T0 + 10 });
    await seedSession(store, other.id, { createdAt: T0 + 5 });
    await store.touchSession(live.global.id, T0 + 100);
    const now = T0 + 200;

    assert.equal(await store.countSessions({ now, idleBefore: T0 - 1 }), 3);
    assert.equal(await store.countSessions({ userId: owner.id, now, idleBefore: T0 - 1 }), 2);
    assert.equal(await store.countSessions({ baseUrl: billing, now, idleBefore: T0 - 1 }), 1);
    assert.equal(await store.countSessions({ now, idleBefore: T0 + 50 }), 1, 'only the one seen since is not idle');
    assert.equal(await store.countSessions({ now: live.global.expiresAt, idleBefore: T0 - 1 }), 0, 'over at its expiry instant');
    assert.equal(await store.countSessions({ userId: randomUUID(), now, idleBefore: T0 - 1 }), 0);
  });

  storeTest('deleteUserSessions ends every session of that user only', async (store) => {
    const owner = await seedOwnedUser(store);
    const other = await seedUser(store, owner.ownerId);
    const first = await seedSession(store, owner.id);
    const second = await seedSession(store, owner.id);
    const kept = await seedSession(store, other.id);
    assert.equal(await store.deleteUserSessions(owner.id), 2);
    await assertSessionGone(store, first);
    await assertSessionGone(store, second);
    assert.deepEqual(await store.getGlobalSession(kept.global.id), kept.global);
    assert.deepEqual(await store.getUser(owner.id), owner);
    assert.equal(await store.deleteUserSessions(owner.id), 0);
  });
}

export function sessionsContract(storeTest: StoreTest): void {
  registerSessionTests(storeTest);
  registerRelayTokenTests(storeTest);
  registerSessionEndTests(storeTest);
  registerSessionOperatorTests(storeTest);
}
