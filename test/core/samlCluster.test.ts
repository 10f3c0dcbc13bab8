// SAML state is the cluster's, not a node's (docs/federation/saml.md): two nodes on one PostgreSQL
// store, the AuthnRequest sent by one, its answer accepted by the other, and the same answer posted
// again to the first refused as a replay (case E33). Responses are signed with xml-crypto's SignedXml.
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';
import { test } from 'node:test';
import { finishSamlSignIn, startSamlSignIn, type SamlContext } from '../../src/core/saml.js';
import { createUser } from '../../src/core/users.js';
import { nodeSamlLibrary } from '../../src/infra/saml/serviceProvider.js';
import { idpRecord } from '../helpers/identityProviders.js';
import { twoPostgresNodes } from '../helpers/pgNodes.js';
import { postgresSuite } from '../helpers/postgres.js';
import { newSigningKey, signedResponse, signingIdpSettings } from '../helpers/samlResponses.js';
import { registerApp, type TestServer } from '../helpers/server.js';

const SP = { entityId: 'https://sso.example.test/saml/metadata', acsUrl: 'https://sso.example.test/saml/acs' };
const ISSUER = 'https://idp.example.test/saml';

postgresSuite('SAML across the nodes of a PostgreSQL cluster', () => {
  const nodes = twoPostgresNodes('saml');

  test('E33: an AuthnRequest of one node is answered at another, and the same response posted again to the first is a replay', async () => {
    const [first, second] = nodes();
    const app = await registerApp(first, 'https://shop.example.com:443/', 'shop');
    const key = await newSigningKey();
    await first.server.services.store.insertIdentityProvider(idpRecord('corp', signingIdpSettings(ISSUER, key)));
    const alice = await createUser(
      first.server.services,
      app.id,
      'alice@example.com',
      await first.server.services.passwords.hash('pw'),
      'operator',
    );
    await first.server.services.store.linkFederatedId({ idpName: 'corp', federatedId: 'alice-at-corp', userId: alice, createdAt: 0 });
    const contextOf = (node: TestServer): SamlContext => ({ library: nodeSamlLibrary(), store: node.server.services.store, sp: SP });

    const redirect = await startSamlSignIn(first.server.services, contextOf(first), 'corp', `${app.url}page`);
    assert.ok(redirect !== null);
    const request = inflateRawSync(Buffer.from(new URL(redirect).searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const inResponseTo = /\bID="([^"]+)"/.exec(request)?.[1];
    assert.ok(inResponseTo !== undefined, request);
    const response = signedResponse(
      { issuer: ISSUER, destination: SP.acsUrl, recipient: SP.acsUrl, audience: SP.entityId, inResponseTo, nameId: 'alice-at-corp' },
      key,
    );
    const post = { samlResponse: response, relayState: `${app.url}page`, address: '127.0.0.1' };

    const atSecond = await finishSamlSignIn(second.server.services, contextOf(second), post);
    assert.ok(atSecond.ok, atSecond.ok ? '' : atSecond.refusal.message);
    const replayed = await finishSamlSignIn(first.server.services, contextOf(first), post);
    assert.ok(!replayed.ok, 'the replay at the first node was accepted');
    assert.equal(replayed.refusal.case, 'E33');
  });
});
