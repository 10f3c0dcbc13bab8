// An LDAP directory as a delegated source (docs/FEDERATION.md, "LDAP"): the user's password is
// checked by a simple bind, as the DN a template names or as the one entry a search finds.
// Transport rules (docs/SECURITY.md section E): TLS always, from the start (ldaps://) or by StartTLS
// before any bind (ldap://); the operator's CA and pin; every check ends within timeoutMs, and its
// connections are closed whatever happened. The login is escaped for where it goes (RFC 4514 in a
// DN, RFC 4515 in a filter): it is a value, never structure.
import net from 'node:net';
import tls from 'node:tls';
import { Client, Filter, FilterParser, InvalidCredentialsError, ResultCodeError } from 'ldapts';
import type { DelegatedPasswordCheck, DelegatedSource, LdapSettings, SourceAnswer } from '../../core/ports/delegated.js';
import type { Logger } from '../../core/ports/logger.js';
import { sourceTlsOptions } from './tls.js';

const LOGIN = '{login}';
const DEFAULT_FILTER = '(uid={login})';
// Closing a check's connections after its answer (the polite unbind) waits at most this long.
const CLOSE_GRACE_MS = 100;

// ---------------------------------------------------------------------------------------------
// Escaping the login

/**
 * An attribute value escaped for a DN string (RFC 4514 section 2.4): the characters that would end
 * or split the value (`"` `+` `,` `;` `<` `>` `\`, and `=`), a leading space or `#`, a trailing
 * space, and control characters (NUL included, as the hex of their UTF-8 bytes). Other characters,
 * non-ASCII ones too, are valid as they are in a UTF-8 DN.
 */
