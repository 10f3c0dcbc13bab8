// URL rules of docs/DECISIONS.md "URLs". A base URL is `scheme://host:port/`, the port always written out.
// Parsing is done by hand on a strict grammar instead of the WHATWG parser, whose leniency
// (backslashes, tabs, user info, percent-decoding of hosts) is what open-redirect bugs are made of.
import { parseHostName } from './hosts.js';

const SCHEME_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443 };

const AUTHORITY_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;

export interface Origin {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port/`: the normalized base URL. */
  readonly baseUrl: string;
}

/** Parses `scheme://host[:port]`; null when it is not exactly that shape. */
function parseAuthority(scheme: string, authority: string): Origin | null {
  const lowerScheme = scheme.toLowerCase();
  const defaultPort = SCHEME_PORTS[lowerScheme];
  if (defaultPort === undefined) return null;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (!match) return null;
  // A DNS name, IPv4, or bracketed IPv6 (an unbracketed one cannot get here: its colons end the host).
  const host = (match[1] ?? '').toLowerCase();
  if (parseHostName(host) === null) return null;
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port < 1 || port > 65_535) return null;
  const normalizedScheme = lowerScheme as 'http' | 'https';
  return { scheme: normalizedScheme, host, port, baseUrl: `${normalizedScheme}://${host}:${port}/` };
}

/**
 * A base URL or application URL (protocol §5.1, §5.17): scheme http(s), a host, an optional port, and
 * nothing after an optional `/`. Returns the normalized form or null.
 */
export function normalizeBaseUrl(text: string): string | null {
  const match = AUTHORITY_URL.exec(text);
  if (!match) return null;
  const rest = match[3] ?? '';
  if (rest !== '' && rest !== '/') return null;
  return parseAuthority(match[1] ?? '', match[2] ?? '')?.baseUrl ?? null;
}

// Printable ASCII without space, quote, angle brackets, backslash, backtick, braces or pipe.
const SAFE_URL_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * The origin of a relay `url` parameter (docs/DECISIONS.md "URLs"): an absolute http(s) URL with no user
 * info, no characters outside the safe set, and no encoded control characters. Null when refused.
 */
export function originOfRedirectUrl(text: string): Origin | null {
  if (text.length === 0 || text.length > 2048 || !SAFE_URL_CHARS.test(text)) return null;
  // Encoded control characters (CR, LF, NUL, …) and encoded backslashes are refused wherever they stand.
  if (/%(?:[01][0-9a-f]|7f|5c)/i.test(text)) return null;
  const match = AUTHORITY_URL.exec(text);
  if (!match) return null;
  const rest = match[3] ?? '';
  if (rest !== '' && !/^[/?#]/.test(rest)) return null;
  return parseAuthority(match[1] ?? '', match[2] ?? '');
}

/**
 * Adds `ssosid=<value>` to a validated redirect URL: any `ssosid` parameter already in the query is
 * removed, and the new one goes before the fragment (C20).
 */
export function withSsosid(url: string, ssosid: string): string {
  return withQueryParameter(url, 'ssosid', ssosid);
}

/**
 * Adds `name=<value>` to a validated redirect URL: any parameter of that name already in the query
 * (compared decoded and in lower case) is removed, and the new one goes before the fragment.
 */
export function withQueryParameter(url: string, name: string, value: string): string {
  const hashAt = url.indexOf('#');
  const beforeFragment = hashAt === -1 ? url : url.slice(0, hashAt);
  const fragment = hashAt === -1 ? '' : url.slice(hashAt);
  const queryAt = beforeFragment.indexOf('?');
  const path = queryAt === -1 ? beforeFragment : beforeFragment.slice(0, queryAt);
  const query = queryAt === -1 ? '' : beforeFragment.slice(queryAt + 1);
  const kept = query.split('&').filter((pair) => pair !== '' && !isPairNamed(pair, name));
  kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${path}?${kept.join('&')}${fragment}`;
}

function isPairNamed(pair: string, name: string): boolean {
  const pairName = pair.split('=', 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(pairName.replace(/\+/g, ' '));
  } catch {
    return false;
  }
  return decoded.toLowerCase() === name.toLowerCase();
}

/** A host name as it goes into a URL: an IPv6 literal in brackets. */
export function urlHost(hostname: string): string {
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

/** The relay endpoint as applications must call it (protocol §2.1): HTTP, or HTTPS with --relay-tls on. */
export function relayEndpointUrl(hostname: string, relayPort: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${urlHost(hostname)}:${relayPort}/relay`;
}
