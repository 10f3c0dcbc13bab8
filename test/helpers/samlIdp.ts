// A real SAML 2.0 identity provider for the SAML tests: SimpleSAMLphp 1.19 from Debian
// (/usr/share/simplesamlphp), run by PHP's built-in server on a loopback port with a configuration of
// its own in a temporary directory (SIMPLESAMLPHP_CONFIG_DIR): the IdP's RSA 2048 key and self-signed
// certificate made by openssl, users of exampleauth:UserPass, one service provider (the one under
// test) with its assertion consumer service. Assertions are signed with RSA-SHA256; the NameID is the
// user's username in the format asked for. docs/federation/saml-simplesamlphp.md sets up the same
// for an operator. captureResponse signs a user in with headless Chromium and keeps the SAMLResponse
// the IdP has the browser post, without delivering it, for tests that alter real responses.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { freePort } from './ports.js';
import { startPhpServer } from './phpServer.js';

const SIMPLESAMLPHP_WWW = '/usr/share/simplesamlphp/www';

export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

/** The attribute the NameID is made of; it is removed again before the response is built. */
const NAMEID_ATTRIBUTE = 'ssod-test-nameid';

export interface SamlIdpUser {
  /** Without ':' (exampleauth:UserPass keys are `username:password`). */
  readonly username: string;
  readonly password: string;
  /** Sent in the assertion's AttributeStatement, names as given (NameFormat basic). */
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

export interface SamlIdpOptions {
  /** The service provider the IdP answers (its saml20-sp-remote entry). */
  readonly spEntityId: string;
  /** Its assertion consumer service (HTTP-POST binding). */
  readonly acsUrl: string;
  readonly users: readonly SamlIdpUser[];
  /** The NameID's format (its value is the username); persistent unless given. */
  readonly nameIdFormat?: typeof NAMEID_PERSISTENT | typeof NAMEID_UNSPECIFIED;
  /** Whether the assertion is signed; true unless given. */
  readonly signAssertion?: boolean;
  /** Whether the response (around the assertion) is signed; false unless given. */
  readonly signResponse?: boolean;
  /** The RelayState idpInitiatedUrl() asks for unless given another one. */
  readonly idpInitiatedRelayState?: string;
}

export interface SamlIdp {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** The IdP's entity id (SimpleSAMLphp's default: its metadata URL). */
  readonly entityId: string;
  /** The SingleSignOnService location of the HTTP-Redirect binding. */
  readonly signInUrl: string;
  readonly metadataUrl: string;
  /** The service provider this IdP was set up for. */
  readonly spEntityId: string;
  readonly acsUrl: string;
  /** The IdP's metadata as it serves it. */
  metadataXml(): Promise<string>;
  /** The IdP's signing certificate (PEM). */
  readonly certificatePem: string;
  /** The URL that makes the IdP send an unsolicited response to that SP (after the user signs in). */
  idpInitiatedUrl(spEntityId: string, relayState?: string): string;
  /** What SimpleSAMLphp logged (level notice) and what php -S printed, for a failing test's message. */
  logs(): string;
  /** Ends php -S and removes the configuration (once). */
  stop(): Promise<void>;
}

