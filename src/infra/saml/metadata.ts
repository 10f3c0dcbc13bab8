// Reading an identity provider's metadata for `ssod idps add --metadata` (docs/federation/saml.md,
// "Metadata import"), from a file or an https:// URL, and probing its sign-in URL for `ssod idps test`.
// Outbound calls follow docs/SECURITY.md section E: verified TLS (infra/sources/tls.ts), a connect
// timeout and a whole-call deadline, a size limit, no redirects followed, nothing in the answer
// trusted: the XML goes through the hardened reader (no DOCTYPE, no entities) and the settings it
// gives are checked like the operator's own.
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { Refusal } from '../../core/refusal.js';
import { settingsOfMetadata, type MetadataSettings } from '../../core/samlMetadata.js';
import { parseXml, XmlRefusal } from '../xml.js';
import { sourceTlsOptions } from '../sources/tls.js';

/** The largest metadata read. */
export const MAX_METADATA_BYTES = 1024 * 1024;
export const METADATA_TIMEOUTS = { connectTimeoutMs: 3000, timeoutMs: 8000 } as const;
/** Metadata holds more elements than a SOAP envelope: keys, services, contacts, extensions. */
const METADATA_XML_LIMITS = { maxElements: 20_000, maxDepth: 32 } as const;

/** What an outbound request gave: its status and at most `maxBytes` of body, or why there is none. */
export type Fetched =
  { readonly ok: true; readonly status: number; readonly body: Buffer } | { readonly ok: false; readonly detail: string };

export interface FetchLimits {
  readonly connectTimeoutMs: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

function requestOptions(url: URL, method: string): https.RequestOptions {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const tls = url.protocol === 'https:' ? sourceTlsOptions(METADATA_TIMEOUTS, host) : {};
  return {
    ...tls,
    ...(url.protocol === 'https:' && isIP(host) !== 0 ? { servername: '' } : {}),
    host,
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method,
    agent: false,
    headers: { Connection: 'close', Accept: 'application/samlmetadata+xml, application/xml, text/xml, */*' },
  };
}

/**
 * One GET or HEAD, never following a redirect. It settles exactly once: with the answer, at an error,
 * at the connect timeout, at the deadline, or when the body passes `maxBytes`; the socket is destroyed each way.
 */
export function fetchOnce(target: string, method: 'GET' | 'HEAD', limits: FetchLimits): Promise<Fetched> {
  const url = new URL(target);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = transport.request(requestOptions(url, method));
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const finish = (outcome: Fetched): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    timers.push(setTimeout(() => finish({ ok: false, detail: `no complete answer within ${limits.timeoutMs} ms` }), limits.timeoutMs));
    request.once('socket', (socket) => {
      const connecting = setTimeout(
        () => finish({ ok: false, detail: `no connection within ${limits.connectTimeoutMs} ms` }),
        limits.connectTimeoutMs,
      );
      timers.push(connecting);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connecting));
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, detail: error.code ?? error.message }));
    request.once('response', (response) => {
      response.on('error', () => undefined);
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) finish({ ok: false, detail: `the answer is over ${limits.maxBytes} bytes` });
        else chunks.push(chunk);
      });
      response.once('end', () => finish({ ok: true, status, body: Buffer.concat(chunks) }));
      response.once('close', () => finish({ ok: false, detail: 'the connection closed before the answer ended' }));
    });
    request.end();
  });
}

async function metadataBytesFromUrl(target: string): Promise<Buffer> {
  const url = new URL(target);
  if (url.protocol !== 'https:') throw new Refusal('a metadata URL must start with https://; or download the file and give its path');
  const fetched = await fetchOnce(target, 'GET', { ...METADATA_TIMEOUTS, maxBytes: MAX_METADATA_BYTES });
  if (!fetched.ok) throw new Refusal(`cannot fetch the metadata from ${url.origin}: ${fetched.detail}`);
  if (fetched.status >= 300 && fetched.status < 400)
    throw new Refusal(`the metadata URL answered with a redirect (HTTP ${fetched.status}), which is not followed; give the final URL`);
  if (fetched.status !== 200) throw new Refusal(`the metadata URL answered HTTP ${fetched.status}`);
  return fetched.body;
}

async function metadataBytesFromFile(file: string): Promise<Buffer> {
  try {
    if ((await stat(file)).size > MAX_METADATA_BYTES) throw new Refusal(`the metadata file is over ${MAX_METADATA_BYTES} bytes`);
    return await readFile(file);
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(
      `cannot read the metadata file (${(error as NodeJS.ErrnoException).code ?? String(error)}); check the --metadata path`,
    );
  }
}

/** The settings in metadata text, read by the hardened reader (a DOCTYPE, entities or processing instructions are refused). */
export function settingsOfMetadataText(bytes: Buffer): MetadataSettings {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Refusal('the metadata is not UTF-8 text');
  }
  try {
    return settingsOfMetadata(parseXml(text.replace(/^\uFEFF/, ''), METADATA_XML_LIMITS));
  } catch (error) {
    if (error instanceof XmlRefusal) throw new Refusal(`the metadata is refused by the XML reader: ${error.message}`);
    throw error;
  }
}

/** The settings in an identity provider's metadata, from a file or an https:// URL. */
export async function readIdentityProviderMetadata(fileOrUrl: string): Promise<MetadataSettings> {
  const bytes = /^[a-z][a-z0-9+.-]*:\/\//i.test(fileOrUrl) ? await metadataBytesFromUrl(fileOrUrl) : await metadataBytesFromFile(fileOrUrl);
  return settingsOfMetadataText(bytes);
}

/** Whether the sign-in URL gives any HTTP answer over verified TLS within the timeouts (GET: some IdPs refuse HEAD). */
export async function probeSignInUrl(url: string): Promise<{ ok: boolean; detail: string }> {
  const fetched = await fetchOnce(url, 'GET', { ...METADATA_TIMEOUTS, maxBytes: 64 * 1024 });
  if (!fetched.ok && fetched.detail.startsWith('the answer is over')) return { ok: true, detail: 'answered (a large page)' };
  return fetched.ok ? { ok: true, detail: `answered HTTP ${fetched.status}` } : { ok: false, detail: fetched.detail };
}
