// The SAML service provider's endpoints on the relay listener: the metadata, the way to an identity
// provider (and the sign-in page's button for it), and the assertion consumer service, which signs a
// browser in with the relay's cookie and a 302 with ssosid, or shows the error page and records why.
// The On Session Start callback of the application behind the RelayState is called before it answers.
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { createUser } from '../../../src/core/users.js';
import { defined } from '../../helpers/defined.js';
import { idpRecord } from '../../helpers/identityProviders.js';
import { newSigningKey, signedResponse, signingIdpSettings, type ResponseFacts, type SigningKey } from '../../helpers/samlResponses.js';
import { call, registerApp, startTestServer, type RegisteredApp, type TestServer } from '../../helpers/server.js';
import { pairOf, relayRequest, setCookieNamed } from './request.js';
import { createGroup, deleteGroup } from '../../../src/core/operator/groups.js';
import { sha256Hex } from '../../../src/core/sessions.js';
import { setSessionStartCallback } from '../../../src/core/sessionStart.js';
import { ticketIssuer, ticketKeySet } from '../../../src/core/tickets.js';
import { localTicketKeys, verifySessionStartCallback } from '../../../src/client/index.js';
import { startCallbackEndpoint } from '../../helpers/callbackEndpoint.js';
import { openTestCa } from '../../helpers/testCa.js';

const ISSUER = 'https://idp.example.test/saml';

