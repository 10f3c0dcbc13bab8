// Thin adapters of SsoApp and TicketReceiver for Express and Fastify, written against the few members they use so
// the SDK depends on neither framework. Both frameworks pass node's own request and response
// (Express extends them; Fastify exposes them as `raw`), which is all either needs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignedInUser, SsoApp } from './middleware.js';
import type { TicketReceiver } from './receiver.js';
import type { TicketUser } from './tickets.js';

/** A request after the adapter ran: the user is on `ssoUser`. */
export interface WithSsoUser {
  ssoUser?: SignedInUser;
}

/** Express: `app.get('/account', ssoExpress(sso), (req, res) => res.send(req.ssoUser.login))`. */
export function ssoExpress(
  sso: SsoApp,
): (req: IncomingMessage & WithSsoUser, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    sso.requireUser(req, res).then(
      (user) => {
        if (user === null) return; // the adapter already answered (a redirect)
        req.ssoUser = user;
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

interface FastifyRequestLike extends WithSsoUser {
  readonly raw: IncomingMessage;
}

interface FastifyReplyLike {
  readonly raw: ServerResponse;
  /** Tells Fastify the response was written on `raw` (required after writing there). */
  hijack(): unknown;
}

/** Fastify: `fastify.get('/account', { preHandler: ssoFastify(sso) }, (request) => request.ssoUser)`. */
export function ssoFastify(sso: SsoApp): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void> {
  return async (request, reply) => {
    const user = await sso.requireUser(request.raw, reply.raw);
    if (user === null) reply.hijack();
    else request.ssoUser = user;
  };
}

/** A request after a ticket adapter ran: the user of the domain cookie, when there is one, is on `ticketUser`. */
export interface WithTicketUser {
  ticketUser?: TicketUser;
}

export interface TicketAdapterOptions {
  /** true: a request without a user is answered by the receiver (asked once, then 401); false (default): it goes on without `ticketUser`. */
  readonly required?: boolean;
}

/**
 * The receiver's endpoints, then the user, for one request; true when the receiver answered it
 * (an endpoint, a redirect to ask for a ticket, a 401) and the framework must not.
 */
async function receive(
  receiver: TicketReceiver,
  req: IncomingMessage & WithTicketUser,
  res: ServerResponse,
  required: boolean,
): Promise<boolean> {
  if (await receiver.handle(req, res)) return true;
  const user = required ? await receiver.requireUser(req, res) : await receiver.optionalUser(req, res);
  if (user !== null) req.ticketUser = user;
  return res.headersSent;
}

/**
 * Express, before any body parser (the logout endpoint reads its own form):
 * `app.use(ticketExpress(receiver))`, and `app.get('/account', ticketExpress(receiver, { required: true }), …)`.
 */
export function ticketExpress(
  receiver: TicketReceiver,
  options: TicketAdapterOptions = {},
): (req: IncomingMessage & WithTicketUser, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    receive(receiver, req, res, options.required === true).then(
      (answered) => {
        if (!answered) next();
      },
      (error: unknown) => next(error),
    );
  };
}

/**
 * Fastify, as an onRequest hook (it runs before Fastify reads a body, and for paths without a route):
 * `fastify.addHook('onRequest', ticketFastify(receiver))`, and
 * `fastify.get('/account', { onRequest: ticketFastify(receiver, { required: true }) }, (request) => request.ticketUser)`.
 */
export function ticketFastify(
  receiver: TicketReceiver,
  options: TicketAdapterOptions = {},
): (request: FastifyRequestLike & WithTicketUser, reply: FastifyReplyLike) => Promise<void> {
  return async (request, reply) => {
    const answered = await receive(receiver, request.raw, reply.raw, options.required === true);
    const user = (request.raw as IncomingMessage & WithTicketUser).ticketUser;
    if (user !== undefined) request.ticketUser = user;
    if (answered) reply.hijack();
  };
}
