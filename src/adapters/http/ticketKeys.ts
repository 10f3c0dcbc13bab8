// GET /tickets/keys on both listeners (docs/tickets.md "The key set"): the JWK Set of the published
// ticket-signing keys, public members only, cacheable for 5 minutes (rotation publishes a new key
// 10 minutes before it signs, twice this).
import type { ServerResponse } from 'node:http';
import type { Services } from '../../core/services.js';
import { ticketKeySet } from '../../core/tickets.js';

export const TICKET_KEYS_PATH = '/tickets/keys';

export async function sendTicketKeys(services: Services, res: ServerResponse): Promise<void> {
  const body = JSON.stringify(await ticketKeySet(services));
  res.writeHead(200, {
    'Content-Type': 'application/jwk-set+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'public, max-age=300',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}
