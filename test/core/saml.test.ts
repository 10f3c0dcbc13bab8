// The SAML sign-in use cases against real signatures (xml-crypto's SignedXml with a test key) and the
// node-saml library: a valid response signs in; every hostile one is refused with its case and reason
// in the audit trail (docs/SECURITY.md section E, docs/federation/saml.md).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SamlRefusal } from '../../src/core/ports/saml.js';
import { finishSamlSignIn, startSamlSignIn, type SamlContext } from '../../src/core/saml.js';
import { localSessionForCookie } from '../../src/core/sessions.js';
import { createUser } from '../../src/core/users.js';
import { nodeSamlLibrary } from '../../src/infra/saml/serviceProvider.js';
import {
  assertionXml,
  decode,
  encode,
  signingIdpSettings,
  newSigningKey,
  responseXml,
  signAssertion,
  signedResponse,
  type ResponseFacts,
  type SigningKey,
} from '../helpers/samlResponses.js';
import { idpRecord } from '../helpers/identityProviders.js';
import { registerApp, startTestServer, type RegisteredApp, type TestServer } from '../helpers/server.js';

const SP = { entityId: 'http://sso.example.test/saml/metadata', acsUrl: 'http://sso.example.test/saml/acs' };
const ISSUER = 'https://idp.example.test/saml';
const OTHER_ISSUER = 'https://other-idp.example.test/saml';
const CREATING_ISSUER = 'https://creating-idp.example.test/saml';
const ROTATING_ISSUER = 'https://rotating-idp.example.test/saml';
const STALE_ISSUER = 'https://stale-idp.example.test/saml';