/** A PHP single-quoted string literal of any text. */
function php(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** A PHP array literal of string keys to string lists. */
function phpAttributes(attributes: Readonly<Record<string, readonly string[]>>): string {
  const entries = Object.entries(attributes).map(([name, values]) => `${php(name)} => [${values.map(php).join(', ')}]`);
  return `[${entries.join(', ')}]`;
}

function configPhp(dir: string, baseUrl: string): string {
  const sub = (name: string): string => php(path.join(dir, name) + '/');
  return `<?php
$config = [
    'baseurlpath' => ${php(`${baseUrl}/`)},
    'certdir' => ${sub('cert')},
    'metadatadir' => ${sub('metadata')},
    'loggingdir' => ${sub('log')},
    'datadir' => ${sub('data')},
    'tempdir' => ${sub('tmp')},
    'secretsalt' => ${php(randomBytes(24).toString('hex'))},
    'auth.adminpassword' => ${php(randomBytes(16).toString('hex'))},
    'admin.protectindexpage' => true,
    'admin.protectmetadata' => false,
    'technicalcontact_name' => 'ssod tests',
    'technicalcontact_email' => 'na@example.org',
    'timezone' => 'UTC',
    'logging.level' => SimpleSAML\\Logger::NOTICE,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'enable.saml20-idp' => true,
    'module.enable' => ['core' => true, 'saml' => true, 'exampleauth' => true, 'admin' => true],
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => ${php(path.join(dir, 'sessions'))},
    'session.cookie.secure' => false,
    'language.available' => ['en'],
    'language.default' => 'en',
];
`;
}

function authsourcesPhp(users: readonly SamlIdpUser[]): string {
  const entries = users.map((user) => {
    if (user.username.includes(':')) throw new Error(`startSamlIdp: a username holds no ':' (${JSON.stringify(user.username)})`);
    const attributes = { ...user.attributes, [NAMEID_ATTRIBUTE]: [user.username] };
    return `        ${php(`${user.username}:${user.password}`)} => ${phpAttributes(attributes)},`;
  });
  return `<?php
$config = [
    'admin' => ['core:AdminPassword'],
    'users' => [
        'exampleauth:UserPass',
${entries.join('\n')}
    ],
];
`;
}

function idpHostedPhp(): string {
  return `<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'users',
    'signature.algorithm' => ${php(RSA_SHA256)},
];
`;
}

function spRemotePhp(options: SamlIdpOptions, nameIdFormat: string): string {
  return `<?php
$metadata[${php(options.spEntityId)}] = [
    'AssertionConsumerService' => [['Binding' => 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', 'Location' => ${php(options.acsUrl)}]],
    'NameIDFormat' => ${php(nameIdFormat)},
    'saml20.sign.assertion' => ${String(options.signAssertion ?? true)},
    'saml20.sign.response' => ${String(options.signResponse ?? false)},
    'signature.algorithm' => ${php(RSA_SHA256)},
    'authproc' => [
        10 => ['class' => 'saml:AttributeNameID', 'attribute' => ${php(NAMEID_ATTRIBUTE)}, 'Format' => ${php(nameIdFormat)}],
        20 => ['class' => 'core:PHP', 'code' => ${php(`unset($attributes['${NAMEID_ATTRIBUTE}']);`)}],
    ],
];
`;
}

/** An RSA 2048 key and a self-signed certificate for it (SHA-256), as an IdP's signing credentials. */
function makeSigningCredentials(certDir: string): Promise<void> {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '30', '-subj', '/CN=SimpleSAMLphp test IdP'];
  return new Promise((resolve, reject) => {
    execFile(
      'openssl',
      [...args, '-keyout', path.join(certDir, 'idp.key'), '-out', path.join(certDir, 'idp.crt')],
      { timeout: 30_000 },
      (error, _stdout, stderr) => (error === null ? resolve() : reject(new Error(`openssl could not make the IdP's key: ${stderr}`))),
    );
  });
}

function writeConfiguration(dir: string, baseUrl: string, options: SamlIdpOptions): void {
  for (const sub of ['cert', 'metadata', 'log', 'data', 'tmp', 'sessions']) mkdirSync(path.join(dir, sub));
  writeFileSync(path.join(dir, 'config.php'), configPhp(dir, baseUrl));
  writeFileSync(path.join(dir, 'authsources.php'), authsourcesPhp(options.users));
  writeFileSync(path.join(dir, 'metadata', 'saml20-idp-hosted.php'), idpHostedPhp());
  writeFileSync(path.join(dir, 'metadata', 'saml20-sp-remote.php'), spRemotePhp(options, options.nameIdFormat ?? NAMEID_PERSISTENT));
}

function readLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'log', 'simplesamlphp.log'), 'utf8');
  } catch {
    return '';
  }
}

/** php -S's output without its access log lines (connections, requests and their status). */
function phpErrors(output: string): string {
  return output
    .split('\n')
    .filter((line) => !/ (Accepted|Closing)$| \[\d{3}\]: /.test(line))
    .join('\n');
}

