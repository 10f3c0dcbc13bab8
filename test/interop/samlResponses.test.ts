// Real responses of a real identity provider at ssod's assertion consumer service
// (docs/federation/saml.md): SimpleSAMLphp (helpers/samlIdp.ts) answers ssod's own
// AuthnRequests (the Location of ssod's /saml/login) in headless Chromium, captureResponse keeps the
// response it has the browser post, and the test posts it to /saml/acs untouched, again, or altered
// as an attacker would, or late. Each refusal shows the error page and is audited (samlRefused) with its case.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { addIdentityProvider, linkFederatedId, updateIdentityProvider } from '../../src/core/operator/identityProviders.js';
import { createUser } from '../../src/core/users.js';
import { settingsOfMetadataText } from '../../src/infra/saml/metadata.js';
import { pairOf, relayRequest, setCookieNamed } from '../adapters/relay/request.js';
import { launchChromium } from '../helpers/browser.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { captureResponse, startSamlIdp, type CapturedResponse, type SamlIdp } from '../helpers/samlIdp.js';
import { decode, encode } from '../helpers/samlResponses.js';
import { call, registerApp, startTestServer, type HttpReply, type RegisteredApp, type TestServer } from '../helpers/server.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const IDP_NAME = 'corp';
const ALICE = { username: 'alice.corp', password: 'the IdP password of alice', attributes: { mail: ['alice@corp.test'] } };
const MALLORY = { username: 'mallory.corp', password: 'the IdP password of mallory', attributes: {} };