describe('SAML endpoints on the relay listener', () => {
  let ts: TestServer;
  let app: RegisteredApp;
  let key: SigningKey;
  let sp: { entityId: string; acsUrl: string };
  let alice: string;

  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
    const { services } = ts.server;
    app = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
    key = await newSigningKey();
    await services.store.insertIdentityProvider({ ...idpRecord('corp', signingIdpSettings(ISSUER, key)), displayName: 'Corp Login' });
    alice = await createUser(services, app.id, 'alice@example.com', await services.passwords.hash('pw'), 'operator');
    await services.store.linkFederatedId({ idpName: 'corp', federatedId: 'alice-at-corp', userId: alice, createdAt: 0 });
    const metadata = await relayRequest(ts.relayPort, { path: '/saml/metadata' });
    sp = {
      entityId: defined(/entityID="([^"]+)"/.exec(metadata.body)?.[1], metadata.body),
      acsUrl: defined(/Location="([^"]+)"/.exec(metadata.body)?.[1], metadata.body),
    };
  });
  after(() => ts.close());

  /** Through /saml/login as a browser: the facts of the identity provider's honest answer. */
  async function viaLogin(url = `${app.url}page`): Promise<ResponseFacts> {
    const reply = await relayRequest(ts.relayPort, {
      path: `/saml/login?${new URLSearchParams({ idp: 'corp', url }).toString()}`,
    });
    assert.equal(reply.status, 302, reply.body);
    const location = new URL(String(reply.headers.location));
    const request = inflateRawSync(Buffer.from(location.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const id = defined(/\bID="([^"]+)"/.exec(request)?.[1], request);
    return {
      issuer: ISSUER,
      destination: sp.acsUrl,
      recipient: sp.acsUrl,
      audience: sp.entityId,
      inResponseTo: id,
      nameId: 'alice-at-corp',
    };
  }

  const post = (samlResponse: string, relayState = `${app.url}page`) =>
    relayRequest(ts.relayPort, { method: 'POST', path: '/saml/acs', form: { SAMLResponse: samlResponse, RelayState: relayState } });

  test('the metadata names the SP entity id, assertions signed, and the assertion consumer service (HTTP-POST)', async () => {
    const reply = await relayRequest(ts.relayPort, { path: '/saml/metadata' });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /samlmetadata\+xml/);
    assert.ok(sp.entityId.endsWith(`:${ts.relayPort}/saml/metadata`), sp.entityId);
    assert.match(reply.body, /AuthnRequestsSigned="false" WantAssertionsSigned="true"/);
    assert.match(reply.body, /Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="[^"]+\/saml\/acs"/);
  });

  test('the sign-in page shows a button for each identity provider, leading to /saml/login', async () => {
    const reply = await relayRequest(ts.relayPort, { path: `/login?${new URLSearchParams({ url: app.url }).toString()}` });
    assert.equal(reply.status, 200);
    assert.ok(reply.body.includes(`<a href="saml/login?idp=corp&amp;url=${encodeURIComponent(app.url)}">Corp Login</a>`), reply.body);
  });

  test('/saml/login refuses an unknown identity provider and an unregistered url with a 400 page', async () => {
    const unknown = await relayRequest(ts.relayPort, {
      path: `/saml/login?${new URLSearchParams({ idp: 'nobody', url: app.url }).toString()}`,
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /identity provider that this sign-on service does not know/);
    const elsewhere = await relayRequest(ts.relayPort, {
      path: `/saml/login?${new URLSearchParams({ idp: 'corp', url: 'https://evil.example/' }).toString()}`,
    });
    assert.equal(elsewhere.status, 400);
  });

  test('a valid SP-initiated response sets the relay cookie and goes on with an ssosid that verifySession accepts', async () => {
    const reply = await post(signedResponse(await viaLogin(), key));
    assert.equal(reply.status, 302, reply.body);
    assert.ok(pairOf(setCookieNamed(reply, 'sid')).startsWith('sid='));
    assert.match(String(setCookieNamed(reply, 'ssod-login')), /^ssod-login=; Max-Age=0;/, "the sign-in page's form cookie is dropped");
    const location = new URL(String(reply.headers.location));
    assert.equal(location.origin + location.pathname, new URL(`${app.url}page`).href);
    const ssosid = defined(location.searchParams.get('ssosid') ?? undefined, String(reply.headers.location));
    const verified = await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: app.credentials });
    assert.equal(verified.field('userId'), alice);
  });

  test('groups: SAML signs in only a user of the set of the application behind the RelayState, in that set', async () => {
    const { services } = ts.server;
    const blog = await registerApp(ts, 'https://blog.example.com:443/', 'blog');
    // alice's owner becomes the provider of a group; blog stays ungrouped.
    await createGroup(services, 'saml', defined(await services.store.getApplication(app.id), 'the application'));
    try {
      const elsewhere = `${blog.url}page`;
      const refused = await post(signedResponse(await viaLogin(elsewhere), key), elsewhere);
      assert.equal(refused.status, 403, refused.body);
      assert.equal(setCookieNamed(refused, 'sid'), undefined);
      const record = defined((await services.store.queryAudit({ limit: 1 }))[0], 'an audit record');
      assert.match(String(record.detail.sourceDetail), /no user is linked/, 'refused as an unknown user');

      const reply = await post(signedResponse(await viaLogin(), key));
      assert.equal(reply.status, 302, reply.body);
      const ssosid = defined(new URL(String(reply.headers.location)).searchParams.get('ssosid') ?? undefined, 'an ssosid');
      assert.equal((await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: app.credentials })).field('userId'), alice);
      assert.equal((await services.store.findSessionByLocalId(sha256Hex(ssosid)))?.global.groupName, 'saml');
    } finally {
      await deleteGroup(services, 'saml', true);
    }
  });

  test('callbacks: SAML calls the On Session Start callback of the application behind the RelayState before it answers; under fail the response is refused', async () => {
    const { services } = ts.server;
    const ca = await openTestCa();
    const endpoint = await startCallbackEndpoint(ca.server);
    const welcome = await registerApp(ts, 'https://welcome.example.com:443/', 'welcome');
    await setSessionStartCallback(services, welcome.id, { url: endpoint.url('welcome'), policy: 'fail', caPem: ca.caPem }, 'operator');
    const there = `${welcome.url}page`;
    try {
      const reply = await post(signedResponse(await viaLogin(there), key), there);
      assert.equal(reply.status, 302, reply.body);
      const ssosid = defined(new URL(String(reply.headers.location)).searchParams.get('ssosid') ?? undefined, 'an ssosid');
      assert.equal((await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: welcome.credentials })).field('userId'), alice);
      const received = endpoint.receivedOn('welcome');
      assert.equal(received.length, 1, 'called once, before the browser was sent on');
      const start = await verifySessionStartCallback(received[0]?.body ?? '', localTicketKeys(await ticketKeySet(services)), {
        url: endpoint.url('welcome'),
        issuer: ticketIssuer(services),
        applicationId: welcome.id,
      });
      assert.equal(start.order, 'starting');
      assert.equal(start.startedFor, welcome.id);
      assert.equal(start.userId, alice);

      endpoint.answer('welcome', { kind: 'redirect' });
      const refused = await post(signedResponse(await viaLogin(there), key), there);
      assert.equal(refused.status, 403, refused.body);
      assert.match(refused.body, /could not be accepted/);
      assert.equal(setCookieNamed(refused, 'sid'), undefined);
      assert.equal(endpoint.receivedOn('welcome').length, 2);
      const [audited] = await services.store.queryAudit({
        type: 'session.startCallbackFailed',
        target: `application:${welcome.id}`,
        limit: 1,
      });
      assert.equal(audited?.outcome, 'refused');
      assert.match(String(audited.detail.reason), /redirect refused/);
      const [failed] = await services.store.queryAudit({ type: 'authentication.failed', limit: 1 });
      assert.equal(failed?.outcome, 'samlRefused');
      assert.match(String(failed.detail.sourceDetail), /^startCallback: An application refused the start of the session/);
    } finally {
      await endpoint.close();
    }
  });

  test('E33: a response with a wrong Audience gets the error page and its reason in the audit trail', async () => {
    const reply = await post(signedResponse({ ...(await viaLogin()), audience: 'https://evil.example/sp' }, key));
    assert.equal(reply.status, 403);
    assert.match(reply.body, /could not be accepted/);
    assert.equal(reply.headers['set-cookie'], undefined);
    const record = defined((await ts.server.services.store.queryAudit({ limit: 1 }))[0], 'an audit record');
    assert.equal(record.outcome, 'samlRefused');
    assert.match(String(record.detail.sourceDetail), /^E33: .*audience/i);
  });

  test("E32: an unsigned response gets the error page in the person's language", async () => {
    const reply = await relayRequest(ts.relayPort, {
      method: 'POST',
      path: '/saml/acs',
      form: { SAMLResponse: Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>').toString('base64') },
      headers: { 'Accept-Language': 'de' },
    });
    assert.equal(reply.status, 403);
    assert.match(reply.body, /Identitätsanbieters/);
  });
});
