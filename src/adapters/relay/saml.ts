// SAML 2.0 service provider on the relay listener (docs/federation/saml.md):
//   GET  /saml/metadata           the SP's EntityDescriptor (entity id, assertion consumer service);
//   GET  /saml/login?idp=N&url=U  to identity provider N with an AuthnRequest, back to U once signed in;
//   POST /saml/acs                the identity provider's response (HTTP-POST binding): the relay's
//                                 cookie and a 302 to U with ssosid, as the sign-in page answers; any
//                                 refusal is an error page, its reason in the audit trail.
// U must be an address of a registered application, as at /relay and /login.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SamlLibrary, ServiceProviderNames } from '../../core/ports/saml.js';
import { finishSamlSignIn, startSamlSignIn, usableIdentityProviders, type SamlContext } from '../../core/saml.js';
import type { Services } from '../../core/services.js';
import { relayEndpointUrl } from '../../core/urls.js';
import { RELAY_HEADERS } from './pages.js';
import {
  answerRelayRequest,
  logRelay,
  oneField,
  queryOf,
  readPostedForm,
  redirect,
  redirectSignedIn,
  refuse,
  registeredOrigin,
} from './responses.js';

export const SAML_METADATA_PATH = '/saml/metadata';
export const SAML_LOGIN_PATH = '/saml/login';
export const SAML_ACS_PATH = '/saml/acs';

/** The largest form posted to the assertion consumer service (the response itself is limited to 256 KiB of base64). */
const ACS_FORM_LIMIT_BYTES = 512 * 1024;

/** The SP's names: the entity id is the metadata URL, on the relay listener's origin. */
export function serviceProviderNames(services: Services, secure: boolean): ServiceProviderNames {
  const origin = relayEndpointUrl(services.settings.current().hostname, services.options.relayPort, secure).replace(/\/relay$/, '');
  return { entityId: `${origin}${SAML_METADATA_PATH}`, acsUrl: `${origin}${SAML_ACS_PATH}` };
}

function contextOf(services: Services, library: SamlLibrary, secure: boolean): SamlContext {
  return { library, store: services.store, sp: serviceProviderNames(services, secure) };
}

/** The buttons of the sign-in page: each usable identity provider, leading to /saml/login for `url`. */
export async function identityProviderLinks(services: Services, url: string): Promise<{ label: string; href: string }[]> {
  const idps = await usableIdentityProviders({ store: services.store });
  // Relative to /login, as the form's own action is.
  return idps.map((idp) => ({
    label: idp.displayName,
    href: `${SAML_LOGIN_PATH.slice(1)}?${new URLSearchParams({ idp: idp.name, url }).toString()}`,
  }));
}

function sendMetadata(res: ServerResponse, xml: string): void {
  res.writeHead(200, {
    ...RELAY_HEADERS,
    'Content-Type': 'application/samlmetadata+xml; charset=utf-8',
    'Content-Length': Buffer.byteLength(xml),
  });
  res.end(xml);
}

async function login(
  services: Services,
  context: SamlContext,
  req: IncomingMessage,
  res: ServerResponse,
  log: (outcome: string, status: number) => void,
): Promise<void> {
  const query = queryOf(req.url);
  const idp = oneField(query, 'idp');
  const url = oneField(query, 'url');
  if (idp === null || url === null) {
    refuse(req, res, 'badQuery');
    log('badQuery', 400);
    return;
  }
  if ((await registeredOrigin(services, url)) === null) {
    refuse(req, res, 'unregisteredUrl');
    log('unregisteredUrl', 400);
    return;
  }
  const location = await startSamlSignIn(services, context, idp, url);
  if (location === null) {
    refuse(req, res, 'unknownIdentityProvider');
    log('unknownIdentityProvider', 400);
    return;
  }
  redirect(res, location);
  log('toIdentityProvider', 302);
}

async function acs(
  services: Services,
  context: SamlContext,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  log: (outcome: string, status: number, extra?: Record<string, string>) => void,
): Promise<void> {
  const form = await readPostedForm(req, res, ACS_FORM_LIMIT_BYTES, log);
  if (form === null) return;
  const samlResponse = oneField(form, 'SAMLResponse');
  if (samlResponse === null) {
    refuse(req, res, 'badForm');
    log('badForm', 400);
    return;
  }
  const result = await finishSamlSignIn(services, context, {
    samlResponse,
    relayState: oneField(form, 'RelayState'),
    address: req.socket.remoteAddress ?? '',
  });
  if (!result.ok) {
    refuse(req, res, 'samlRefused', { status: 403 });
    log('samlRefused', 403, { case: result.refusal.case, reason: result.refusal.message });
    return;
  }
  await redirectSignedIn(services, res, secure, { url: result.relayUrl, cookie: result.cookie });
  log('signedIn', 302);
}

/** GET /saml/metadata, GET /saml/login, POST /saml/acs; `secure` when the relay is served over HTTPS. */
export function handleSaml(
  services: Services,
  library: SamlLibrary,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean,
  route: string,
): Promise<void> {
  return answerRelayRequest(services, req, res, async (requestId) => {
    const log = (outcome: string, status: number, extra: Record<string, string> = {}): void =>
      logRelay(services, { requestId, command: `saml${route.slice('/saml/'.length)}`, outcome, status, ...extra });
    const context = contextOf(services, library, secure);
    if (route === SAML_METADATA_PATH) {
      sendMetadata(res, library.metadata(context.sp));
      log('metadata', 200);
      return;
    }
    if (route === SAML_LOGIN_PATH) {
      await login(services, context, req, res, log);
      return;
    }
    await acs(services, context, req, res, secure, log);
  });
}
