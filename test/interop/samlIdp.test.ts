// The SAML identity provider of the SAML tests (helpers/samlIdp.ts) is a real one: SimpleSAMLphp
// serves metadata naming its signing certificate, and in headless Chromium answers an AuthnRequest of
// the HTTP-Redirect binding, after its login form, with a SAMLResponse posted to the SP's assertion
// consumer service (here a small recorder) whose signature @node-saml/node-saml verifies with that
// certificate. captureResponse keeps such a response without delivering it. The login page is kept
// as test-artifacts/e2e/saml-idp-login.png.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SAML, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import type { Browser } from 'playwright-core';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { ifAssigned } from '../helpers/defined.js';
import { eventually } from '../helpers/eventually.js';
import {
  authnRequestUrl,
  captureResponse,
  NAMEID_PERSISTENT,
  RSA_SHA256,
  signInOnLoginForm,
  startSamlIdp,
  type SamlIdp,
} from '../helpers/samlIdp.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const SP_ENTITY_ID = 'https://sso.example.test/saml/metadata';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const ALICE = {
  username: 'alice',
  password: `correct horse 'battery' \\ staple`,
  attributes: { mail: ['alice@example.test'], displayName: ['Alice Liddell'], groups: ['staff', 'billing'] },
};

/** The SP's assertion consumer service: records each form posted to it and answers 200. */
async function startAcsRecorder(): Promise<{ url: string; posts: URLSearchParams[]; close(): Promise<void> }> {
  const posts: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST') posts.push(new URLSearchParams(body));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('recorded');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/saml/acs`,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parse(xml: string): Element {
  return new DOMParser().parseFromString(xml, 'text/xml').documentElement;
}

function children(parent: Element, ns: string, name: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (node): node is Element => node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === name,
  );
}

function only(parent: Element, ns: string, name: string): Element {
  const found = children(parent, ns, name);
  assert.equal(found.length, 1, `one ${name} in ${parent.localName}`);
  return found[0] as Element;
}

