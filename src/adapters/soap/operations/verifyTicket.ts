// ssox:verifyTicket (docs/tickets.md "Logout", docs/EXTENSIONS.md): the online check of a signed logon
// ticket, for an application with a certificate that wants more than the offline verification: the
// ticket's user, answered only while the ticket's global session lives (a logout ends it at once
// here, where a receiver learns of it by a logout token).
import { SSOX_NS } from '../faults.js';
import { verifyTicketOnline } from '../../../core/tickets.js';
import { operation } from './types.js';

export const verifyTicket = operation({
  namespace: SSOX_NS,
  name: 'verifyTicket',
  section: null,
  summary:
    "Verifies a signed logon ticket (docs/tickets.md) and answers its user while the ticket's global session lives: invalidParameter for a ticket that is not valid (signature, key, issuer, expiry), noSuchSession when its session has ended.",
  access: 'application',
  input: [{ name: 'ticket', type: 'string', maxLength: 4096, doc: 'The ticket: a JWS in compact serialization, at most 4096 bytes.' }],
  output: [
    { name: 'userId', doc: "The ticket's user (`sub`)." },
    { name: 'login', doc: "The user's login now." },
    { name: 'domain', doc: 'The DNS domain the ticket was issued for.' },
    { name: 'expiresAt', doc: "The ticket's expiry (`exp`), ISO 8601 in UTC." },
  ],
  faults: ['invalidParameter', 'permissionDenied', 'noSuchSession'],
  async handle(input, { services }) {
    const verified = await verifyTicketOnline(services, input.ticket);
    return {
      userId: verified.userId,
      login: verified.login,
      domain: verified.domain,
      expiresAt: new Date(verified.expiresAt).toISOString(),
    };
  },
});
