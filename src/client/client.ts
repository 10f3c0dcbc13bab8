// A typed client of the SOAP API (protocol §5): SOAP 1.2 over HTTPS with the application's client
// certificate (protocol §4.2), one keep-alive agent per identity, a deadline on every call, and every
// failure as a typed error (errors.ts).
import https from 'node:https';
import {
  extensionRequestEnvelope,
  parseExtensionReply,
  parseReply,
  requestEnvelope,
  MalformedReply,
  SOAP12_CONTENT_TYPE,
  type ParsedReply,
} from './envelope.js';
import { SsoFaultError, SsoTransportError, type TransportErrorKind } from './errors.js';
import { loadIdentity, type ClientIdentity, type KeyPair } from './identity.js';
import type { OperationInput, OperationName, OperationOutput } from './operations.js';
import {
  EXTENSION_OUTPUTS,
  counted,
  declarationOf,
  variableOf,
  type ExtensionName,
  type SessionVariableDeclaration,
  type VariableAddress,
  type VerifiedSession,
} from './sessionVariables.js';
import type { ReplyRecord } from './envelope.js';

export interface SsoClientOptions {
  /** The SOAP endpoint, e.g. `https://sso.example.com:11443/soap`. */
  readonly soapUrl: string | URL;
  /** PEM of the CA that issued the server's certificate (ssod's own CA: its `ca.crt`, or GET /ca.pem). */
  readonly ca: string;
  /** The application's key and certificate; absent to call as a guest (protocol §4.2). */
  readonly identity?: ClientIdentity | KeyPair;
  /** Deadline of each call, connection included, in milliseconds (default 10 000). */
  readonly timeoutMs?: number;
  /** Connections kept open to the server (default 16). */
  readonly maxSockets?: number;
}

export interface CallOptions {
  /** This call's deadline in milliseconds, instead of the client's. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_SOCKETS = 16;
// A body larger than this is not a reply of ours (the largest is a list of ids).
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
]);

function isKeyPair(identity: ClientIdentity | KeyPair): identity is KeyPair {
  return 'key' in identity && 'cert' in identity;
}

function transportKindOf(error: NodeJS.ErrnoException): TransportErrorKind {
  const code = error.code ?? '';
  if (UNREACHABLE_CODES.has(code)) return 'unreachable';
  // OpenSSL's verification codes (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, …) and Node's ERR_TLS_* / ERR_SSL_*.
  if (/^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|UNABLE_TO/.test(code)) return 'tls';
  return 'unreachable';
}

export class SsoClient {
  readonly soapUrl: URL;
  readonly #ca: string;
  readonly #timeoutMs: number;
  readonly #maxSockets: number;
  #identity: KeyPair | null;
  #agent: https.Agent;

  constructor(options: SsoClientOptions) {
    this.soapUrl = new URL(options.soapUrl);
    if (this.soapUrl.protocol !== 'https:')
      throw new TypeError('the SOAP URL must be https: (protocol §4.2 identifies applications by TLS client certificates)');
    this.#ca = options.ca;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.#identity =
      options.identity === undefined ? null : isKeyPair(options.identity) ? options.identity : loadIdentity(options.identity);
    this.#agent = this.#agentFor(this.#identity);
  }

  /** The key and certificate this client presents, or null for a guest. */
  get identity(): KeyPair | null {
    return this.#identity;
  }