export function escapeDnValue(value: string): string {
  // One pass: a character escaped as leading is not looked at again as trailing (a lone space).
  return value.replace(/["+,;<>\\=]|^[ #]| $|\p{Cc}/gu, (char) =>
    /\p{Cc}/u.test(char) ? [...Buffer.from(char, 'utf8')].map((byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('') : `\\${char}`,
  );
}

/**
 * A value escaped for a filter string (RFC 4515 section 3): `*` `(` `)` `\` and NUL as `\XX`, by the
 * client library's own escape. Non-ASCII characters stay as they are, which RFC 4515 allows (UTF-8
 * is valid in a value) and which the library's filter parser needs: it reads every `\XX` as one
 * character, so escaping the bytes of a multi-byte character would search for another value.
 */
export function escapeFilterValue(value: string): string {
  return Filter.escape(value);
}

/** `template` with every `{login}` replaced by `value` (a function replacement: `$&` in a login is not a pattern). */
function fillIn(template: string, value: string): string {
  return template.replaceAll(LOGIN, () => value);
}

// ---------------------------------------------------------------------------------------------
// Settings

type Plan =
  | { readonly kind: 'template'; readonly bindDnTemplate: string }
  | {
      readonly kind: 'search';
      readonly bindDn: string;
      readonly bindPassword: string;
      readonly searchBase: string;
      readonly searchFilter: string;
    };

interface Target {
  readonly host: string;
  /** ldaps://: TLS from the first byte; else StartTLS before anything else. */
  readonly tlsFromStart: boolean;
  readonly plan: Plan;
}

/** The target of `settings`, or why no check can be made with them (the core validates too: be safe). */
function targetOf(settings: LdapSettings): Target | string {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    return 'the LDAP URL is not valid';
  }
  if (url.protocol !== 'ldaps:' && url.protocol !== 'ldap:') return 'the LDAP URL must start with ldaps:// or ldap://';
  const tlsFromStart = url.protocol === 'ldaps:';
  if (!tlsFromStart && !settings.startTls) return 'plain LDAP is not allowed: use ldaps:// or ldap:// with StartTLS';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return 'the LDAP URL has no host';
  const plan = planOf(settings);
  return typeof plan === 'string' ? plan : { host, tlsFromStart, plan };
}

function planOf(settings: LdapSettings): Plan | string {
  const { bindDnTemplate, bindDn, bindPassword, searchBase } = settings;
  if (bindDnTemplate !== undefined) {
    // A template without {login} would check every login's password against one DN.
    return bindDnTemplate.includes(LOGIN) ? { kind: 'template', bindDnTemplate } : 'the bind DN template has no {login}';
  }
  if (bindDn === undefined || bindDn === '' || searchBase === undefined)
    return 'search-then-bind needs bindDn, bindPassword and searchBase';
  // An empty password would make the service bind unauthenticated (RFC 4513 section 5.1.2).
  if (bindPassword === undefined || bindPassword === '') return 'the service account password is empty';
  const searchFilter = settings.searchFilter ?? DEFAULT_FILTER;
  if (!searchFilter.includes(LOGIN)) return 'the search filter has no {login}';
  try {
    FilterParser.parseString(fillIn(searchFilter, 'x'));
  } catch {
    return 'the search filter is not a valid LDAP filter';
  }
  return { kind: 'search', bindDn, bindPassword, searchBase, searchFilter };
}

// ---------------------------------------------------------------------------------------------
// Connections

/** The TLS options towards `host`; no SNI for an IP address (RFC 6066 allows host names only). */
function tlsOptionsFor(settings: LdapSettings, host: string): tls.ConnectionOptions {
  const options = sourceTlsOptions(settings, host);
  return net.isIP(host) === 0 ? { ...options, host } : { ...options, host, servername: undefined };
}

function ignore(): void {
  // An error of a socket this check already ended.
}

/** Thrown instead of opening a connection the check did not ask for (see `Connections.open`). */
class ConnectionRefusedHere extends Error {}

/**
 * The connections of one check. Each client may open one TCP connection and one TLS session, no
 * more: the library reconnects on its own when a connection drops, and a second connection of an
 * ldap:// client would be plain text, with the next bind's password on it. Every socket is kept so
 * that `closeAll` leaves none behind, whatever state the library is in.
 */
class Connections {
  readonly #sockets = new Set<net.Socket>();
  readonly #clients = new Set<Client>();
  readonly #tlsOptions: tls.ConnectionOptions;
  #closed = false;
  /** The error of the server's identity check (host name, pin), to tell it from other TLS failures. */
  identityRefusal: Error | null = null;
  /** The deadline passed: what fails afterwards is only the consequence. */
  aborted = false;

  readonly #settings: LdapSettings;
  readonly #target: Target;

  constructor(settings: LdapSettings, target: Target) {
    this.#settings = settings;
    this.#target = target;
    const options = tlsOptionsFor(settings, target.host);
    const checkIdentity = options.checkServerIdentity ?? tls.checkServerIdentity;
    this.#tlsOptions = {
      ...options,
      checkServerIdentity: (name, certificate) => {
        const refusal = checkIdentity(name, certificate);
        if (refusal !== undefined) this.identityRefusal = refusal;
        return refusal;
      },
    };
  }

  /** A client whose connection is secured (TLS from the start, or StartTLS now) before anything is sent. */
  async open(): Promise<Client> {
    if (this.#closed) throw new ConnectionRefusedHere('the check is over');
    const tlsOptions = this.#tlsOptions;
    const client = new Client({
      url: this.#settings.url,
      connectTimeout: this.#settings.connectTimeoutMs,
      timeout: this.#settings.timeoutMs,
      // The library connects with TLS from the start whenever it is given TLS options.
      ...(this.#target.tlsFromStart ? { tlsOptions } : {}),
      createConnection: this.#oneConnection(),
      createSecureConnection: this.#oneSecureConnection(),
    });
    this.#clients.add(client);
    if (!this.#target.tlsFromStart) await step('StartTLS', () => client.startTLS({ ...tlsOptions }));
    return client;
  }

  /**
   * Ends every connection: an unbind where one is open (at most CLOSE_GRACE_MS; none after an abort,
   * whose sockets are gone), then every socket destroyed.
   */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const clients = this.aborted ? [] : [...this.#clients];
    const unbinds = clients.map((client) => client.unbind().catch(() => undefined));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(unbinds), new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    this.#destroyAll();
  }

  /** Destroys every socket now (the deadline passed): what is pending fails at once. */
  abort(): void {
    this.#closed = true;
    this.aborted = true;
    this.#destroyAll();
  }

  /**
   * Destroys every socket with an error: the library settles what waits on a socket (and clears its
   * connect and operation timers) on its 'error' event, not on a silent close.
   */
  #destroyAll(): void {
    for (const socket of this.#sockets) {
      socket.on('error', ignore); // the library may have let go of a socket it gave up on
      socket.destroy(new ConnectionRefusedHere('the check is over'));
    }
  }

  #keep<S extends net.Socket>(socket: S): S {
    this.#sockets.add(socket);
    return socket;
  }

  #oneConnection(): typeof net.connect {
    let opened = false;
    const create = (port: number, host: string): net.Socket => {
      if (this.#closed || opened) throw new ConnectionRefusedHere('the connection to the directory was lost');
      opened = true;
      return this.#keep(net.connect({ port, host }));
    };
    return create as typeof net.connect;
  }

  /** ldaps:// calls it with (port, host, options), StartTLS with the options and the socket to upgrade. */
  #oneSecureConnection(): typeof tls.connect {
    let opened = false;
    const create = (first: number | tls.ConnectionOptions): tls.TLSSocket => {
      if (this.#closed || opened) throw new ConnectionRefusedHere('the connection to the directory was lost');
      opened = true;
      const options = typeof first === 'number' ? { ...this.#tlsOptions, port: first } : first;
      return this.#keep(tls.connect(options));
    };
    return create;
  }
}

// ---------------------------------------------------------------------------------------------
// Outcomes

type Step = 'StartTLS' | 'service bind' | 'search' | 'bind';

/** A failure of one step of a check, with the step, so that the answer can say where. */
class StepFailure extends Error {
  readonly step: Step;
  readonly error: unknown;

  constructor(step: Step, error: unknown) {
    super(step);
    this.step = step;
    this.error = error;
  }
}

async function step<T>(name: Step, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw new StepFailure(name, error);
  }
}

function rejected(detail: string): SourceAnswer {
  return { ok: false, cause: 'rejected', detail };
}

function unavailable(detail: string): SourceAnswer {
  return { ok: false, cause: 'unavailable', detail };
}

// OpenSSL's verification results that mean "this chain is not trusted" (the error's code).
const UNTRUSTED = /^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED|CERT_|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME_MISMATCH)/;

const NETWORK: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
};