describe(
  "real SimpleSAMLphp responses, untouched and altered, at ssod's assertion consumer service",
  { skip: skipWithout([TOOLS.chromium, TOOLS.simpleSamlPhp, TOOLS.openssl]), timeout: 180_000 },
  () => {
    let ts: TestServer;
    let app: RegisteredApp;
    let idp: SamlIdp;
    let browser: Browser;
    let alice: string;
    let mallory: string;

    before(async () => {
      ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1, logLevel: 'warn' });
      const { services } = ts.server;
      app = await registerApp(ts, 'https://shop.example.com:443/', 'shop');
      const metadata = await relayRequest(ts.relayPort, { path: '/saml/metadata' });
      idp = await startSamlIdp({
        spEntityId: defined(/entityID="([^"]+)"/.exec(metadata.body)?.[1], metadata.body),
        acsUrl: defined(/Location="([^"]+)"/.exec(metadata.body)?.[1], metadata.body),
        users: [ALICE, MALLORY],
      });
      await addIdentityProvider(services, {
        name: IDP_NAME,
        settings: {
          ...settingsOfMetadataText(Buffer.from(await idp.metadataXml(), 'utf8')),
          userIdType: 'federatedId',
          userIdLocation: 'subject',
          allowIdpInitiated: false,
          createUsersOwnedBy: null,
        },
      });
      const hash = await services.passwords.hash('unused');
      alice = await createUser(services, app.id, 'alice@example.com', hash, 'operator');
      mallory = await createUser(services, app.id, 'mallory@example.com', hash, 'operator');
      for (const [id, federatedId] of [
        [alice, ALICE.username],
        [mallory, MALLORY.username],
      ] as const) {
        await linkFederatedId(services, defined(await services.store.getUser(id), id), IDP_NAME, federatedId);
      }
      browser = await launchChromium([]);
    });

    after(async () => {
      await ifAssigned(browser)?.close();
      await ifAssigned(idp)?.stop();
      await ifAssigned(ts)?.close();
    });

    /** A response of the IdP to ssod's own AuthnRequest (from /saml/login), captured before ssod sees it. */
    async function spInitiated(user = ALICE): Promise<CapturedResponse> {
      const login = await relayRequest(ts.relayPort, {
        path: `/saml/login?${new URLSearchParams({ idp: IDP_NAME, url: `${app.url}page` }).toString()}`,
      });
      assert.equal(login.status, 302, login.body);
      const authnRequestUrl = String(login.headers.location);
      assert.ok(authnRequestUrl.startsWith(`${idp.signInUrl}?SAMLRequest=`), authnRequestUrl);
      return captureResponse(idp, browser, { user: user.username, password: user.password, authnRequestUrl });
    }

    const post = (captured: CapturedResponse): Promise<HttpReply> =>
      relayRequest(ts.relayPort, {
        method: 'POST',
        path: '/saml/acs',
        form: { SAMLResponse: captured.samlResponse, ...(captured.relayState === undefined ? {} : { RelayState: captured.relayState }) },
      });

    /** The response's XML changed by `change`, which must change it. */
    function altered(captured: CapturedResponse, change: (xml: string) => string): CapturedResponse {
      const xml = decode(captured.samlResponse);
      const changed = change(xml);
      assert.notEqual(changed, xml, 'the alteration changes the response');
      return { ...captured, samlResponse: encode(changed) };
    }

    /** Signed in: the relay cookie, and a 302 to the application with an ssosid of the user. */
    async function assertSignedIn(reply: HttpReply, userId: string): Promise<void> {
      assert.equal(reply.status, 302, reply.body);
      assert.ok(pairOf(setCookieNamed(reply, 'sid')).startsWith('sid='));
      const location = new URL(String(reply.headers.location));
      assert.equal(location.origin + location.pathname, new URL(`${app.url}page`).href);
      const ssosid = defined(location.searchParams.get('ssosid'), String(reply.headers.location));
      const verified = await call(ts, 'verifySession', { sessionId: ssosid }, { credentials: app.credentials });
      assert.equal(verified.field('userId'), userId);
    }

    /** Refused: the error page, no cookie, and the newest audit record says samlRefused with that reason. */
    async function assertRefused(reply: HttpReply, reason: RegExp): Promise<void> {
      assert.equal(reply.status, 403, reply.body);
      assert.match(reply.body, /could not be accepted/);
      assert.equal(reply.headers['set-cookie'], undefined);
      const [record] = await ts.server.services.store.queryAudit({ limit: 1 });
      assert.equal(record?.outcome, 'samlRefused', JSON.stringify(record));
      assert.match(String(record.detail.sourceDetail), reason);
    }

    test("the untouched response to ssod's own request signs alice in; posted again, it is refused (E33: answered already)", async () => {
      const captured = await spInitiated();
      await assertSignedIn(await post(captured), alice);
      await assertRefused(await post(captured), /^E33: InResponseTo names no open request/);
    });

    test('E33: an IdP-initiated response posted a second time is refused as a replayed assertion id', async () => {
      await updateIdentityProvider(ts.server.services, IDP_NAME, { settings: { allowIdpInitiated: true } });
      try {
        const captured = await captureResponse(idp, browser, {
          user: ALICE.username,
          password: ALICE.password,
          authnRequestUrl: idp.idpInitiatedUrl(idp.spEntityId, `${app.url}page`),
        });
        await assertSignedIn(await post(captured), alice);
        await assertRefused(await post(captured), /^E33: the assertion id was seen already/);
      } finally {
        await updateIdentityProvider(ts.server.services, IDP_NAME, { settings: { allowIdpInitiated: false } });
      }
    });

    test('E33: an IdP-initiated response whose RelayState is no registered application is refused, even when IdP-initiated sign-in is allowed', async () => {
      await updateIdentityProvider(ts.server.services, IDP_NAME, { settings: { allowIdpInitiated: true } });
      try {
        const captured = await captureResponse(idp, browser, {
          user: ALICE.username,
          password: ALICE.password,
          authnRequestUrl: idp.idpInitiatedUrl(idp.spEntityId, 'https://evil.example/landing'),
        });
        await assertRefused(await post(captured), /^E33: RelayState is not an address of a registered application/);
      } finally {
        await updateIdentityProvider(ts.server.services, IDP_NAME, { settings: { allowIdpInitiated: false } });
      }
    });

    test('E33: the untouched response posted ten minutes late (past its NotOnOrAfter) is refused as stale', async () => {
      const captured = await spInitiated();
      ts.advanceClock(10 * 60_000);
      try {
        await assertRefused(await post(captured), /^E33: .*(expired|stale)/i);
      } finally {
        ts.advanceClock(-10 * 60_000);
      }
    });

    test("E32: the NameID changed to another linked user's breaks the signature: refused", async () => {
      const captured = altered(await spInitiated(), (xml) => xml.replace(`>${ALICE.username}<`, `>${MALLORY.username}<`));
      await assertRefused(await post(captured), /^E32: the SAML library refused the response: .*signature/i);
    });

    test('E30: an unsigned copy of the assertion naming another user, injected beside the signed one, is refused', async () => {
      const captured = altered(await spInitiated(), (xml) => {
        const signed = defined(/<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(xml)?.[0], xml);
        const forged = signed
          .replace(/<ds:Signature\b[\s\S]*<\/ds:Signature>/, '')
          .replace(/\bID="[^"]+"/, 'ID="_forged"')
          .replace(`>${ALICE.username}<`, `>${MALLORY.username}<`);
        return xml.replace(signed, `${forged}${signed}`);
      });
      await assertRefused(await post(captured), /^E30: the response holds 2 assertions/);
    });

    test("E33: the Response's Destination changed (outside the signed assertion) is refused", async () => {
      const captured = altered(await spInitiated(), (xml) =>
        xml.replace(/\bDestination="[^"]+"/, 'Destination="https://evil.example/saml/acs"'),
      );
      await assertRefused(await post(captured), /^E33: Destination is not this assertion consumer service: https:\/\/evil\.example/);
    });

    test('E31: a comment slipped into the NameID (alice.corp becomes mallory.corp<!---->…) is refused', async () => {
      const captured = altered(await spInitiated(), (xml) =>
        xml.replace(`>${ALICE.username}<`, `>${MALLORY.username}<!---->${ALICE.username}<`),
      );
      await assertRefused(await post(captured), /^E31: the response holds an XML comment/);
    });

    test('A1: a DOCTYPE prepended to a real response is refused before the SAML library reads it', async () => {
      const captured = altered(await spInitiated(), (xml) => {
        const declaration = /^<\?xml[^>]*\?>/.exec(xml)?.[0] ?? '';
        return `${declaration}<!DOCTYPE samlp:Response [<!ENTITY who "${MALLORY.username}">]>${xml.slice(declaration.length)}`;
      });
      await assertRefused(await post(captured), /^malformed: the response is not plain XML: .*DOCTYPE/);
    });
  },
);
