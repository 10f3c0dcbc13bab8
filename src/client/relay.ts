// The SSO Relay's two commands as URLs (protocol §2.2), and the reading of its answer. Parameters are
// URL-encoded as protocol §2.1 requires; URLSearchParams does exactly that.

/** The query parameter the relay adds to the return URL (protocol §2.2.2). */
export const SSOSID_PARAM = 'ssosid';

/** protocol §2.2.1 set global session cookie: the browser goes here right after authenticate. */
export function setCookieUrl(relayUrl: string | URL, token: string, returnUrl: string | URL): string {
  const url = new URL(relayUrl);
  url.search = new URLSearchParams({ token, url: String(returnUrl) }).toString();
  return url.href;
}

/** protocol §2.2.2 get global session ID: the browser comes back to `returnUrl` with ssosid. */
export function getSessionUrl(relayUrl: string | URL, returnUrl: string | URL): string {
  const url = new URL(relayUrl);
  url.search = new URLSearchParams({ url: String(returnUrl) }).toString();
  return url.href;
}

/**
 * ssod's own sign-in page, which serves on the relay's listener beside the relay (`/login`): the person
 * signs in there and comes back to `returnUrl` with ssosid, as from get global session ID.
 */
export function signInPageUrl(relayUrl: string | URL, returnUrl: string | URL): string {
  const url = new URL('login', relayUrl);
  url.search = new URLSearchParams({ url: String(returnUrl) }).toString();
  return url.href;
}

/** What a request URL says about the relay's answer. */
export type RelayAnswer =
  | { readonly kind: 'absent' } // not a return from the relay
  | { readonly kind: 'none' } // no global session in this browser (protocol §2.2: ssosid=none)
  | { readonly kind: 'session'; readonly sessionId: string }; // a local session id, to verify

/** Reads ssosid from a request URL (`req.url`, path and query) or a full URL. */
export function readSsosid(requestUrl: string | URL): RelayAnswer {
  const values = new URL(requestUrl, 'http://request.invalid').searchParams.getAll(SSOSID_PARAM);
  // More than one is not something the relay sends: treat it as no answer rather than pick one.
  if (values.length !== 1 || values[0] === undefined || values[0] === '') return { kind: 'absent' };
  return values[0] === 'none' ? { kind: 'none' } : { kind: 'session', sessionId: values[0] };
}

/** The URL without ssosid, to send the browser on to after reading it (it must not stay in history or Referer). */
export function withoutSsosid(requestUrl: string | URL, base: string | URL): URL {
  const url = new URL(requestUrl, base);
  url.searchParams.delete(SSOSID_PARAM);
  return url;
}

/**
 * `scheme://host:port/` of an application URL, the port always written out, as ssod writes the
 * base URL at the start of every local session id (Open Fusion SSO protocol, section 5.17).
 */
export function baseUrlOf(appUrl: URL): string {
  const port = appUrl.port === '' ? (appUrl.protocol === 'https:' ? '443' : '80') : appUrl.port;
  return `${appUrl.protocol}//${appUrl.hostname}:${port}/`;
}
