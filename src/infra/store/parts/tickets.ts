// Signed logon tickets (docs/tickets.md): the statements, once for every engine, and the store's part
// for the ticket-signing keys, the receivers and the grants (core/store/tickets.ts).
import { TICKET_GRANT_COLUMNS, TICKET_KEY_COLUMNS, TICKET_RECEIVER_COLUMNS } from '../columns.js';
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import {
  DuplicateReceiverError,
  type TicketGrant,
  type TicketKeyRecord,
  type TicketReceiverRecord,
  type TicketStore,
} from '../../../core/store/index.js';

type Name = { readonly name: string };

const listKeys = sql<object, TicketKeyRecord>(
  'list_ticket_keys',
  (d) => `SELECT ${TICKET_KEY_COLUMNS} FROM ticket_keys ORDER BY created_at, ${d.bytewise('kid')}`,
);
const insertKey = sql<TicketKeyRecord>(
  'insert_ticket_key',
  () => `INSERT INTO ticket_keys (kid, algorithm, public_jwk, sealed_key, created_at, signs_from, revoked_at)
  VALUES (@kid, @algorithm, @publicJwk, @sealedKey::text, @createdAt, @signsFrom, @revokedAt::bigint) ON CONFLICT (kid) DO NOTHING`,
);
const revokeKey = sql<{ kid: string; at: number }>(
  'revoke_ticket_key',
  () => 'UPDATE ticket_keys SET revoked_at = @at WHERE kid = @kid AND revoked_at IS NULL',
);

const listReceivers = sql<object, TicketReceiverRecord>(
  'list_ticket_receivers',
  (d) => `SELECT ${TICKET_RECEIVER_COLUMNS} FROM ticket_receivers ORDER BY ${d.bytewise('name')}`,
);
const getReceiver = sql<Name, TicketReceiverRecord>(
  'get_ticket_receiver',
  () => `SELECT ${TICKET_RECEIVER_COLUMNS} FROM ticket_receivers WHERE name = @name`,
);
/** ON CONFLICT: a name that is taken changes no row, on either engine. */
const insertReceiver = sql<TicketReceiverRecord>(
  'insert_ticket_receiver',
  () => `INSERT INTO ticket_receivers (name, domain, url, ca_pem, created_at)
  VALUES (@name, @domain, @url, @caPem::text, @createdAt) ON CONFLICT (name) DO NOTHING`,
);
const deleteGrantsOfReceiver = sql<Name>('delete_ticket_grants_of_receiver', () => 'DELETE FROM ticket_grants WHERE receiver = @name');
const deleteReceiver = sql<Name>('delete_ticket_receiver', () => 'DELETE FROM ticket_receivers WHERE name = @name');

/** A grant moves forward only: a late write of an older ticket never shortens it. */
const recordGrant = sql<TicketGrant>(
  'record_ticket_grant',
  (d) => `INSERT INTO ticket_grants (global_id, receiver, user_id, issued_at, expires_at)
  VALUES (@globalId, @receiver, @userId, @issuedAt, @expiresAt)
  ON CONFLICT (global_id, receiver) DO UPDATE SET
    issued_at = ${d.greatest('ticket_grants.issued_at', 'excluded.issued_at')},
    expires_at = ${d.greatest('ticket_grants.expires_at', 'excluded.expires_at')}`,
);
const grantsOfSession = sql<{ globalId: string; userId: string }, TicketGrant>(
  'list_ticket_grants_of_session',
  (d) =>
    `SELECT ${TICKET_GRANT_COLUMNS} FROM ticket_grants WHERE global_id = @globalId AND user_id = @userId ORDER BY ${d.bytewise('receiver')}`,
);
const grantsOfUser = sql<{ userId: string }, TicketGrant>(
  'list_ticket_grants_of_user',
  (d) => `SELECT ${TICKET_GRANT_COLUMNS} FROM ticket_grants WHERE user_id = @userId ORDER BY ${d.bytewise('receiver')}, global_id`,
);
const deleteGrant = sql<{ globalId: string; receiver: string; issuedAt: number }>(
  'delete_ticket_grant',
  () => 'DELETE FROM ticket_grants WHERE global_id = @globalId AND receiver = @receiver AND issued_at <= @issuedAt',
);
const purgeGrants = sql<{ now: number }>('purge_ticket_grants', () => 'DELETE FROM ticket_grants WHERE expires_at <= @now');

export function ticketPart(x: Executor): TicketStore {
  return {
    listTicketKeys: () => x.all(listKeys, {}),
    insertTicketKey: async (record) => (await x.run(insertKey, record)) > 0,
    revokeTicketKey: async (kid, at) => (await x.run(revokeKey, { kid, at })) > 0,
    listTicketReceivers: () => x.all(listReceivers, {}),
    getTicketReceiver: (name) => x.one(getReceiver, { name }),
    async insertTicketReceiver(record) {
      if ((await x.run(insertReceiver, record)) === 0) throw new DuplicateReceiverError(record.name);
    },
    async deleteTicketReceiver(name) {
      const done = await x.batch([step(deleteGrantsOfReceiver, { name }), step(deleteReceiver, { name }, true)]);
      return done !== null;
    },
    recordTicketGrant: async (grant) => {
      await x.run(recordGrant, grant);
    },
    listTicketGrants: ({ userId, globalId }) =>
      globalId === null ? x.all(grantsOfUser, { userId }) : x.all(grantsOfSession, { globalId, userId }),
    async deleteTicketGrants(grants) {
      if (grants.length === 0) return;
      await x.batch(grants.map(({ globalId, receiver, issuedAt }) => step(deleteGrant, { globalId, receiver, issuedAt })));
    },
    purgeTicketGrants: (now) => x.run(purgeGrants, { now }),
  };
}
