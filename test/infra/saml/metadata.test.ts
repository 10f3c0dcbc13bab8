// An identity provider's metadata read for `ssod idps add --metadata` (infra/saml/metadata.ts and
// core/samlMetadata.ts): what is taken from a SimpleSAMLphp-style EntityDescriptor, and what is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Refusal } from '../../../src/core/refusal.js';
import { readIdentityProviderMetadata, settingsOfMetadataText } from '../../../src/infra/saml/metadata.js';
import { ROLLOVER_PEM, SIGNING_PEM, samlFixture, samlFixturePath } from '../../helpers/identityProviders.js';

const FIXTURE = samlFixture('simplesamlphp-idp-metadata.xml');
const metadata = (text: string) => settingsOfMetadataText(Buffer.from(text));

test('a SimpleSAMLphp metadata file gives the entityID, the HTTP-Redirect sign-in URL and the signing certificates only', async () => {
  const settings = await readIdentityProviderMetadata(samlFixturePath('simplesamlphp-idp-metadata.xml'));
  assert.deepEqual(settings, {
    issuer: 'https://idp.example.org/simplesaml/saml2/idp/metadata.php',
    signInUrl: 'https://idp.example.org/simplesaml/saml2/idp/SSOService.php',
    certificates: [SIGNING_PEM, ROLLOVER_PEM],
  });
});

test('E36: a DOCTYPE in metadata is refused by the hardened reader before anything is read', () => {
  const hostile = FIXTURE.replace('<?xml version="1.0"?>', '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x SYSTEM "file:///etc/passwd">]>');
  assert.throws(
    () => metadata(hostile),
    (error: unknown) => error instanceof Refusal && /DOCTYPE is not allowed/.test(error.message),
  );
});

test('an aggregate, no Redirect binding, no signing key or no entityID is refused with what to give instead', () => {
  assert.throws(
    () => metadata('<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"/>'),
    /aggregate of several entities/,
  );
  assert.throws(
    () =>
      metadata(
        FIXTURE.replace(
          /Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="[^"]*SSOService.php"/,
          'Binding="x" Location="y"',
        ),
      ),
    /HTTP-Redirect binding; give --sign-in-url/,
  );
  assert.throws(
    () => metadata(FIXTURE.replace(/<md:KeyDescriptor( use="signing")?>[\s\S]*?<\/md:KeyDescriptor>/g, '')),
    /no signing certificate/,
  );
  assert.throws(() => metadata(FIXTURE.replace(/ entityID="[^"]*"/, '')), /has no entityID/);
  assert.throws(() => metadata('not xml'), /refused by the XML reader/);
});

test('a metadata URL must be https://, and a file that cannot be read says which option to check', async () => {
  await assert.rejects(readIdentityProviderMetadata('http://idp.example.org/metadata'), /must start with https:\/\//);
  await assert.rejects(readIdentityProviderMetadata('/no/such/metadata.xml'), /cannot read the metadata file \(ENOENT\)/);
});
