// SAML identity providers for the tests: settings with the fixture certificates (test/fixtures/saml/),
// and records of them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IdentityProviderRecord, IdentityProviderSettings } from '../../src/core/store/index.js';

/** The path of a file of test/fixtures/saml/, from the compiled test under dist/. */
export function samlFixturePath(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/saml/${name}`, import.meta.url));
}

export function samlFixture(name: string): string {
  return readFileSync(samlFixturePath(name), 'utf8');
}

/** RSA 2048, valid for a hundred years. */
export const SIGNING_PEM = samlFixture('idp-signing.pem');
/** EC P-256, valid for a hundred years: the next key of a rotation. */
export const ROLLOVER_PEM = samlFixture('idp-rollover.pem');

export function idpSettings(overrides: Partial<IdentityProviderSettings> = {}): IdentityProviderSettings {
  return {
    issuer: 'https://idp.example.org/simplesaml/saml2/idp/metadata.php',
    signInUrl: 'https://idp.example.org/simplesaml/saml2/idp/SSOService.php',
    userIdType: 'federatedId',
    userIdLocation: 'subject',
    certificates: [SIGNING_PEM],
    allowIdpInitiated: false,
    createUsersOwnedBy: null,
    ...overrides,
  };
}

export function idpRecord(
  name: string,
  settings: IdentityProviderSettings = idpSettings(),
  at = 1_700_000_000_000,
): IdentityProviderRecord {
  return { name, displayName: `${name} sign-in`, settings, createdAt: at, updatedAt: at };
}
