// The client certificate of a connection, as the core identifies callers by it (core/callers.ts).
import type { TLSSocket } from 'node:tls';
import type { PeerCredential } from '../../core/callers.js';
import { fingerprintOf } from '../../core/fingerprint.js';

// A TLS connection's peer certificate cannot change (the server refuses renegotiation on every TLS
// connection), so it is read once per connection: keep-alive clients pay for it once.
const peers = new WeakMap<TLSSocket, PeerCredential | null>();

/** The certificate the client presented on this connection, fingerprinted, and whether it chains to ssod's CA; null when none. */
export function peerOf(socket: TLSSocket): PeerCredential | null {
  let peer = peers.get(socket);
  if (peer === undefined) {
    const certificate = socket.getPeerX509Certificate();
    peer = certificate === undefined ? null : { fingerprint: fingerprintOf(certificate.raw), chained: socket.authorized };
    peers.set(socket, peer);
  }
  return peer;
}
