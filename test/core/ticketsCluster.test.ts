// Ticket keys are the cluster's, not a node's (docs/tickets.md "The key set"): two nodes on one
// PostgreSQL store make one first key between them, a ticket issued through one verifies with the
// key set the other serves, and a rotation made on one node is served by the other within the
// documented 5 s (waited for, not timed).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { rotateTicketKey } from '../../src/core/operator/tickets.js';
import { sessionOfCookie, startBrowserSession } from '../../src/core/sessions.js';
import { issueTicket, ticketIssuer } from '../../src/core/tickets.js';
import { createUser } from '../../src/core/users.js';
import { defined } from '../helpers/defined.js';
import { eventually } from '../helpers/eventually.js';
import { twoPostgresNodes } from '../helpers/pgNodes.js';
import { postgresSuite } from '../helpers/postgres.js';
import { registerApp, type TestServer } from '../helpers/server.js';

/** The key set a node serves on its relay listener, as a receiver fetches it. */
function keySetOf(node: TestServer): Promise<JSONWebKeySet> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: node.relayPort, path: '/tickets/keys', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as JSONWebKeySet));
      })
      .on('error', reject);
  });
}

postgresSuite('ticket keys across the nodes of a PostgreSQL cluster', () => {
  const nodes = twoPostgresNodes('tickets');

  test('a ticket issued through node A verifies with the key set of node B; a rotation on A is served by B', async () => {
    const [a, b] = nodes();
    assert.equal((await a.server.services.store.listTicketKeys()).length, 1, 'the second node found the first key: one between them');
    const app = await registerApp(a);
    const userId = await createUser(a.server.services, app.id, 'alice', await a.server.services.passwords.hash('pw'), 'operator');
    const receiver = {
      name: 'billing-de',
      domain: 'example.de',
      url: 'https://apps.example.de/.ssod/',
      caPem: null,
      createdAt: Date.now(),
    };
    await a.server.services.store.insertTicketReceiver(receiver);
    const cookie = await startBrowserSession(a.server.services, userId, 'operator', null);
    const session = defined(await sessionOfCookie(a.server.services, cookie.value), 'the session').session;

    const ticket = await issueTicket(a.server.services, session, receiver);
    const { payload } = await jwtVerify(ticket, createLocalJWKSet(await keySetOf(b)), {
      algorithms: ['EdDSA'],
      typ: 'ssod-ticket+jwt',
      issuer: ticketIssuer(a.server.services),
      audience: 'example.de',
    });
    assert.equal(payload.sub, userId);

    const rotated = await rotateTicketKey(a.server.services, true);
    await eventually(async () => assert.ok((await keySetOf(b)).keys.some((key) => key.kid === rotated.kid)), {
      timeoutMs: 30_000,
      what: 'node B serves the key made on node A',
    });
    const next = await eventually(
      async () => {
        const issued = await issueTicket(b.server.services, session, receiver);
        return decodeProtectedHeader(issued).kid === rotated.kid ? issued : null;
      },
      { timeoutMs: 30_000, what: 'node B signs with the key made on node A' },
    );
    await jwtVerify(next, createLocalJWKSet(await keySetOf(a)), { typ: 'ssod-ticket+jwt', audience: 'example.de' });
  });
});
