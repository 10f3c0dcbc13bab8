// Session variables (docs/groups.md "Session variables"): each application declares its variables,
// and a global session holds the values of every application of its set. An application always
// reads and writes its own variables; another application of the set reads a variable only when it
// is readable and writes it only when it is writable. Working on a session needs the right to
// verify it (callers.ts verifiedSessionFor, verifySession's own rule). A value's version is the
// compare-and-set of concurrent writers: a write names the version it read, and loses to any write
// that came first.
import { verifiedSessionFor, type Caller, type PeerCredential } from './callers.js';
import { SsoError } from './errors.js';
import type { Services } from './services.js';
import type { SessionVariableDeclaration, SessionView } from './store/index.js';

/** An application declares at most this many variables. */
export const MAX_DECLARATIONS = 32;
/** A variable's maxLength is 1 to this many characters. */
export const MAX_VALUE_LENGTH = 4096;
/** The values of one session, in UTF-8 bytes, all applications together. */
export const MAX_SESSION_BYTES = 64 * 1024;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What an application declares (ssox:declareSessionVariable). */
export interface SessionVariableSpec {
  readonly name: string;
  readonly defaultValue: string;
  readonly maxLength: number;
  readonly readable: boolean;
  readonly writable: boolean;
}

/** Which variable of which session an operation works on; owner '' or undefined: the caller's own. */
export interface VariableAddress {
  readonly sessionId: string;
  readonly owner?: string | undefined;
  readonly name: string;
}

function invalid(message: string): never {
  throw new SsoError('invalidParameter', message);
}

