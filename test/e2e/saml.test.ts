// SAML sign-in in a real browser against a real identity provider (docs/federation/saml.md):
// SimpleSAMLphp (helpers/samlIdp.ts) is set up with ssod's relay as its service provider, ssod is set
// up with the IdP's metadata through the operator's use cases, and the demo user's federated id is
// linked. Headless Chromium goes from the panel example to ssod's sign-in page, presses the IdP's
// button, signs in on SimpleSAMLphp's form and lands back on the panel signed in; billing follows
// without a prompt, and logging out ends both. Then the other ways the settings name the user (an
// attribute, ssod's own user id), the IdP-initiated sign-in, refused and allowed, and an account made
// at the first sign-in when the IdP's settings name an owner application. Screenshots are
// kept in test-artifacts/e2e/ (saml-*.png).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  addIdentityProvider,
  linkFederatedId,
  unlinkFederatedId,
  updateIdentityProvider,
  type IdentityProviderChanges,
} from '../../src/core/operator/identityProviders.js';
import type { Services } from '../../src/core/services.js';
import type { UserRecord } from '../../src/core/store/users.js';
import { userByLoginOrId } from '../../src/core/users.js';
import { settingsOfMetadataText } from '../../src/infra/saml/metadata.js';
import { defined, ifAssigned } from '../helpers/defined.js';
import { launchChromium, screenshot, startBrowserDemo, type BrowserDemo } from '../helpers/browser.js';
import { signInOnLoginForm, startSamlIdp, type SamlIdp, type SamlIdpUser } from '../helpers/samlIdp.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const RELAY_HOST = 'sso.test';
const IDP_NAME = 'corp';
const IDP_BUTTON = 'Corp Login';
const USER = { login: 'alice@example.com', password: 'a local password, unused: alice signs in at her IdP' };
/** Alice at her organization's IdP: her username there is the NameID, her employee number an attribute. */
const IDP_ALICE = { username: 'alice.corp', password: 'the IdP password of alice', employeeNumber: 'E-1001' };
const IDP_PASSWORD = 'an IdP password';
/** Bob has no account at ssod: he gets one at his first sign-in when the IdP's settings name an owner. */
const IDP_BOB = { username: 'bob.corp', password: 'the IdP password of bob', attributes: {} };

