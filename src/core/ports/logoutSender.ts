// The back channel to a receiver of logon tickets (docs/tickets.md "Logout"): one POST of a logout
// token to the receiver's logout endpoint. The core decides when to try again and what to do when a
// receiver never takes it (core/ticketLogout.ts); the infrastructure speaks HTTPS
// (infra/tickets/logoutSender.ts).

export interface LogoutDelivery {
  /** `<receiver url>logout`, from the receiver's configuration: never a URL that a request named. */
  readonly url: string;
  /** The CA the receiver's certificate must chain to; null: the system's CAs. */
  readonly caPem: string | null;
  /** The signed logout token, sent as the form field `logout_token`. */
  readonly logoutToken: string;
}

/** One try: the receiver took the token (it answered 200 or 204), or why not, safe to log. */
export type LogoutAttempt = { readonly delivered: true } | { readonly delivered: false; readonly reason: string };

export interface LogoutSender {
  /** One POST within the sender's timeouts; never throws. */
  send(delivery: LogoutDelivery): Promise<LogoutAttempt>;
  /** Ends every POST in flight at once (the server stops); later sends fail at once. */
  close(): void;
}
