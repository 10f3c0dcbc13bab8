// An identity provider's SAML metadata (its EntityDescriptor) read into the settings ssod needs
// (docs/federation/saml.md, "Metadata import"): the entityID is the issuer, the single sign-on service
// of the HTTP-Redirect binding is the sign-in URL, and the certificates of its signing keys (use
// "signing", or no use) are the certificates. Importing is a convenience, not trust: the metadata's own
// signature is not checked, so the operator compares the certificates' fingerprints with the ones the
// identity provider published elsewhere. The XML is read by the infrastructure's hardened reader (no
// DOCTYPE, no entities) and handed here as a tree.
import { Refusal } from './refusal.js';
import type { IdentityProviderSettings } from './store/identityProviders.js';

/** An element as the hardened XML reader gives it (infra/xml.ts). */
export interface MetadataElement {
  readonly ns: string;
  readonly local: string;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly MetadataElement[];
  readonly text: string;
}

export const METADATA_NS = 'urn:oasis:names:tc:SAML:2.0:metadata';
export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const SAML2_PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
export const HTTP_REDIRECT_BINDING = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** What metadata gives of an identity provider's settings; the rest is the operator's. */
export type MetadataSettings = Pick<IdentityProviderSettings, 'issuer' | 'signInUrl' | 'certificates'>;

function refuse(message: string): never {
  throw new Refusal(`the metadata ${message}`);
}

function childrenOf(element: MetadataElement, ns: string, local: string): MetadataElement[] {
  return element.children.filter((child) => child.ns === ns && child.local === local);
}

/** The certificate of a KeyDescriptor's KeyInfo/X509Data/X509Certificate as PEM (base64 rewrapped at 64). */
function pemOf(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) refuse('holds an X509Certificate that is not base64');
  return `-----BEGIN CERTIFICATE-----\n${(body.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
}

function signingCertificates(descriptor: MetadataElement): string[] {
  const pems: string[] = [];
  for (const key of childrenOf(descriptor, METADATA_NS, 'KeyDescriptor')) {
    const use = key.attributes.get('use');
    if (use !== undefined && use !== 'signing') continue;
    for (const info of childrenOf(key, XMLDSIG_NS, 'KeyInfo'))
      for (const data of childrenOf(info, XMLDSIG_NS, 'X509Data'))
        for (const certificate of childrenOf(data, XMLDSIG_NS, 'X509Certificate')) pems.push(pemOf(certificate.text));
  }
  return [...new Set(pems)];
}

/** The IDPSSODescriptor of a single EntityDescriptor (an aggregate of many entities is refused). */
function idpDescriptorOf(root: MetadataElement): { entityId: string; descriptor: MetadataElement } {
  if (root.ns !== METADATA_NS || root.local !== 'EntityDescriptor')
    refuse(
      root.local === 'EntitiesDescriptor'
        ? "is an aggregate of several entities; give the identity provider's own metadata (one EntityDescriptor)"
        : 'is not a SAML 2.0 EntityDescriptor',
    );
  const entityId = root.attributes.get('entityID');
  if (entityId === undefined || entityId.trim() === '') refuse('has no entityID');
  const descriptors = childrenOf(root, METADATA_NS, 'IDPSSODescriptor').filter((d) =>
    (d.attributes.get('protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL),
  );
  const descriptor = descriptors[0];
  if (descriptor === undefined) refuse('describes no SAML 2.0 identity provider (no IDPSSODescriptor)');
  return { entityId, descriptor };
}

/** The issuer, the sign-in URL and the signing certificates of the metadata (checked later with every other setting). */
export function settingsOfMetadata(root: MetadataElement): MetadataSettings {
  const { entityId, descriptor } = idpDescriptorOf(root);
  const redirect = childrenOf(descriptor, METADATA_NS, 'SingleSignOnService').find(
    (service) => service.attributes.get('Binding') === HTTP_REDIRECT_BINDING,
  );
  const location = redirect?.attributes.get('Location');
  if (location === undefined) refuse('has no SingleSignOnService of the HTTP-Redirect binding; give --sign-in-url');
  const certificates = signingCertificates(descriptor);
  if (certificates.length === 0)
    refuse('has no signing certificate (KeyDescriptor use="signing", or without use); give --certificate-file');
  return { issuer: entityId, signInUrl: location, certificates };
}
