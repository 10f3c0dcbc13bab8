// The call of an On Session Start callback (docs/groups.md "On Session Start callbacks"): one POST
// of a signed request to the URL an application registered. The core decides who is called, when,
// exactly once, and what the reply means (core/sessionStart.ts); the infrastructure speaks HTTPS
// (infra/tickets/sessionStartCaller.ts), with its timeouts and its limit on the reply.

export interface SessionStartDelivery {
  /** The registered callback URL (https). */
  readonly url: string;
  /** The CA the endpoint's certificate must chain to; null: the system's CAs (or the node's own choice). */
  readonly caPem: string | null;
  /** The signed request (JWS compact serialization), sent as the body with `Content-Type: application/jwt`. */
  readonly token: string;
}

/**
 * What came back: a complete reply (status, media type, body within the limit), or why none did,
 * safe to log (a timeout, a connection error, a redirect, a reply over the limit).
 */
export type SessionStartReply =
  | { readonly ok: true; readonly status: number; readonly contentType: string; readonly body: Buffer }
  /** `stopping`: the call was cut short because this node stops: no outcome of the endpoint's. */
  | { readonly ok: false; readonly reason: string; readonly stopping?: true };

export interface SessionStartCaller {
  /** One POST within the caller's timeouts and reply limit; never throws. */
  call(delivery: SessionStartDelivery): Promise<SessionStartReply>;
  /** Ends every call in flight (the server stops); later calls fail at once. */
  close(): void;
}
