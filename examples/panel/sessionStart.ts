// The panel's On Session Start callback (docs/groups.md "On Session Start callbacks"): a small HTTPS
// endpoint that ssod calls when a session of the group starts, before the sign-in completes. It
// verifies the signed request with the SDK and answers the initial value of the panel's shared
// session variable `customer`: the customer account the user starts in.
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  remoteTicketKeys,
  sessionStartAnswer,
  verifySessionStartCallback,
  type SessionVariableDeclaration,
} from '../../src/client/index.js';

/** The panel's shared variable: the current customer account, read and changed by every member of the group. */
export const CUSTOMER: SessionVariableDeclaration = {
  name: 'customer',
  defaultValue: 'none',
  maxLength: 64,
  readable: true,
  writable: true,
};

const CALLBACK_PATH = '/ssod/session-start';
const MAX_REQUEST_BYTES = 16 * 1024;
/** A request's jti is kept this long after its exp: a repeat after a takeover (30 s) is answered as before. */
const REMEMBER_MS = 5 * 60_000;

export interface SessionStartSettings {
  /** The endpoint's key and certificate (a certificate for 127.0.0.1, which ssod calls). */
  readonly tls: { readonly key: string; readonly cert: string };
  /** ssod's key set (`https://…/tickets/keys`) and ssod's CA to fetch it with. */
  readonly keysUrl: string;
  readonly ssodCa: string;
  /** The panel's application id: a request for another application is refused. */
  readonly applicationId: string;
  /** ssod's relay URL, the requests' issuer. */
  readonly issuer: string;
}

export interface RunningSessionStart {
  /** The URL to register (`ssod applications callback panel --url …`). */
  readonly url: string;
  close(): Promise<void>;
}

/** The account a new session starts in: the user's own, named after the login. */
export function initialCustomer(login: string): string {
  return `ACME-${(login.split('@')[0] ?? login).toUpperCase()}`.slice(0, CUSTOMER.maxLength);
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Listens on 127.0.0.1 (any free port); answers POST /ssod/session-start. */
export async function listenSessionStart(settings: SessionStartSettings): Promise<RunningSessionStart> {
  const keys = remoteTicketKeys(settings.keysUrl, { ca: settings.ssodCa });
  const answered = new Map<string, { readonly customer: string; readonly until: number }>();
  let url = '';
  const server = https.createServer({ key: settings.tls.key, cert: settings.tls.cert }, (req, res) => {
    if (req.method !== 'POST' || req.url !== CALLBACK_PATH) {
      res.writeHead(404).end();
      return;
    }
    void (async () => {
      try {
        const start = await verifySessionStartCallback(await bodyOf(req), keys, {
          url,
          issuer: settings.issuer,
          applicationId: settings.applicationId,
        });
        for (const [jti, seen] of answered) if (seen.until < Date.now()) answered.delete(jti);
        // A repeat of a request already handled (same jti) gets the same answer.
        const customer = answered.get(start.requestId)?.customer ?? initialCustomer(start.login);
        answered.set(start.requestId, { customer, until: start.expiresAt + REMEMBER_MS });
        const answer = sessionStartAnswer({ [CUSTOMER.name]: customer });
        res.writeHead(answer.status, answer.headers).end(answer.body);
      } catch {
        // Forged, expired, for another URL or application: a failure for ssod (policy continue: the session goes on).
        if (!res.headersSent) res.writeHead(403).end();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}${CALLBACK_PATH}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