function codeOf(error: Error): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * What went wrong in the transport, in a few log-safe words, or null when it was not the
 * transport. Messages of the library and of the server are not copied: they can echo the request.
 */
function transportFailure(error: unknown, settings: LdapSettings, identityRefusal: Error | null): string | null {
  if (!(error instanceof Error)) return null;
  if (error === identityRefusal) {
    return codeOf(error) === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'TLS: the certificate does not name the host'
      : 'TLS: the server key does not match the configured pin';
  }
  if (error instanceof ConnectionRefusedHere) return error.message;
  const code = codeOf(error);
  if (code !== undefined && UNTRUSTED.test(code)) return `TLS: certificate not trusted (${code})`;
  if (code?.startsWith('ERR_SSL_') === true || code?.startsWith('ERR_TLS_') === true) return `TLS: handshake failed (${code})`;
  if (code !== undefined && code in NETWORK) return NETWORK[code] ?? null;
  if (error.message === 'Connection timeout') return `connection timed out after ${settings.connectTimeoutMs} ms`;
  if (error.message.endsWith('Operation timed out')) return `timed out after ${settings.timeoutMs} ms`;
  if (error.message.startsWith('Connection closed') || error.message.startsWith('Socket error')) return 'connection closed by the server';
  return null;
}

// ---------------------------------------------------------------------------------------------
// The source

