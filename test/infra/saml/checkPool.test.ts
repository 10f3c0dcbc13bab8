// The checks of a posted SAML response on the check pool's threads (infra/saml/checkPool.ts): the
// same outcome as on the event loop (serviceProvider.ts checkSamlResponse), with real responses
// signed by xml-crypto: the identity, a refusal with its case and reason, the attributes without a
// prototype, and several checks at once on fewer threads.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { SamlRefusal, type SamlResponseCheck } from '../../../src/core/ports/saml.js';
import { checkInThread } from '../../../src/infra/saml/checkPool.js';
import { checkSamlResponse } from '../../../src/infra/saml/serviceProvider.js';
import { newSigningKey, signedResponse, signingIdpSettings, type ResponseFacts, type SigningKey } from '../../helpers/samlResponses.js';

const SP = { entityId: 'https://sso.example.test/saml/metadata', acsUrl: 'https://sso.example.test/saml/acs' };
const ISSUER = 'https://idp.example.test/metadata';

let key: SigningKey;
before(async () => {
  key = await newSigningKey();
});

function facts(more: Partial<ResponseFacts> = {}): ResponseFacts {
  return {
    issuer: ISSUER,
    destination: SP.acsUrl,
    recipient: SP.acsUrl,
    audience: SP.entityId,
    inResponseTo: '_request1',
    nameId: 'alice',
    ...more,
  };
}

function check(samlResponse: string): SamlResponseCheck {
  return { samlResponse, idp: signingIdpSettings(ISSUER, key), sp: SP, now: Date.now() };
}

test('a valid response: the same identity as checked on the event loop, its attributes without a prototype', async () => {
  const response = signedResponse(facts({ attributes: { mail: 'alice@example.test', constructor: 'x' } }), key);
  const threaded = await checkInThread(check(response));
  assert.deepEqual(
    { ...threaded, attributes: { ...threaded.attributes } },
    {
      ...(await checkSamlResponse(check(response))),
      attributes: { mail: ['alice@example.test'], constructor: ['x'] },
    },
  );
  assert.equal(Object.getPrototypeOf(threaded.attributes), null);
  assert.equal(threaded.nameId, 'alice');
  assert.equal(threaded.inResponseTo, '_request1');
});

test('a refusal comes back as a SamlRefusal with its case and reason', async () => {
  const stranger = await newSigningKey('stranger.example.test');
  const wrongRecipient = signedResponse(facts({ recipient: 'https://elsewhere.example.test/acs' }), key);
  await assert.rejects(checkInThread(check(signedResponse(facts(), stranger))), (error: unknown) => {
    assert.ok(error instanceof SamlRefusal);
    assert.equal(error.case, 'E32');
    assert.match(error.message, /^the SAML library refused the response: /);
    return true;
  });
  await assert.rejects(checkInThread(check(wrongRecipient)), (error: unknown) => {
    assert.ok(error instanceof SamlRefusal);
    assert.equal(error.case, 'E33');
    assert.equal(error.message, 'Recipient is not this assertion consumer service: https://elsewhere.example.test/acs');
    return true;
  });
  await assert.rejects(checkInThread(check('not base64!')), {
    name: 'SamlRefusal',
    case: 'malformed',
    message: 'the response is not base64',
  });
});

test('more checks at once than threads: each gets its own outcome', async () => {
  const names = Array.from({ length: 12 }, (_, index) => `user${index}`);
  const identities = await Promise.all(names.map((nameId) => checkInThread(check(signedResponse(facts({ nameId }), key)))));
  assert.deepEqual(
    identities.map((identity) => identity.nameId),
    names,
  );
});
