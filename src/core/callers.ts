// Who is calling (protocol §4.2, docs/DECISIONS.md "Certificates"), from the credential the client
// presented on its connection: none is a guest; a certificate must chain to ssod's CA and be a
// current certificate of a registered application, or the call is refused (unknownCaller). It never
// falls back to guest. Certificate activation (first use) happens here.
import { applicationOfCertificate, applicationOfCertificateRecord } from './applications.js';
import { actorOf } from './audit.js';
import { SsoError } from './errors.js';
import type { Services } from './services.js';
import { closeSession, findLocalSession, sessionOfApplication, sha256Hex, verifySession } from './sessions.js';
import type { SessionVariableValue, SessionView } from './store/index.js';

/** The client certificate of a connection, as the transport judged it; null when none was presented. */
export interface PeerCredential {
  /** The certificate's fingerprint (fingerprint.ts). */
  readonly fingerprint: string;
  /** It chains to ssod's CA and is within its validity. */
  readonly chained: boolean;
}

/** An identified application; a guest is `null`. */
export interface Caller {
  readonly applicationId: string;
}

export async function identifyCaller(services: Services, peer: PeerCredential | null): Promise<Caller | null> {
  if (peer === null) return null;
  const applicationId = peer.chained ? await applicationOfCertificate(services, peer.fingerprint) : null;
  if (applicationId === null) throw new SsoError('unknownCaller');
  return { applicationId };
}

/**
 * identifyCaller and the local session named by `sessionId`, in one store read when the caller
 * presents a certificate that chains (the hot path of every page load, protocol §5.18); the same
 * outcomes as the two apart. An application sees only local sessions of its own url
 * (sessionOfApplication, case F37) and of its own set (docs/groups.md); a guest sees any of the default set.
 */
async function identifyCallerWithSession(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; session: SessionView | null }> {
  if (peer === null || !peer.chained) {
    const caller = await identifyCaller(services, peer);
    // A guest is of the default set: it sees no session of a group.
    const view = await findLocalSession(services, sessionId);
    return { caller, session: view?.global.groupName === null ? view : null };
  }
  const read = await services.store.findCertificateAndSession(peer.fingerprint, sha256Hex(sessionId));
  const applicationId = await applicationOfCertificateRecord(services, read.certificate);
  if (applicationId === null) throw new SsoError('unknownCaller');
  return { caller: { applicationId }, session: sessionOfApplication(read.session, read.applicationUrl, read.applicationGroup) };
}

/** verifySession (protocol §5.18) for the peer: its caller, and the user of the session or null when there is none for it. */
export async function verifySessionFor(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; userId: string | null }> {
  const { caller, session } = await identifyCallerWithSession(services, peer, sessionId);
  return { caller, userId: await verifySession(services, session) };
}

/**
 * The local session named by `sessionId` when the peer may verify it, by verifySession's own rule
 * (which renews its idle timer): what every operation on a session's variables starts from. Null
 * when verifySession would answer noSuchSession.
 */
export async function verifiedSessionFor(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; session: SessionView | null }> {
  const { caller, session } = await identifyCallerWithSession(services, peer, sessionId);
  return { caller, session: (await verifySession(services, session)) === null ? null : session };
}

/** What ssox:verifySession answers for a live session (docs/groups.md "Session variables"). */
export interface VerifiedSessionWithVariables {
  readonly userId: string;
  /** This was the caller's first ssox:verifySession of the session. */
  readonly firstVisit: boolean;
  /** Every variable of the session the caller may read, defaults included. */
  readonly variables: readonly SessionVariableValue[];
}

/**
 * ssox:verifySession for an application's certificate: verifySessionFor with the session's
 * variables the caller may read and whether this is its first visit, in the same one store read
 * (the hot path of an application that uses variables), plus one write the first time only. A
 * guest may not call it; null when verifySession would answer noSuchSession.
 */
export async function verifySessionWithVariablesFor(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; verified: VerifiedSessionWithVariables | null }> {
  if (peer === null || !peer.chained) return { caller: await identifyCaller(services, peer), verified: null };
  const read = await services.store.findCertificateSessionAndVariables(peer.fingerprint, sha256Hex(sessionId));
  const applicationId = await applicationOfCertificateRecord(services, read.certificate);
  if (applicationId === null) throw new SsoError('unknownCaller');
  const caller = { applicationId };
  const session = sessionOfApplication(read.session, read.applicationUrl, read.applicationGroup);
  const userId = await verifySession(services, session);
  if (userId === null || session === null) return { caller, verified: null };
  // Of two first calls at once, the one whose write recorded the visit is the first.
  const firstVisit = read.firstVerifiedAt === null && (await services.store.markLocalSessionVerified(session.local.idHash, services.now()));
  return { caller, verified: { userId, firstVisit, variables: read.variables } };
}

/** closeSession (protocol §5.19) for the peer: its caller, and whether a session it may see ended. */
export async function closeSessionFor(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; closed: boolean }> {
  const { caller, session } = await identifyCallerWithSession(services, peer, sessionId);
  return { caller, closed: await closeSession(services, session, actorOf(caller?.applicationId)) };
}