  #agentFor(identity: KeyPair | null): https.Agent {
    return new https.Agent({ keepAlive: true, maxSockets: this.#maxSockets, ca: this.#ca, ...(identity ?? {}) });
  }

  /**
   * Presents `identity` from the next call on. Connections are bound to the certificate they were
   * opened with, so a new agent is made; the old one is closed once calls still using it have had
   * their deadline to finish.
   */
  useIdentity(identity: KeyPair | null): void {
    const old = this.#agent;
    this.#identity = identity;
    this.#agent = this.#agentFor(identity);
    setTimeout(() => old.destroy(), this.#timeoutMs).unref();
  }

  /** A client of the same server with another identity (its own connections). */
  withIdentity(identity: KeyPair | null): SsoClient {
    return new SsoClient({
      soapUrl: this.soapUrl,
      ca: this.#ca,
      timeoutMs: this.#timeoutMs,
      maxSockets: this.#maxSockets,
      ...(identity === null ? {} : { identity }),
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  /** Calls one operation; the named methods below are this with the operation's types. */
  async call<N extends OperationName>(name: N, input: OperationInput<N>, options: CallOptions = {}): Promise<OperationOutput<N>> {
    const fields = await this.#exchange(name, requestEnvelope(name, input), options, (body) => parseReply(name, body));
    return fields as OperationOutput<N>;
  }

  /** Calls an ssox operation (docs/EXTENSIONS.md); the session variable methods below are this with their types. */
  async #callExtension(
    name: ExtensionName,
    input: Readonly<Record<string, string | undefined>>,
    options: CallOptions,
  ): Promise<Readonly<Record<string, string | readonly string[] | readonly ReplyRecord[] | undefined>>> {
    const operation = `ssox:${name}`;
    return this.#exchange(operation, extensionRequestEnvelope(name, input), options, (body) =>
      parseExtensionReply(name, EXTENSION_OUTPUTS[name], body),
    );
  }

  async #exchange(
    operation: string,
    body: string,
    options: CallOptions,
    parse: (body: string) => ParsedReply,
  ): Promise<Extract<ParsedReply, { kind: 'response' }>['fields']> {
    const reply = await this.#post(operation, body, options.timeoutMs ?? this.#timeoutMs);
    let parsed;
    try {
      parsed = parse(reply.body);
    } catch (error) {
      if (!(error instanceof MalformedReply)) throw error;
      throw new SsoTransportError(
        operation,
        'badReply',
        `HTTP ${reply.status} from ${this.soapUrl.href} is not a SOAP reply: ${error.message}`,
      );
    }
    if (parsed.kind === 'fault') throw new SsoFaultError(operation, parsed.code, parsed.reason, reply.status);
    return parsed.fields;
  }

  #post(operation: string, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      // Set before the request is destroyed on purpose, so the error that follows reports why.
      let stopped: SsoTransportError | null = null;
      const stop = (error: SsoTransportError): void => {
        stopped = error;
        req.destroy(error);
      };
      const fail = (error: NodeJS.ErrnoException): void => {
        clearTimeout(timer);
        if (stopped !== null) {
          reject(stopped);
          return;
        }
        const kind = transportKindOf(error);
        const what = kind === 'tls' ? 'TLS handshake with' : 'cannot reach the SSO server at';
        reject(
          new SsoTransportError(operation, kind, `${what} ${this.soapUrl.host} failed: ${error.code ?? error.message}`, { cause: error }),
        );
      };
      const req = https.request(
        this.soapUrl,
        { method: 'POST', agent: this.#agent, headers: { 'Content-Type': SOAP12_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_REPLY_BYTES) stop(new SsoTransportError(operation, 'badReply', 'the reply is too large'));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', fail);
        },
      );
      const timer = setTimeout(
        () => stop(new SsoTransportError(operation, 'timeout', `no reply from ${this.soapUrl.host} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  // protocol §5.1-§5.5: applications.
  registerApplication(input: OperationInput<'registerApplication'>, options?: CallOptions) {
    return this.call('registerApplication', input, options);
  }
  updateApplication(input: OperationInput<'updateApplication'>, options?: CallOptions) {
    return this.call('updateApplication', input, options);
  }
  listApplications(options?: CallOptions) {
    return this.call('listApplications', {}, options);
  }
  getApplication(input: OperationInput<'getApplication'>, options?: CallOptions) {
    return this.call('getApplication', input, options);
  }
  unregisterApplication(input: OperationInput<'unregisterApplication'>, options?: CallOptions) {
    return this.call('unregisterApplication', input, options);
  }
  // protocol §5.6-§5.16: users.
  createUser(input: OperationInput<'createUser'>, options?: CallOptions) {
    return this.call('createUser', input, options);
  }
  deleteUser(input: OperationInput<'deleteUser'>, options?: CallOptions) {
    return this.call('deleteUser', input, options);
  }
  getUser(input: OperationInput<'getUser'>, options?: CallOptions) {
    return this.call('getUser', input, options);
  }
  getUserId(input: OperationInput<'getUserId'>, options?: CallOptions) {
    return this.call('getUserId', input, options);
  }
  listUsers(options?: CallOptions) {
    return this.call('listUsers', {}, options);
  }
  changeLogin(input: OperationInput<'changeLogin'>, options?: CallOptions) {
    return this.call('changeLogin', input, options);
  }
  duplicateUser(input: OperationInput<'duplicateUser'>, options?: CallOptions) {
    return this.call('duplicateUser', input, options);
  }
  changePassword(input: OperationInput<'changePassword'>, options?: CallOptions) {
    return this.call('changePassword', input, options);
  }
  getChangePasswordUrl(input: OperationInput<'getChangePasswordUrl'>, options?: CallOptions) {
    return this.call('getChangePasswordUrl', input, options);
  }
  getRestorePasswordUrl(input: OperationInput<'getRestorePasswordUrl'>, options?: CallOptions) {
    return this.call('getRestorePasswordUrl', input, options);
  }
  transferOwnership(input: OperationInput<'transferOwnership'>, options?: CallOptions) {
    return this.call('transferOwnership', input, options);
  }
  // protocol §5.17-§5.20: sessions and settings.
  authenticate(input: OperationInput<'authenticate'>, options?: CallOptions) {
    return this.call('authenticate', input, options);
  }
  verifySession(input: OperationInput<'verifySession'>, options?: CallOptions) {
    return this.call('verifySession', input, options);
  }
  closeSession(input: OperationInput<'closeSession'>, options?: CallOptions) {
    return this.call('closeSession', input, options);
  }
  getSettings(options?: CallOptions) {
    return this.call('getSettings', {}, options);
  }

  // Session variables (docs/groups.md "Session variables"), ssox operations of ssod.
  /** Declares one of this application's session variables, or replaces its declaration of that name. */
  async declareSessionVariable(declaration: SessionVariableDeclaration, options: CallOptions = {}): Promise<void> {
    await this.#callExtension(
      'declareSessionVariable',
      {
        name: declaration.name,
        defaultValue: declaration.defaultValue,
        maxLength: String(declaration.maxLength),
        readable: String(declaration.readable),
        writable: String(declaration.writable),
      },
      options,
    );
  }
  /** This application's declarations, by name. */
  async listSessionVariableDeclarations(options: CallOptions = {}): Promise<SessionVariableDeclaration[]> {
    const fields = await this.#callExtension('listSessionVariableDeclarations', {}, options);
    return ((fields.declaration ?? []) as readonly ReplyRecord[]).map(declarationOf);
  }
  /** Removes a declaration; its values in live sessions are dropped. */
  async removeSessionVariable(name: string, options: CallOptions = {}): Promise<void> {
    await this.#callExtension('removeSessionVariable', { name }, options);
  }
  /** A variable's value in a session and its version (0: the default). */
  async getSessionVariable(address: VariableAddress, options: CallOptions = {}): Promise<{ value: string; version: number }> {
    const fields = await this.#callExtension(
      'getSessionVariable',
      { sessionId: address.sessionId, owner: address.owner, name: address.name },
      options,
    );
    return { value: fields.value as string, version: this.#count('ssox:getSessionVariable', fields.version) };
  }
  /**
   * Writes a variable when its version is still `version` (the one read); resolves to the new version.
   * When another write came first it rejects with a fault for which isVersionConflict is true.
   */
  async setSessionVariable(
    address: VariableAddress & { readonly value: string; readonly version: number },
    options: CallOptions = {},
  ): Promise<number> {
    const { sessionId, owner, name, value, version } = address;
    const fields = await this.#callExtension('setSessionVariable', { sessionId, owner, name, value, version: String(version) }, options);
    return this.#count('ssox:setSessionVariable', fields.version);
  }
  /** ssox:verifySession: the user, whether this is this application's first visit, and the variables it may read. */
  async verifySessionWithVariables(sessionId: string, options: CallOptions = {}): Promise<VerifiedSession> {
    const fields = await this.#callExtension('verifySession', { sessionId }, options);
    try {
      return {
        userId: fields.userId as string,
        firstVisit: fields.firstVisit === 'true',
        variables: ((fields.variable ?? []) as readonly ReplyRecord[]).map(variableOf),
      };
    } catch (error) {
      throw new SsoTransportError('ssox:verifySession', 'badReply', `a variable of the reply is not valid: ${String(error)}`);
    }
  }

  #count(operation: string, text: unknown): number {
    try {
      return counted(typeof text === 'string' ? text : undefined);
    } catch {
      throw new SsoTransportError(operation, 'badReply', 'the reply has no valid version');
    }
  }
}