/** Starts SimpleSAMLphp for one SP; stop() it (t.after) when the test is done. */
export async function startSamlIdp(options: SamlIdpOptions): Promise<SamlIdp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-saml-idp-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    writeConfiguration(dir, baseUrl, options);
    await makeSigningCredentials(path.join(dir, 'cert'));
    const certificatePem = readFileSync(path.join(dir, 'cert', 'idp.crt'), 'utf8');
    // php -S gives SimpleSAMLphp's /module.php/… and /saml2/idp/….php URLs their PATH_INFO itself: no router script.
    const server = await startPhpServer(port, ['-t', SIMPLESAMLPHP_WWW], { SIMPLESAMLPHP_CONFIG_DIR: dir });
    let stopped: Promise<void> | null = null;
    const metadataUrl = `${baseUrl}/saml2/idp/metadata.php`;
    return {
      baseUrl,
      entityId: metadataUrl,
      signInUrl: `${baseUrl}/saml2/idp/SSOService.php`,
      metadataUrl,
      spEntityId: options.spEntityId,
      acsUrl: options.acsUrl,
      certificatePem,
      async metadataXml() {
        const response = await fetch(metadataUrl, { signal: AbortSignal.timeout(10_000) });
        if (!response.ok) throw new Error(`the IdP's metadata: HTTP ${response.status}\n${readLog(dir)}`);
        return response.text();
      },
      idpInitiatedUrl(spEntityId, relayState = options.idpInitiatedRelayState) {
        const query = new URLSearchParams({ spentityid: spEntityId });
        if (relayState !== undefined) query.set('RelayState', relayState);
        return `${baseUrl}/saml2/idp/SSOService.php?${query.toString()}`;
      },
      logs: () => `${readLog(dir)}\n${phpErrors(server.output())}`,
      stop: () =>
        (stopped ??= (async () => {
          await server.stop();
          removeDir();
        })()),
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}

/** An AuthnRequest of the HTTP-Redirect binding (unsigned, deflated, base64), as a service provider sends one. */
export function authnRequestUrl(
  idp: Pick<SamlIdp, 'signInUrl'>,
  sp: { readonly spEntityId: string; readonly acsUrl: string; readonly relayState?: string },
): { readonly url: string; readonly id: string } {
  const id = `_${randomBytes(20).toString('hex')}`;
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"` +
    ` ID="${id}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${escapeXml(idp.signInUrl)}"` +
    ` AssertionConsumerServiceURL="${escapeXml(sp.acsUrl)}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${escapeXml(sp.spEntityId)}</saml:Issuer></samlp:AuthnRequest>`;
  const query = new URLSearchParams({ SAMLRequest: deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64') });
  if (sp.relayState !== undefined) query.set('RelayState', sp.relayState);
  return { url: `${idp.signInUrl}?${query.toString()}`, id };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What the IdP had the browser post to the SP's assertion consumer service. */
export interface CapturedResponse {
  /** base64, as posted. */
  readonly samlResponse: string;
  readonly relayState?: string;
}

/**
 * Opens `authnRequestUrl` (an SP's AuthnRequest, or idpInitiatedUrl) in a fresh browser context, signs
 * in on SimpleSAMLphp's login form, and keeps the form the IdP then posts to its acsUrl: the post is
 * answered in the browser (200) and never reaches the SP, so the response is unused.
 */
export async function captureResponse(
  idp: Pick<SamlIdp, 'acsUrl' | 'logs'>,
  browser: Browser,
  { user, password, authnRequestUrl: url }: { readonly user: string; readonly password: string; readonly authnRequestUrl: string },
): Promise<CapturedResponse> {
  const acs = new URL(idp.acsUrl);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let deliver: (form: URLSearchParams) => void = () => undefined;
    const posted = new Promise<URLSearchParams>((resolve) => (deliver = resolve));
    await page.route(
      (target) => target.origin === acs.origin && target.pathname === acs.pathname,
      async (route) => {
        deliver(new URLSearchParams(route.request().postData() ?? ''));
        await route.fulfill({ status: 200, contentType: 'text/plain', body: 'captured' });
      },
    );
    await page.goto(url);
    await signInOnLoginForm(page, user, password);
    const form = await withTimeout(posted, 20_000, () => `no SAMLResponse was posted to ${idp.acsUrl}\n${idp.logs()}`);
    const samlResponse = form.get('SAMLResponse');
    if (samlResponse === null) throw new Error(`the post to ${idp.acsUrl} holds no SAMLResponse`);
    const relayState = form.get('RelayState');
    return relayState === null ? { samlResponse } : { samlResponse, relayState };
  } finally {
    await context.close();
  }
}

/** Fills SimpleSAMLphp's username/password form (core:loginuserpass) and submits it. */
export async function signInOnLoginForm(page: Page, user: string, password: string): Promise<void> {
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(password);
  await page.locator('#submit_button').click();
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(message())), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