describe('SAML sign-in', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  let key: SigningKey;
  let otherKey: SigningKey;
  let context: SamlContext;
  let alice: string;

  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    app = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
    const { services } = ts.server;
    [key, otherKey] = await Promise.all([newSigningKey(), newSigningKey('other.example.test')]);
    await services.store.insertIdentityProvider(idpRecord('corp', signingIdpSettings(ISSUER, key)));
    await services.store.insertIdentityProvider(
      idpRecord('other', signingIdpSettings(OTHER_ISSUER, otherKey, { allowIdpInitiated: true })),
    );
    context = { library: nodeSamlLibrary(), store: services.store, sp: SP };
    alice = await createUser(services, app.id, 'alice@example.com', await services.passwords.hash('pw'), 'operator');
    assert.equal(
      await services.store.linkFederatedId({ idpName: 'corp', federatedId: 'alice-at-corp', userId: alice, createdAt: 0 }),
      'linked',
    );
  });
  after(() => ts.close());

  /** A fresh SP-initiated request and the facts of its honest answer. */
  async function requested(relayUrl = `${app.url}page`): Promise<ResponseFacts> {
    const redirect = await startSamlSignIn(ts.server.services, context, 'corp', relayUrl);
    assert.ok(redirect !== null);
    const id = await idOfRedirect(redirect);
    return {
      issuer: ISSUER,
      destination: SP.acsUrl,
      recipient: SP.acsUrl,
      audience: SP.entityId,
      inResponseTo: id,
      nameId: 'alice-at-corp',
    };
  }

  async function idOfRedirect(redirect: string): Promise<string> {
    const { inflateRawSync } = await import('node:zlib');
    const request = inflateRawSync(Buffer.from(new URL(redirect).searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const id = /\bID="([^"]+)"/.exec(request)?.[1];
    assert.ok(id !== undefined, request);
    return id;
  }

  const finish = (samlResponse: string, relayState: string | null = null) =>
    finishSamlSignIn(ts.server.services, context, { samlResponse, relayState, address: '127.0.0.1' });

  async function lastAudit(): Promise<{ outcome: string; detail: Readonly<Record<string, unknown>> }> {
    const [record] = await ts.server.services.store.queryAudit({ limit: 1 });
    assert.ok(record !== undefined);
    return { outcome: record.outcome, detail: record.detail };
  }

  async function assertRefused(
    samlResponse: string,
    samlCase: SamlRefusal['case'],
    reason: RegExp,
    relayState: string | null = null,
  ): Promise<void> {
    const result = await finish(samlResponse, relayState);
    if (result.ok) assert.fail('the response was accepted');
    assert.equal(result.refusal.case, samlCase, result.refusal.message);
    assert.match(result.refusal.message, reason);
    const audit = await lastAudit();
    assert.equal(audit.outcome, 'samlRefused');
    assert.match(String(audit.detail.sourceDetail), new RegExp(`^${samlCase}: `));
  }

  test('the AuthnRequest goes to the IdP sign-in URL with the SP entity id, the ACS URL and the RelayState', async () => {
    const redirect = await startSamlSignIn(ts.server.services, context, 'corp', `${app.url}page`);
    assert.ok(redirect !== null);
    const url = new URL(redirect);
    assert.equal(url.origin + url.pathname, 'https://idp.example.test/sso');
    assert.equal(url.searchParams.get('RelayState'), `${app.url}page`);
    const { inflateRawSync } = await import('node:zlib');
    const request = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    assert.ok(request.includes(`AssertionConsumerServiceURL="${SP.acsUrl}"`), request);
    assert.match(request, new RegExp(`<saml:Issuer[^>]*>${SP.entityId}</saml:Issuer>`));
    assert.equal(await startSamlSignIn(ts.server.services, context, 'nobody', app.url), null, 'an unknown identity provider');
  });

  test('E32: a certificate that has expired is never used: a response it signed is refused, the current one still signs, and with none valid the refusal says what to do', async () => {
    const day = 86_400_000;
    const [expired, current] = await Promise.all([
      newSigningKey('old.rotating.example.test', { notBefore: Date.now() - 60 * day, notAfter: Date.now() - day }),
      newSigningKey('rotating.example.test'),
    ]);
    const { services } = ts.server;
    // Stored as a row edited by hand or kept since before the expiry would be: adding an expired one is refused.
    await services.store.insertIdentityProvider(
      idpRecord(
        'rotating',
        signingIdpSettings(ROTATING_ISSUER, current, { certificates: [expired.certificatePem, current.certificatePem] }),
      ),
    );
    await services.store.insertIdentityProvider(idpRecord('stale', signingIdpSettings(STALE_ISSUER, expired)));
    assert.equal(
      await services.store.linkFederatedId({ idpName: 'rotating', federatedId: 'alice-at-rotating', userId: alice, createdAt: 0 }),
      'linked',
    );
    const facts = async (): Promise<ResponseFacts> => {
      const redirect = await startSamlSignIn(services, context, 'rotating', `${app.url}page`);
      assert.ok(redirect !== null);
      return {
        issuer: ROTATING_ISSUER,
        destination: SP.acsUrl,
        recipient: SP.acsUrl,
        audience: SP.entityId,
        inResponseTo: await idOfRedirect(redirect),
        nameId: 'alice-at-rotating',
      };
    };
    await assertRefused(signedResponse(await facts(), expired), 'E32', /signature/i);
    const accepted = await finish(signedResponse(await facts(), current));
    assert.ok(accepted.ok, accepted.ok ? '' : accepted.refusal.message);
    const stale = { ...(await facts()), issuer: STALE_ISSUER, inResponseTo: null };
    await assertRefused(
      signedResponse(stale, expired),
      'E32',
      /no certificate of identity provider stale is valid now; add its current signing certificate/,
    );
  });

  test('a valid SP-initiated response signs the linked user in and keeps the attributes in the audit record', async () => {
    const facts = { ...(await requested()), attributes: { mail: 'alice@example.com' } };
    const result = await finish(signedResponse(facts, key));
    assert.ok(result.ok, result.ok ? '' : result.refusal.message);
    assert.equal(result.userId, alice);
    assert.equal(result.relayUrl, `${app.url}page`);
    assert.ok((await localSessionForCookie(ts.server.services, result.cookie.value, app.url)) !== null);
    const audit = await lastAudit();
    assert.equal(audit.outcome, 'ok');
    assert.equal(audit.detail.method, 'saml');
    assert.deepEqual(JSON.parse(String(audit.detail.attributes)), { mail: ['alice@example.com'] });
  });

  test('E30: a signed assertion with an unsigned assertion injected beside it is refused', async () => {
    const facts = await requested();
    const signed = signAssertion(responseXml(facts, assertionXml(facts)), key);
    const evil = assertionXml({ ...facts, nameId: 'admin', assertionId: '_evil' });
    await assertRefused(encode(signed.replace('</samlp:Response>', `${evil}</samlp:Response>`)), 'E30', /2 assertions/);
  });

  test('E30: the signed assertion moved to a decoy place, an evil one in its place, is refused', async () => {
    const facts = await requested();
    const signed = decode(signedResponse(facts, key));
    const original = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)?.[0] ?? '';
    const evil = assertionXml({ ...facts, nameId: 'admin', assertionId: /ID="([^"]+)"/.exec(original)?.[1] ?? '' });
    const wrapped = signed.replace(original, `<samlp:Extensions>${original}</samlp:Extensions>${evil}`);
    await assertRefused(encode(wrapped), 'E30', /2 assertions/);
  });

  test('E31: a comment inside the NameID is refused (the signature over the canonical form still holds)', async () => {
    const facts = await requested();
    const signed = decode(signedResponse({ ...facts, nameId: 'alice-at-corp.evil' }, key));
    await assertRefused(encode(signed.replace('alice-at-corp.evil', 'alice-at-corp<!---->.evil')), 'E31', /comment/);
  });

  test('E32: an unsigned assertion is refused', async () => {
    const facts = await requested();
    await assertRefused(encode(responseXml(facts, assertionXml(facts))), 'E32', /not signed/);
  });

  test('E32: a SHA-1 signature is refused before it is checked', async () => {
    await assertRefused(signedResponse(await requested(), key, { hash: 'sha1' }), 'E32', /rsa-sha1/);
  });

  test('E32: a signature by a key whose certificate is in KeyInfo but not configured is refused', async () => {
    const stranger = await newSigningKey('stranger.example.test');
    await assertRefused(signedResponse(await requested(), stranger, { keyInfoCertificate: stranger.certificatePem }), 'E32', /signature/i);
  });

  test('E33: a wrong Destination is refused', async () => {
    await assertRefused(signedResponse({ ...(await requested()), destination: 'https://evil.example/acs' }, key), 'E33', /Destination/);
  });

  test('E33: a wrong Audience is refused', async () => {
    await assertRefused(signedResponse({ ...(await requested()), audience: 'https://evil.example/sp' }, key), 'E33', /audience/i);
  });

  test('E33: a wrong Recipient is refused', async () => {
    await assertRefused(signedResponse({ ...(await requested()), recipient: 'https://evil.example/acs' }, key), 'E33', /Recipient/);
  });

  test('E33: an unknown InResponseTo is refused', async () => {
    await assertRefused(signedResponse({ ...(await requested()), inResponseTo: '_never-sent' }, key), 'E33', /InResponseTo/);
  });

  test('E33: an InResponseTo answered already is refused', async () => {
    const facts = await requested();
    assert.ok((await finish(signedResponse(facts, key))).ok);
    await assertRefused(signedResponse(facts, key), 'E33', /InResponseTo/);
  });

  test('E33: a stale NotOnOrAfter is refused', async () => {
    await assertRefused(signedResponse({ ...(await requested()), notOnOrAfter: Date.now() - 10 * 60_000 }, key), 'E33', /expired|stale/);
  });

  test('E33: a replayed assertion id is refused', async () => {
    const first = await requested();
    assert.ok((await finish(signedResponse({ ...first, assertionId: '_once' }, key))).ok);
    await assertRefused(signedResponse({ ...(await requested()), assertionId: '_once' }, key), 'E33', /replay/);
  });

  test('E33: an IdP-initiated response is refused from an identity provider that may not send one', async () => {
    const facts = { ...(await requested()), inResponseTo: null };
    await assertRefused(signedResponse(facts, key), 'E33', /IdP-initiated/, app.url);
  });

  test('E33: an IdP-initiated response with a RelayState outside the registered applications is refused', async () => {
    const facts = {
      issuer: OTHER_ISSUER,
      destination: SP.acsUrl,
      recipient: SP.acsUrl,
      audience: SP.entityId,
      inResponseTo: null,
      nameId: 'x',
    };
    await assertRefused(signedResponse(facts, otherKey), 'E33', /RelayState/, 'https://evil.example/');
  });

  test('E34: the same NameID from another identity provider does not reach the user linked under the first', async () => {
    const facts = {
      issuer: OTHER_ISSUER,
      destination: SP.acsUrl,
      recipient: SP.acsUrl,
      audience: SP.entityId,
      inResponseTo: null,
      nameId: 'alice-at-corp',
    };
    await assertRefused(signedResponse(facts, otherKey), 'E34', /under other/, app.url);
  });

  test('a DOCTYPE is refused before the library reads the response', async () => {
    const facts = await requested();
    const xml = decode(signedResponse(facts, key));
    await assertRefused(encode(`<!DOCTYPE samlp:Response>${xml}`), 'malformed', /DOCTYPE/);
  });

  test('an entity bomb is refused before anything expands it', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&c;</samlp:Response>`;
    await assertRefused(encode(bomb), 'malformed', /DOCTYPE/);
  });

  test('an oversized response is refused before it is decoded', async () => {
    await assertRefused('A'.repeat(256 * 1024 + 4), 'malformed', /larger/);
  });

  describe('accounts made at the first sign-in (createUsersOwnedBy)', () => {
    before(async () => {
      await ts.server.services.store.insertIdentityProvider(
        idpRecord('creating', signingIdpSettings(CREATING_ISSUER, key, { createUsersOwnedBy: app.id })),
      );
    });

    /** An honest, signed answer of the identity provider "creating" to a fresh request, naming `nameId`. */
    async function fromCreating(nameId: string): Promise<string> {
      const redirect = await startSamlSignIn(ts.server.services, context, 'creating', `${app.url}page`);
      assert.ok(redirect !== null);
      const facts = { ...(await requested()), issuer: CREATING_ISSUER, inResponseTo: await idOfRedirect(redirect), nameId };
      return signedResponse(facts, key);
    }

    async function newestOf(type: string): Promise<{ actor: string; detail: Readonly<Record<string, unknown>> }> {
      const [record] = await ts.server.services.store.queryAudit({ limit: 1, type });
      assert.ok(record !== undefined, type);
      return record;
    }

    test('an unknown federated id gets an account: its login, the owner application, no password, linked under this IdP only, audited', async () => {
      const { services } = ts.server;
      const result = await finish(await fromCreating('carol@corp.test'));
      if (!result.ok) assert.fail(result.refusal.message);
      const carol = await services.store.getUser(result.userId);
      assert.ok(carol !== null);
      assert.equal(carol.login, 'carol@corp.test');
      assert.equal(carol.ownerId, app.id);
      assert.equal(carol.sourceName, null);
      assert.equal(carol.passwordHash, '');
      assert.equal((await services.passwords.verify(carol.passwordHash, '')).ok, false, 'the empty hash never verifies');
      assert.equal((await services.store.findUserByFederatedId('creating', 'carol@corp.test'))?.id, carol.id);
      assert.equal(await services.store.findUserByFederatedId('corp', 'carol@corp.test'), null);
      const created = await newestOf('user.created');
      assert.equal(created.actor, 'guest');
      assert.deepEqual([created.detail.login, created.detail.ownerId], ['carol@corp.test', app.id]);
      assert.equal((await newestOf('user.federatedIdLinked')).detail.idp, 'creating');

      const again = await finish(await fromCreating('carol@corp.test'));
      assert.ok(again.ok);
      assert.equal(again.userId, carol.id, 'the second sign-in finds the same account');
    });

    test("E34: a federated id that is another user's login is refused, never merged with that user", async () => {
      await assertRefused(await fromCreating('alice@example.com'), 'E34', /login alice@example\.com exists already/);
      assert.equal(await ts.server.services.store.findUserByFederatedId('creating', 'alice@example.com'), null);
    });

    test('E34: without createUsersOwnedBy an unknown federated id still gets no account', async () => {
      const facts = { ...(await requested()), nameId: 'dave@corp.test' };
      await assertRefused(signedResponse(facts, key), 'E34', /no user is linked/);
      assert.equal(await ts.server.services.store.findUserByLoginKey('dave@corp.test'), null);
    });
  });
});