export function openLdapSource(settings: LdapSettings, deps: { log: Logger }): DelegatedSource {
  const target = targetOf(settings);

  function answerFor(failure: unknown, identityRefusal: Error | null): SourceAnswer {
    const stepName = failure instanceof StepFailure ? failure.step : null;
    const error = failure instanceof StepFailure ? failure.error : failure;
    const transport = transportFailure(error, settings, identityRefusal);
    if (transport !== null) return unavailable(transport);
    if (error instanceof InvalidCredentialsError) {
      // The user's own bind says no; the service account's refusal is the operator's problem.
      return stepName === 'bind' ? rejected('invalid credentials') : unavailable(`${stepName ?? 'LDAP'}: invalid credentials`);
    }
    if (error instanceof ResultCodeError) return unavailable(`${stepName ?? 'LDAP'}: LDAP result ${error.code}`);
    const name = error instanceof Error ? error.name : typeof error;
    deps.log.warn('ldap source: unexpected error', { host: typeof target === 'string' ? null : target.host, step: stepName, error: name });
    return unavailable(`${stepName ?? 'LDAP'}: unexpected error (${name})`);
  }

  async function bindAs(connections: Connections, dn: string, password: string, stepName: 'service bind' | 'bind'): Promise<Client> {
    const client = await connections.open();
    await step(stepName, () => client.bind(dn, password));
    return client;
  }

  /** Search-then-bind: the one entry the filter finds, bound with the user's password on a fresh connection. */
  async function searchThenBind(plan: Extract<Plan, { kind: 'search' }>, connections: Connections, check: DelegatedPasswordCheck) {
    const service = await bindAs(connections, plan.bindDn, plan.bindPassword, 'service bind');
    const filter = fillIn(plan.searchFilter, escapeFilterValue(check.login));
    const { searchEntries } = await step('search', () =>
      service.search(plan.searchBase, { scope: 'sub', filter, sizeLimit: 2, attributes: ['1.1'], returnAttributeValues: false }),
    );
    const [entry, ...others] = searchEntries;
    if (entry === undefined) return rejected('no such login');
    if (others.length > 0) return rejected('login is not unique');
    if (entry.dn === '') return rejected('no such login');
    await bindAs(connections, entry.dn, check.password, 'bind');
    return { ok: true } as const;
  }

  async function attempt(plan: Plan, connections: Connections, check: DelegatedPasswordCheck): Promise<SourceAnswer> {
    if (plan.kind === 'search') return await searchThenBind(plan, connections, check);
    await bindAs(connections, fillIn(plan.bindDnTemplate, escapeDnValue(check.login)), check.password, 'bind');
    return { ok: true };
  }

  async function checkPassword(check: DelegatedPasswordCheck): Promise<SourceAnswer> {
    // A simple bind with a DN and no password is an unauthenticated bind, which many directories
    // accept (RFC 4513 section 5.1.2): it must never reach the server.
    if (check.password === '') return rejected('empty password');
    if (check.login === '') return rejected('empty login');
    if (typeof target === 'string') return unavailable(target);

    const connections = new Connections(settings, target);
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<SourceAnswer>((resolve) => {
      deadline = setTimeout(() => {
        connections.abort();
        resolve(unavailable(`timed out after ${settings.timeoutMs} ms`));
      }, settings.timeoutMs);
    });
    try {
      const answered = attempt(target.plan, connections, check).catch((failure: unknown) =>
        // After the deadline the failure is the consequence of the abort, and the deadline answered.
        connections.aborted ? unavailable('aborted') : answerFor(failure, connections.identityRefusal),
      );
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(deadline);
      await connections.closeAll();
    }
  }

  return {
    kind: 'ldap',
    checkPassword,
    close: () => Promise.resolve(),
  };
}