describe(
  'SAML sign-in in a real browser with SimpleSAMLphp as the identity provider',
  { skip: skipWithout([TOOLS.chromium, TOOLS.simpleSamlPhp, TOOLS.openssl]), timeout: 180_000 },
  () => {
    let setup: BrowserDemo;
    let services: Services;
    let idp: SamlIdp;
    let browser: Browser;
    let alice: UserRecord;
    /** An IdP user whose NameID is ssod's user id of alice. */
    let idpById: SamlIdpUser;

    before(async () => {
      setup = await startBrowserDemo(RELAY_HOST, USER, {
        server: { argon2MemoryKib: 8192, argon2Iterations: 1, hostname: RELAY_HOST },
        signInAt: 'ssod',
      });
      services = setup.ts.server.services;
      alice = defined(await userByLoginOrId(services, USER.login, undefined), 'the demo user');
      idpById = { username: alice.id, password: IDP_PASSWORD, attributes: {} };
      idp = await startSamlIdp({
        spEntityId: `${setup.relayOrigin}/saml/metadata`,
        acsUrl: `${setup.relayOrigin}/saml/acs`,
        users: [
          {
            username: IDP_ALICE.username,
            password: IDP_ALICE.password,
            attributes: { employeeNumber: [IDP_ALICE.employeeNumber], ssodUserId: [alice.id], mail: ['alice@corp.test'] },
          },
          idpById,
          IDP_BOB,
        ],
      });
      const fromMetadata = settingsOfMetadataText(Buffer.from(await idp.metadataXml(), 'utf8'));
      await addIdentityProvider(services, {
        name: IDP_NAME,
        displayName: IDP_BUTTON,
        settings: {
          ...fromMetadata,
          userIdType: 'federatedId',
          userIdLocation: 'subject',
          allowIdpInitiated: false,
          createUsersOwnedBy: null,
        },
      });
      await linkFederatedId(services, alice, IDP_NAME, IDP_ALICE.username);
      browser = await launchChromium(['panel.test', 'billing.test', RELAY_HOST]);
    });

    after(async () => {
      await ifAssigned(browser)?.close();
      await ifAssigned(idp)?.stop();
      await ifAssigned(setup)?.close();
    });

    const newContext = (): Promise<BrowserContext> => browser.newContext({ viewport: { width: 1000, height: 640 }, locale: 'en-US' });

    function pathOf(url: string): string {
      const u = new URL(url);
      return `${u.origin}${u.pathname}`;
    }

    /** The relay's audit reason of the newest SAML refusal. */
    async function lastRefusal(): Promise<string> {
      const [record] = await services.store.queryAudit({ limit: 1 });
      assert.equal(record?.outcome, 'samlRefused', JSON.stringify(record));
      return String(record.detail.sourceDetail);
    }

    /** From the panel, through ssod's sign-in page and its IdP button, to the IdP's login form. */
    async function toIdpLoginForm(page: Page): Promise<void> {
      await page.goto(setup.demo.panel.url);
      assert.equal(pathOf(page.url()), `${setup.relayOrigin}/login`);
      await Promise.all([page.waitForURL(`${idp.baseUrl}/**`), page.getByRole('link', { name: IDP_BUTTON }).click()]);
      await page.locator('#username').waitFor();
    }

    /** The whole journey in a fresh browser as that IdP user: back on the panel, signed in as alice. */
    async function signInThroughIdp(user: { username: string; password: string }, login = USER.login): Promise<void> {
      const context = await newContext();
      try {
        const page = await context.newPage();
        await toIdpLoginForm(page);
        await Promise.all([
          page.waitForURL(setup.demo.panel.url, { timeout: 20_000 }),
          signInOnLoginForm(page, user.username, user.password),
        ]);
        assert.equal(await page.locator('#login').innerText(), login);
        if (login !== USER.login) await screenshot(page, 'saml-6-panel-account-made-at-first-sign-in');
      } finally {
        await context.close();
      }
    }

    async function changeSettings(settings: IdentityProviderChanges): Promise<void> {
      await updateIdentityProvider(services, IDP_NAME, { settings });
    }

    describe('SP-initiated, the NameID linked as the federated id', () => {
      let context: BrowserContext;
      let page: Page;

      before(async () => {
        context = await newContext();
        page = await context.newPage();
      });
      after(() => context.close());

      test("1. the panel sends the visitor to ssod's sign-in page, which shows the IdP's button", async () => {
        await page.goto(setup.demo.panel.url);
        assert.equal(pathOf(page.url()), `${setup.relayOrigin}/login`);
        const button = page.getByRole('link', { name: IDP_BUTTON });
        assert.equal(await button.count(), 1);
        assert.match(defined(await button.getAttribute('href'), 'href'), /^saml\/login\?idp=corp&url=/);
        await screenshot(page, 'saml-1-sign-in-page-with-button');
      });

      test("2. the button leads to the IdP's login form (SimpleSAMLphp), with ssod's AuthnRequest", async () => {
        await Promise.all([page.waitForURL(`${idp.baseUrl}/**`), page.getByRole('link', { name: IDP_BUTTON }).click()]);
        await page.locator('#username').waitFor();
        await screenshot(page, 'saml-2-idp-login');
      });

      test('3. signing in at the IdP: back on the panel, signed in as the linked user, with the relay cookie', async () => {
        await Promise.all([
          page.waitForURL(setup.demo.panel.url, { timeout: 20_000 }),
          signInOnLoginForm(page, IDP_ALICE.username, IDP_ALICE.password),
        ]);
        assert.equal(await page.locator('#login').innerText(), USER.login);
        assert.doesNotMatch(page.url(), /ssosid/);
        assert.deepEqual(
          (await context.cookies(setup.relayOrigin)).map((cookie) => cookie.name),
          ['sid'],
        );
        const [record] = await services.store.queryAudit({ limit: 1, type: 'authentication.succeeded' });
        assert.equal(record?.detail.method, 'saml');
        assert.equal(record.detail.idp, IDP_NAME);
        await screenshot(page, 'saml-3-panel-signed-in');
      });

      test('4. billing: the same user without a prompt', async () => {
        await page.goto(setup.demo.billing.url);
        assert.equal(page.url(), setup.demo.billing.url);
        assert.equal(await page.locator('#login').innerText(), USER.login);
      });

      test("5. log out everywhere: both applications send the visitor to ssod's sign-in page again", async () => {
        await Promise.all([page.waitForURL(`${setup.relayOrigin}/login?*`), page.click('#logout')]);
        await page.goto(setup.demo.panel.url);
        assert.equal(pathOf(page.url()), `${setup.relayOrigin}/login`);
        await page.goto(setup.demo.billing.url);
        assert.equal(pathOf(page.url()), `${setup.relayOrigin}/login`);
      });
    });

    test('user id in an attribute: the employee number, linked as the federated id, signs alice in', async () => {
      await unlinkFederatedId(services, alice, IDP_NAME);
      await linkFederatedId(services, alice, IDP_NAME, IDP_ALICE.employeeNumber);
      await changeSettings({ userIdLocation: 'attribute', userIdAttribute: 'employeeNumber' });
      await signInThroughIdp(IDP_ALICE);
    });

    test("userIdType userId: an attribute carrying ssod's user id signs alice in, with no link", async () => {
      await unlinkFederatedId(services, alice, IDP_NAME);
      await changeSettings({ userIdType: 'userId', userIdLocation: 'attribute', userIdAttribute: 'ssodUserId' });
      await signInThroughIdp(IDP_ALICE);
    });

    test("userIdType userId: a NameID that is ssod's user id signs alice in", async () => {
      await changeSettings({ userIdType: 'userId', userIdLocation: 'subject' });
      await signInThroughIdp(idpById);
    });

    test('E33: an IdP-initiated response is refused while the IdP may not send one: the error page, the reason audited', async () => {
      await changeSettings({ userIdType: 'federatedId', userIdLocation: 'subject' });
      await linkFederatedId(services, alice, IDP_NAME, IDP_ALICE.username);
      const context = await newContext();
      try {
        const page = await context.newPage();
        await page.goto(idp.idpInitiatedUrl(`${setup.relayOrigin}/saml/metadata`, setup.demo.panel.url));
        const acs = page.waitForResponse((response) => pathOf(response.url()) === `${setup.relayOrigin}/saml/acs`, { timeout: 20_000 });
        await signInOnLoginForm(page, IDP_ALICE.username, IDP_ALICE.password);
        assert.equal((await acs).status(), 403);
        await page.waitForLoadState('load');
        assert.match(await page.locator('main').innerText(), /could not be accepted/);
        assert.deepEqual(await context.cookies(setup.relayOrigin), []);
        assert.match(await lastRefusal(), /^E33: an IdP-initiated response/);
        await screenshot(page, 'saml-4-idp-initiated-refused');
      } finally {
        await context.close();
      }
    });

    test("an IdP-initiated sign-in, once allowed, with the panel's URL as RelayState lands signed in on the panel", async () => {
      await changeSettings({ allowIdpInitiated: true });
      const context = await newContext();
      try {
        const page = await context.newPage();
        await page.goto(idp.idpInitiatedUrl(`${setup.relayOrigin}/saml/metadata`, setup.demo.panel.url));
        await Promise.all([
          page.waitForURL(setup.demo.panel.url, { timeout: 20_000 }),
          signInOnLoginForm(page, IDP_ALICE.username, IDP_ALICE.password),
        ]);
        assert.equal(await page.locator('#login').innerText(), USER.login);
        await screenshot(page, 'saml-5-idp-initiated-panel-signed-in');
      } finally {
        await context.close();
      }
    });

    test('createUsersOwnedBy: bob, unknown to ssod, gets an account owned by the panel at his first sign-in and lands on the panel', async () => {
      await changeSettings({ allowIdpInitiated: false, createUsersOwnedBy: setup.demo.panel.applicationId });
      await signInThroughIdp(IDP_BOB, IDP_BOB.username);
      const bob = defined(await services.store.findUserByFederatedId(IDP_NAME, IDP_BOB.username), 'the account made for bob');
      assert.equal(bob.login, IDP_BOB.username);
      assert.equal(bob.ownerId, setup.demo.panel.applicationId);
    });
  },
);