/** Length in characters (code points), as maxLength counts. */
function characters(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

function checkName(name: string): void {
  if (!NAME.test(name)) invalid('name: 1 to 64 characters, each a letter, a digit, ".", "_" or "-".');
}

function checkLength(declaration: SessionVariableDeclaration, value: string, field: string): void {
  if (characters(value) > declaration.maxLength)
    invalid(`${field}: longer than the maxLength of ${declaration.name}, ${String(declaration.maxLength)} characters.`);
}

function overSessionLimit(): never {
  invalid(`A session holds at most 64 KiB (${String(MAX_SESSION_BYTES)} bytes, UTF-8) of variable values; this value would exceed it.`);
}

/** Declares a variable of the caller, or replaces its declaration of that name (values stay). */
export async function declareSessionVariable(services: Services, applicationId: string, spec: SessionVariableSpec): Promise<void> {
  checkName(spec.name);
  if (!Number.isInteger(spec.maxLength) || spec.maxLength < 1 || spec.maxLength > MAX_VALUE_LENGTH)
    invalid(`maxLength: 1 to ${String(MAX_VALUE_LENGTH)} characters.`);
  const declaration: SessionVariableDeclaration = {
    applicationId,
    name: spec.name,
    defaultValue: spec.defaultValue,
    maxLength: spec.maxLength,
    // What others may change, they may read.
    readable: spec.readable || spec.writable,
    writable: spec.writable,
    createdAt: services.now(),
  };
  checkLength(declaration, spec.defaultValue, 'defaultValue');
  if (!(await services.store.declareSessionVariable(declaration, MAX_DECLARATIONS)))
    invalid(`An application declares at most ${String(MAX_DECLARATIONS)} session variables; remove one before declaring ${spec.name}.`);
}

export function listSessionVariableDeclarations(services: Services, applicationId: string): Promise<SessionVariableDeclaration[]> {
  return services.store.listSessionVariableDeclarations(applicationId);
}

/** Removes a declaration of the caller; its values in every session go with it. */
export async function removeSessionVariable(services: Services, applicationId: string, name: string): Promise<void> {
  if (!(await services.store.removeSessionVariableDeclaration(applicationId, name)))
    invalid(`name: the application has declared no session variable ${name}.`);
}

/** Whether the owner's variables exist in the session: the owner is a member of the session's set (docs/groups.md). */
async function ownerInSessionSet(services: Services, session: SessionView, owner: string): Promise<boolean> {
  const membership = await services.store.groupOfApplication(owner);
  return (membership?.groupName ?? null) === session.global.groupName;
}

/** Told who called as soon as the certificate is judged (the adapter's request log). */
export type Identified = (caller: Caller | null) => void;

/** The session (when the caller may verify it) and the declaration the address names, with the caller's right checked. */
async function resolve(
  services: Services,
  peer: PeerCredential | null,
  address: VariableAddress,
  access: 'read' | 'write',
  identified: Identified,
): Promise<{ caller: Caller; session: SessionView; declaration: SessionVariableDeclaration }> {
  const { caller, session } = await verifiedSessionFor(services, peer, address.sessionId);
  identified(caller);
  if (caller === null)
    throw new SsoError('permissionDenied', 'A guest has no session variables; present the client certificate of a registered application.');
  if (session === null) throw new SsoError('noSuchSession');
  const owner = address.owner === undefined || address.owner === '' ? caller.applicationId : address.owner;
  const declaration = await services.store.getSessionVariableDeclaration(owner, address.name);
  if (declaration === null) invalid(`name: application ${owner} has declared no session variable ${address.name}.`);
  if (owner !== caller.applicationId && !(await ownerInSessionSet(services, session, owner)))
    invalid(`owner: application ${owner} is not a member of the session's set.`);
  if (owner !== caller.applicationId) {
    const allowed = access === 'read' ? declaration.readable : declaration.writable;
    if (!allowed)
      throw new SsoError(
        'permissionDenied',
        `${address.name} of application ${owner} is not ${access === 'read' ? 'readable' : 'writable'} by other applications.`,
      );
  }
  return { caller, session, declaration };
}

/** A variable's value in the session and its version (0: the default). */
export async function getSessionVariable(
  services: Services,
  peer: PeerCredential | null,
  address: VariableAddress,
  identified: Identified = () => undefined,
): Promise<{ value: string; version: number }> {
  const { session, declaration } = await resolve(services, peer, address, 'read', identified);
  const stored = await services.store.getSessionVariableValue(session.global.id, declaration.applicationId, declaration.name);
  return stored === null ? { value: declaration.defaultValue, version: 0 } : { value: stored.value, version: stored.version };
}

/**
 * Writes a variable when its version is still `version` (the one the caller read); answers the new
 * version. A writer that came first makes it invalidParameter ("version: …") and nothing changes.
 */
export async function setSessionVariable(
  services: Services,
  peer: PeerCredential | null,
  address: VariableAddress,
  value: string,
  version: number,
  identified: Identified = () => undefined,
): Promise<number> {
  const { session, declaration } = await resolve(services, peer, address, 'write', identified);
  checkLength(declaration, value, 'value');
  const globalId = session.global.id;
  const write = { globalId, owner: declaration.applicationId, name: declaration.name, value, expectedVersion: version };
  if (await services.store.writeSessionVariable({ ...write, maxSessionBytes: MAX_SESSION_BYTES })) return version + 1;
  // Refused: say why, from what the store holds now.
  const current = (await services.store.getSessionVariableValue(globalId, write.owner, write.name))?.version ?? 0;
  if (current !== version)
    invalid(
      `version: ${declaration.name} is at version ${String(current)}, not ${String(version)}; another write came first. Read it again and retry.`,
    );
  if ((await services.store.getGlobalSession(globalId)) === null) throw new SsoError('noSuchSession');
  if ((await services.store.getSessionVariableDeclaration(write.owner, write.name)) === null)
    invalid(`name: application ${write.owner} has declared no session variable ${write.name}.`);
  return overSessionLimit();
}

/**
 * Sets initial values of the application's own variables in a session (an On Session Start
 * callback's reply, docs/groups.md): declared variables only, within their maxLength and the
 * session's limit, all or none. Each is one version up.
 */
export async function setInitialVariables(
  services: Services,
  globalId: string,
  applicationId: string,
  values: Readonly<Record<string, string>>,
): Promise<void> {
  const entries = Object.entries(values);
  if (entries.length === 0) return;
  const declarations = new Map(
    (await services.store.listSessionVariableDeclarations(applicationId)).map((declaration) => [declaration.name, declaration]),
  );
  for (const [name, value] of entries) {
    const declaration = declarations.get(name);
    if (declaration === undefined) invalid(`variables: ${name} is not a declared session variable of the application.`);
    if (typeof value !== 'string') invalid(`variables: the value of ${name} is not a string.`);
    checkLength(declaration, value, `variables.${name}`);
  }
  const changes = entries.map(([name, value]) => ({ name, value }));
  if (await services.store.writeSessionVariables(globalId, applicationId, changes, MAX_SESSION_BYTES)) return;
  if ((await services.store.getGlobalSession(globalId)) === null) throw new SsoError('noSuchSession');
  const left = await services.store.listSessionVariableDeclarations(applicationId);
  const gone = changes.find(({ name }) => !left.some((declaration) => declaration.name === name));
  if (gone !== undefined) invalid(`variables: ${gone.name} is not a declared session variable of the application.`);
  overSessionLimit();
}