/** The base64 body of a PEM certificate, on one line. */
function derBase64(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** node-saml's check of a response: the signature with the IdP's certificate, audience, timestamps. */
function samlCheckOf(idp: SamlIdp, signed: { assertion: boolean; response: boolean }): SAML {
  const config: SamlConfig = {
    idpCert: idp.certificatePem,
    issuer: SP_ENTITY_ID,
    callbackUrl: idp.acsUrl,
    audience: SP_ENTITY_ID,
    wantAssertionsSigned: signed.assertion,
    wantAuthnResponseSigned: signed.response,
    idpIssuer: idp.entityId,
  };
  return new SAML(config);
}

function signatureMethodOf(signed: Element): string | null {
  const signature = only(signed, DSIG, 'Signature');
  return only(only(signature, DSIG, 'SignedInfo'), DSIG, 'SignatureMethod').getAttribute('Algorithm');
}

const NEEDS = [TOOLS.chromium, TOOLS.simpleSamlPhp, TOOLS.openssl];

describe('SimpleSAMLphp as the SAML identity provider of the tests', { skip: skipWithout(NEEDS), timeout: 120_000 }, () => {
  let acs: Awaited<ReturnType<typeof startAcsRecorder>>;
  let idp: SamlIdp;
  let browser: Browser;

  before(async () => {
    acs = await startAcsRecorder();
    idp = await startSamlIdp({ spEntityId: SP_ENTITY_ID, acsUrl: acs.url, users: [ALICE] });
    browser = await launchChromium([]);
  });
  after(async () => {
    await ifAssigned(browser)?.close();
    await ifAssigned(idp)?.stop();
    await ifAssigned(acs)?.close();
  });

  test('its metadata names the IdP, its HTTP-Redirect sign-in URL and its signing certificate', async () => {
    const descriptor = parse(await idp.metadataXml());
    assert.equal(descriptor.namespaceURI, MD);
    assert.equal(descriptor.localName, 'EntityDescriptor');
    assert.equal(descriptor.getAttribute('entityID'), idp.entityId);
    const sso = only(descriptor, MD, 'IDPSSODescriptor');
    const redirect = children(sso, MD, 'SingleSignOnService').find(
      (service) => service.getAttribute('Binding') === 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
    );
    assert.equal(redirect?.getAttribute('Location'), idp.signInUrl);
    const signing = children(sso, MD, 'KeyDescriptor').filter((key) => key.getAttribute('use') !== 'encryption');
    const certificates = signing.map((key) =>
      only(only(only(key, DSIG, 'KeyInfo'), DSIG, 'X509Data'), DSIG, 'X509Certificate').textContent.replace(/\s+/g, ''),
    );
    assert.ok(certificates.includes(derBase64(idp.certificatePem)), 'the signing certificate is certificatePem');
  });

  test('an SP-initiated sign-in in Chromium ends in a signed response for the user, posted to the ACS', async () => {
    const request = authnRequestUrl(idp, { spEntityId: SP_ENTITY_ID, acsUrl: acs.url, relayState: 'https://app.example.test/here' });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(request.url);
      await page.locator('#username').waitFor();
      await screenshot(page, 'saml-idp-login');
      await signInOnLoginForm(page, ALICE.username, ALICE.password);
      await eventually(() => acs.posts.length === 1, { timeoutMs: 20_000, what: `a post to the ACS\n${idp.logs()}` });
    } finally {
      await context.close();
    }
    const form = acs.posts[0] as URLSearchParams;
    assert.equal(form.get('RelayState'), 'https://app.example.test/here');
    const samlResponse = form.get('SAMLResponse') ?? '';

    const response = parse(Buffer.from(samlResponse, 'base64').toString('utf8'));
    assert.equal(response.namespaceURI, SAMLP);
    assert.equal(response.localName, 'Response');
    assert.equal(response.getAttribute('Destination'), acs.url);
    assert.equal(response.getAttribute('InResponseTo'), request.id);
    assert.equal(only(response, ASSERTION, 'Issuer').textContent, idp.entityId);
    assert.equal(children(response, DSIG, 'Signature').length, 0, 'the response itself is not signed (signResponse false)');
    const assertion = only(response, ASSERTION, 'Assertion');
    assert.equal(signatureMethodOf(assertion), RSA_SHA256);

    const { profile } = await samlCheckOf(idp, { assertion: true, response: false }).validatePostResponseAsync({
      SAMLResponse: samlResponse,
    });
    assert.ok(profile !== null);
    assert.equal(profile.issuer, idp.entityId);
    assert.equal(profile.nameID, ALICE.username);
    assert.equal(profile.nameIDFormat, NAMEID_PERSISTENT);
    assert.equal(profile['mail'], 'alice@example.test');
    assert.equal(profile['displayName'], 'Alice Liddell');
    assert.deepEqual(profile['groups'], ['staff', 'billing']);
    assert.equal(profile['ssod-test-nameid'], undefined, 'the helper attribute of the NameID is not sent');
  });

  test('captureResponse keeps an IdP-initiated response and its RelayState without delivering it', async () => {
    const before = acs.posts.length;
    const captured = await captureResponse(idp, browser, {
      user: ALICE.username,
      password: ALICE.password,
      authnRequestUrl: idp.idpInitiatedUrl(SP_ENTITY_ID, 'https://app.example.test/start'),
    });
    assert.equal(acs.posts.length, before, 'the SP never saw it');
    assert.equal(captured.relayState, 'https://app.example.test/start');
    const response = parse(Buffer.from(captured.samlResponse, 'base64').toString('utf8'));
    assert.equal(response.hasAttribute('InResponseTo'), false, 'unsolicited');
    const { profile } = await samlCheckOf(idp, { assertion: true, response: false }).validatePostResponseAsync({
      SAMLResponse: captured.samlResponse,
    });
    assert.equal(profile?.nameID, ALICE.username);

    // Altered, the same response no longer verifies: the check above is a real signature check.
    const altered = Buffer.from(Buffer.from(captured.samlResponse, 'base64').toString('utf8').replace('>alice<', '>mallory<')).toString(
      'base64',
    );
    assert.notEqual(altered, captured.samlResponse);
    await assert.rejects(samlCheckOf(idp, { assertion: true, response: false }).validatePostResponseAsync({ SAMLResponse: altered }));
  });

  test('signResponse and signAssertion: false sign the response instead of the assertion', async (t) => {
    const other = await startSamlIdp({
      spEntityId: SP_ENTITY_ID,
      acsUrl: acs.url,
      users: [ALICE],
      signAssertion: false,
      signResponse: true,
    });
    t.after(() => other.stop());
    const captured = await captureResponse(other, browser, {
      user: ALICE.username,
      password: ALICE.password,
      authnRequestUrl: authnRequestUrl(other, { spEntityId: SP_ENTITY_ID, acsUrl: acs.url }).url,
    });
    const response = parse(Buffer.from(captured.samlResponse, 'base64').toString('utf8'));
    assert.equal(signatureMethodOf(response), RSA_SHA256);
    assert.equal(children(only(response, ASSERTION, 'Assertion'), DSIG, 'Signature').length, 0);
    const { profile } = await samlCheckOf(other, { assertion: false, response: true }).validatePostResponseAsync({
      SAMLResponse: captured.samlResponse,
    });
    assert.equal(profile?.nameID, ALICE.username);
  });
});
