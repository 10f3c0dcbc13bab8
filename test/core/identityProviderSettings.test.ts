// The checks of an identity provider's settings (core/identityProviderSettings.ts), made on every way
// they come in: each refusal says what to give instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  certificateSummary,
  checkCertificatesCurrent,
  checkFederatedId,
  checkIdentityProviderName,
  parseIdentityProviderSettings,
  usableCertificates,
} from '../../src/core/identityProviderSettings.js';
import { Refusal } from '../../src/core/refusal.js';
import { ROLLOVER_PEM, SIGNING_PEM, idpSettings, samlFixture } from '../helpers/identityProviders.js';

const refusedWith = (value: unknown, pattern: RegExp): void => {
  assert.throws(
    () => parseIdentityProviderSettings(value),
    (error: unknown) => error instanceof Refusal && pattern.test(error.message),
  );
};

test('valid settings come back normalized, with the defaults filled in', () => {
  const { userIdType: _type, userIdLocation: _location, allowIdpInitiated: _allow, createUsersOwnedBy: _owner, ...minimal } = idpSettings();
  assert.deepEqual(parseIdentityProviderSettings(minimal), idpSettings());
  const attribute = idpSettings({ userIdLocation: 'attribute', userIdAttribute: 'uid', certificates: [SIGNING_PEM, ROLLOVER_PEM] });
  assert.deepEqual(parseIdentityProviderSettings(attribute), attribute);
});

test('the issuer, the sign-in URL and the user id location are refused with what to give', () => {
  refusedWith({ ...idpSettings(), issuer: '' }, /the issuer must be the identity provider's entity id/);
  refusedWith({ ...idpSettings(), issuer: 'x'.repeat(1025) }, /1 to 1024 characters/);
  refusedWith({ ...idpSettings(), signInUrl: 'http://idp.example.org/sso' }, /must start with https:\/\//);
  refusedWith({ ...idpSettings(), signInUrl: 'not a url' }, /is not a URL/);
  refusedWith({ ...idpSettings(), signInUrl: 'https://user:pw@idp.example.org/' }, /must not hold a user or a password/);
  refusedWith({ ...idpSettings(), userIdLocation: 'attribute' }, /needs --user-id-attribute/);
  refusedWith({ ...idpSettings(), userIdAttribute: 'uid' }, /only for --user-id-location attribute/);
  refusedWith({ ...idpSettings(), userIdType: 'email' }, /userId or federatedId/);
  refusedWith({ ...idpSettings(), surprise: true }, /no setting "surprise"/);
  assert.equal(
    parseIdentityProviderSettings({ ...idpSettings(), signInUrl: 'http://127.0.0.1:8080/sso' }).signInUrl,
    'http://127.0.0.1:8080/sso',
  );
});

test('certificates: at least one, each one PEM certificate, RSA of 2048 bits or more or EC, never twice', () => {
  refusedWith({ ...idpSettings(), certificates: [] }, /at least one signing certificate/);
  refusedWith({ ...idpSettings(), certificates: ['not pem'] }, /exactly one PEM certificate/);
  refusedWith({ ...idpSettings(), certificates: [SIGNING_PEM + ROLLOVER_PEM] }, /exactly one PEM certificate/);
  refusedWith({ ...idpSettings(), certificates: [samlFixture('weak-rsa1024.pem')] }, /RSA key of 1024 bits/);
  refusedWith({ ...idpSettings(), certificates: [SIGNING_PEM, SIGNING_PEM] }, /the same certificate is given twice/);
  // A line of the body left out: still PEM-shaped, no longer DER.
  const lines = SIGNING_PEM.split('\n');
  const corrupt = [...lines.slice(0, 3), ...lines.slice(4)].join('\n');
  refusedWith({ ...idpSettings(), certificates: [corrupt] }, /not a valid X\.509 certificate/);
});

test('an expired certificate is refused when added, and never used afterwards; one expiring soon is flagged', () => {
  const expired = samlFixture('expired.pem');
  const settings = parseIdentityProviderSettings({ ...idpSettings(), certificates: [SIGNING_PEM, expired] });
  assert.throws(() => checkCertificatesCurrent(settings, Date.now()), /certificate 2 .* is not valid now/);
  assert.deepEqual(usableCertificates(settings, Date.now()), [SIGNING_PEM]);
  const notAfter = certificateSummary(SIGNING_PEM, Date.now()).notAfter;
  assert.equal(certificateSummary(SIGNING_PEM, notAfter - 24 * 60 * 60 * 1000).expiresSoon, true);
  assert.equal(certificateSummary(SIGNING_PEM, Date.now()).expiresSoon, false);
});

test('names and federated ids', () => {
  assert.equal(checkIdentityProviderName('corp-idp.1'), 'corp-idp.1');
  assert.throws(() => checkIdentityProviderName('-x'), Refusal);
  assert.throws(() => checkIdentityProviderName('a b'), Refusal);
  assert.equal(checkFederatedId('Alice@Corp'), 'Alice@Corp');
  assert.throws(() => checkFederatedId(''), Refusal);
  assert.throws(() => checkFederatedId('a\nb'), Refusal);
});
