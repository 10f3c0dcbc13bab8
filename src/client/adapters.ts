// Thin adapters of SsoApp for Express and Fastify, written against the few members they use so
// the SDK depends on neither framework. Both frameworks pass node's own request and response
// (Express extends them; Fastify exposes them as `raw`), which is all SsoApp needs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignedInUser, SsoApp } from './middleware.js';

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
