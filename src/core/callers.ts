// Who is calling (protocol §4.2, docs/DECISIONS.md "Certificates"), from the credential the client
// presented on its connection: none is a guest; a certificate must chain to ssod's CA and be a
// current certificate of a registered application, or the call is refused (unknownCaller). It never
// falls back to guest. Certificate activation (first use) happens here.
import { applicationOfCertificate, applicationOfCertificateRecord } from './applications.js';
import { actorOf } from './audit.js';
import { SsoError } from './errors.js';
import type { Services } from './services.js';
import { closeSession, findLocalSession, sessionOfApplication, sha256Hex, verifySession } from './sessions.js';
import type { SessionView } from './store/index.js';

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

/** closeSession (protocol §5.19) for the peer: its caller, and whether a session it may see ended. */
export async function closeSessionFor(
  services: Services,
  peer: PeerCredential | null,
  sessionId: string,
): Promise<{ caller: Caller | null; closed: boolean }> {
  const { caller, session } = await identifyCallerWithSession(services, peer, sessionId);
  return { caller, closed: await closeSession(services, session, actorOf(caller?.applicationId)) };
}
