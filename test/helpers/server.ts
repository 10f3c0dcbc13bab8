// Test harness: a real ssod on ephemeral loopback ports with a temporary data directory, and a
// SOAP client over real TLS that presents (or not) a client certificate.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { resolveOptions, type OptionName } from '../../src/config/options.js';
import { createLogger } from '../../src/infra/log.js';
import type { StartOptions } from '../../src/app/compose.js';
import { startServer, type RunningServer } from '../../src/app/server.js';

export const SSO_NS = 'http://swsoft.com/schemas/sso/1';
/** ssod's extensions (docs/EXTENSIONS.md). */
export const SSOX_NS = 'urn:ssod:ext:1';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';

export interface Credentials {
  readonly key: string;
  readonly cert: string;
}

export interface TestServer {
  readonly server: RunningServer;
  readonly soapPort: number;
  readonly relayPort: number;
  readonly dataDir: string;
  readonly caPem: string;
  /** Every log line the server wrote, parsed. */
  logRecords(): Record<string, unknown>[];
  /** Raw log text, for greps for secrets. */
  readonly logText: () => string;
  /** Shift the server's clock forward (expiry tests). */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

/** What a client needs to reach a server: an in-process TestServer, or a node process (helpers/cluster.ts). */
export type Endpoint = Pick<TestServer, 'soapPort' | 'relayPort' | 'caPem'>;

/** A server on a new temporary data directory (removed at close), or on `overrides.dataDir` (kept). */
export async function startTestServer(
  overrides: Partial<Record<OptionName, string | number>> = {},
  start: Pick<StartOptions, 'receiverLookup' | 'sessionStartCaPem'> = {},
): Promise<TestServer> {
  const ownDir = overrides.dataDir === undefined;
  const dataDir = ownDir ? mkdtempSync(path.join(os.tmpdir(), 'ssod-test-')) : String(overrides.dataDir);
  const options = resolveOptions({ flags: { soapPort: 0, relayPort: 0, logLevel: 'info', ...overrides, dataDir } });
  const lines: string[] = [];
  let offset = 0;
  const server = await startServer(options, {
    ...start,
    logger: createLogger('info', (line) => lines.push(line)),
    now: () => Date.now() + offset,
  });
  return {
    server,
    soapPort: server.soapPort,
    relayPort: server.relayPort,
    dataDir,
    caPem: server.services.ca.certificatePem,
    logRecords: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    logText: () => lines.join(''),
    advanceClock(ms) {
      offset += ms;
    },
    async close() {
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Splits the key+certificate string of protocol §5.1 into its two PEM blocks. */
export function splitPem(pem: string): Credentials {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (key === undefined || cert === undefined) throw new Error('not a key+certificate PEM string');
  return { key: key + '\n', cert: cert + '\n' };
}

export type SoapVersion = '1.1' | '1.2';

export function envelope(version: SoapVersion, body: string): string {
  const ns = version === '1.2' ? SOAP12_NS : SOAP11_NS;
  return `<env:Envelope xmlns:env="${ns}"><env:Header/><env:Body>${body}</env:Body></env:Envelope>`;
}

type Fields = Readonly<Record<string, string | undefined>>;

function children(prefix: string, fields: Fields): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `<${prefix}:${k}>${escapeXml(v)}</${prefix}:${k}>`)
    .join('');
}

/** How an operation element is written beyond the protocol's (docs/EXTENSIONS.md). */
export interface ExtensionOptions {
  /** The operation's namespace: SSOX_NS for an operation of ssod; the protocol's when absent. */
  readonly namespace?: string;
  /** ssox elements after the operation's own fields (extension inputs of a protocol operation). */
  readonly extensions?: Fields;
}

/** `<sso:op xmlns:sso="…"><sso:k>v</sso:k>…</sso:op>` (or `ssox:` for an extension), values escaped. */
export function operation(name: string, fields: Fields = {}, { namespace = SSO_NS, extensions = {} }: ExtensionOptions = {}): string {
  const prefix = namespace === SSOX_NS ? 'ssox' : 'sso';
  const extra = children('ssox', extensions);
  // ssox is declared only when used, so that a protocol request is what it always was.
  const declarations = `xmlns:${prefix}="${namespace}"${prefix === 'ssox' || extra === '' ? '' : ` xmlns:ssox="${SSOX_NS}"`}`;
  const inner = children(prefix, fields) + extra;
  return `<${prefix}:${name} ${declarations}>${inner}</${prefix}:${name}>`;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface HttpReply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface PostOptions {
  readonly credentials?: Credentials;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly method?: string;
  /** Connect from this local address (any of 127.0.0.0/8 reaches the loopback listener): another source. */
  readonly localAddress?: string;
}

/** One HTTPS request to the SOAP listener over a fresh TLS connection. */
/** What the SOAP helpers need of a server: an in-process TestServer or a `ssod serve` process. */
export type SoapEndpoint = Pick<TestServer, 'soapPort' | 'caPem'>;

export function httpsRequest(ts: SoapEndpoint, body: string | null, options: PostOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ts.soapPort,
        path: options.path ?? '/soap',
        method: options.method ?? (body === null ? 'GET' : 'POST'),
        ca: ts.caPem,
        agent: false,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
        ...(options.credentials ?? {}),
        headers: {
          ...(body === null ? {} : { 'Content-Type': options.contentType ?? 'application/soap+xml; charset=utf-8' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

export interface SoapReply extends HttpReply {
  /** The first text of each element local name in the reply (sso namespace prefix ignored). */
  field(name: string): string | undefined;
  all(name: string): string[];
  /** The sso fault code (SOAP 1.2 subcode or 1.1 faultcode), or undefined when no fault. */
  readonly fault: string | undefined;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

export function readSoap(reply: HttpReply): SoapReply {
  const all = (name: string): string[] =>
    [...reply.body.matchAll(new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([\\s\\S]*?)</(?:[\\w-]+:)?${name}>`, 'g'))].map((m) =>
      unescapeXml(m[1] ?? ''),
    );
  const subcode = /<env:Subcode>\s*<env:Value>sso:(\w+)<\/env:Value>/.exec(reply.body)?.[1];
  const faultcode = /<faultcode>sso:(\w+)<\/faultcode>/.exec(reply.body)?.[1];
  return { ...reply, field: (name) => all(name)[0], all, fault: subcode ?? faultcode };
}

/** A server answered in process (helpers/inProcess.ts), or one over TLS. */
export type SoapTarget = SoapEndpoint | { post(body: string, options?: PostOptions): Promise<HttpReply> };

/** One POST of `body` to the SOAP endpoint of either kind of target. */
export function postSoap(ts: SoapTarget, body: string, options: PostOptions = {}): Promise<HttpReply> {
  return 'post' in ts ? ts.post(body, options) : httpsRequest(ts, body, options);
}

/** Calls one operation; `credentials` absent means a guest. */
export async function call(
  ts: SoapTarget,
  name: string,
  fields: Readonly<Record<string, string | undefined>> = {},
  {
    credentials,
    version = '1.2',
    localAddress,
    ...extension
  }: { credentials?: Credentials; version?: SoapVersion; localAddress?: string } & ExtensionOptions = {},
): Promise<SoapReply> {
  const reply = await postSoap(ts, envelope(version, operation(name, fields, extension)), {
    ...(credentials ? { credentials } : {}),
    ...(localAddress !== undefined ? { localAddress } : {}),
    contentType: version === '1.2' ? 'application/soap+xml; charset=utf-8' : 'text/xml; charset=utf-8',
  });
  return readSoap(reply);
}

export interface RegisteredApp {
  readonly id: string;
  readonly credentials: Credentials;
  readonly url: string;
}

export async function registerApp(ts: SoapTarget, url = 'https://panel.example.com:8443/', name = 'panel'): Promise<RegisteredApp> {
  const reply = await call(ts, 'registerApplication', { name, displayName: name, version: '1.0', url });
  const id = reply.field('applicationId');
  const pem = reply.field('certificate');
  if (id === undefined || pem === undefined) throw new Error(`registerApplication failed: ${reply.body}`);
  return { id, credentials: splitPem(pem), url };
}

/** One GET to the relay; cookies as a Cookie header value. */
export function relayGet(ts: Pick<TestServer, 'relayPort'>, query: string, cookie?: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: ts.relayPort,
        path: `/relay?${query}`,
        method: 'GET',
        agent: false,
        headers: cookie ? { Cookie: cookie } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
