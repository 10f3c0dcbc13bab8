// `ssod tickets` and `ssod receivers` through the real binary on both store engines, with a server
// running on the installation: the key set it serves on both listeners follows a rotation or a
// revocation made by a command within 5 s, and ssox:verifyTicket answers for a ticket it issued. On
// PostgreSQL the private keys are sealed in the store (no PEM in the database, no key file); on
// SQLite they are 0600 files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBrowserSession, sessionOfCookie } from '../../../src/core/sessions.js';
import { issueTicket, receiverNamed } from '../../../src/core/tickets.js';
import { defined } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { freshInstallation, type Engine, type Installation } from '../../helpers/installation.js';
import { postgresSuite } from '../../helpers/postgres.js';
import { call, httpsRequest, registerApp, SSOX_NS, type HttpReply, type RegisteredApp, type TestServer } from '../../helpers/server.js';

/** A change made by a command reaches the running server within 5 s (docs/tickets.md); a loaded machine may take longer to show it. */
const FOLLOWED = { timeoutMs: 30_000, what: 'the server follows the change' } as const;

interface ListedKey {
  readonly kid: string;
  readonly state: string;
}

function relayGetPath(ts: TestServer, route: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: ts.relayPort, path: route, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      })
      .on('error', reject);
  });
}

/**
 * The ticket with one character of its signature changed: one in the middle, never the last, whose
 * low bits are padding that a base64url decoder may ignore (so `…AA` in place of the last two
 * characters is the same signature once in 256 tickets).
 */
function forged(ticket: string): string {
  const at = ticket.lastIndexOf('.') + 10;
  return `${ticket.slice(0, at)}${ticket[at] === 'A' ? 'B' : 'A'}${ticket.slice(at + 1)}`;
}

function ticketCommands(engine: Engine): void {
  let inst: Installation;
  let ts: TestServer;
  let panel: RegisteredApp;
  let userId: string;
  before(async () => {
    inst = await freshInstallation({ engine });
    ts = await inst.serve({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    panel = await registerApp(ts);
    userId = defined(
      (await call(ts, 'createUser', { login: 'alice', password: 'alice pw' }, { credentials: panel.credentials })).field('userId'),
      'userId',
    );
  });
  after(async () => {
    await ts.close();
    await inst.remove();
  });

  const keys = async (): Promise<ListedKey[]> => {
    const listed = await inst.run(['tickets', 'keys', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    return JSON.parse(listed.stdout) as ListedKey[];
  };
  /** The kids of the key set on the relay listener and on the SOAP listener, which must agree. */
  const servedKids = async (): Promise<string[]> => {
    const [relay, soap] = await Promise.all([relayGetPath(ts, '/tickets/keys'), httpsRequest(ts, null, { path: '/tickets/keys' })]);
    for (const reply of [relay, soap]) {
      assert.equal(reply.status, 200);
      assert.equal(reply.headers['content-type'], 'application/jwk-set+json');
      assert.equal(reply.headers['cache-control'], 'public, max-age=300');
    }
    assert.equal(relay.body, soap.body);
    const set = JSON.parse(relay.body) as { keys: Record<string, string>[] };
    for (const key of set.keys)
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'], 'never a private member');
    return set.keys.map((key) => key.kid ?? '');
  };

  test('the first key signs; its private half is sealed in PostgreSQL or a 0600 file on SQLite, never plain in the database', async () => {
    const [first] = await keys();
    assert.equal(first?.state, 'signing');
    const kid = defined(first, 'the first key').kid;
    assert.deepEqual(await servedKids(), [kid]);
    const [record] = await ts.server.services.store.listTicketKeys();
    const keyFile = path.join(inst.dataDir, 'tickets', `${kid}.key`);
    if (engine === 'postgres') {
      assert.match(record?.sealedKey ?? '', /^v1\./);
      assert.doesNotMatch(record?.sealedKey ?? '', /PRIVATE KEY/);
      assert.equal(existsSync(keyFile), false);
    } else {
      assert.equal(record?.sealedKey, null);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      assert.deepEqual(readdirSync(path.join(inst.dataDir, 'tickets')), [`${kid}.key`]);
    }
  });

  test('rotate publishes a pending key that every listener serves within 5 s; revoke of the only signing key is refused with what to do', async () => {
    const [signing] = await keys();
    const rotated = await inst.run(['tickets', 'rotate']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^Made ticket key \S+; it signs from \S+ \(published now\)/);
    const listed = await keys();
    assert.deepEqual(
      listed.map((key) => key.state),
      ['signing', 'pending'],
    );
    const pending = defined(listed[1], 'the pending key').kid;
    await eventually(async () => assert.deepEqual(await servedKids(), [signing?.kid, pending]), FOLLOWED);

    // After `--`: a key id is base64url, and one in 64 begins with "-".
    const refused = await inst.run(['tickets', 'revoke', '--', signing?.kid ?? '']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^ssod: ticket key \S+ is the signing key and no other key can sign now; run `ssod tickets rotate --now` first/,
    );
    const now = await inst.run(['tickets', 'rotate', '--now']);
    assert.match(now.stdout, /it signs from now on/);
    const revoked = await inst.run(['tickets', 'revoke', '--', signing?.kid ?? '']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(
      (await keys()).map((key) => key.state),
      ['revoked', 'pending', 'signing'],
    );
    await eventually(async () => assert.equal((await servedKids()).includes(signing?.kid ?? ''), false), FOLLOWED);
    const table = await inst.run(['tickets', 'keys']);
    assert.match(table.stdout, /^KID +STATE +SIGNS FROM +PUBLISHED UNTIL$/m);
    const wide = await inst.run(['tickets', 'keys', '--wide']);
    assert.match(wide.stdout, /^KID +ALGORITHM +STATE +CREATED +SIGNS FROM +PUBLISHED UNTIL$/m);
    const audit = await inst.run(['audit', '--json', '--limit', '50']);
    const types = (JSON.parse(audit.stdout) as { type: string }[]).map((event) => event.type);
    assert.equal(types.filter((type) => type === 'ticketKey.rotated').length, 3, 'the first key and two rotations');
    assert.ok(types.includes('ticketKey.revoked'));
  });

  test('receivers: add, list, show, remove, with clear refusals; every change in the audit trail', async () => {
    const added = await inst.run(['receivers', 'add', 'billing-de', '--domain', 'example.de', '--url', 'https://apps.example.de/.ssod/']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^Added receiver billing-de for example\.de at https:\/\/apps\.example\.de\/\.ssod\//);
    for (const [args, message] of [
      [['Billing', '--domain', 'example.de', '--url', 'https://example.de/'], /receiver name "Billing" is not valid/],
      [
        ['x', '--domain', '192.0.2.1', '--url', 'https://example.de/'],
        /--domain must be a DNS name of at least two labels, not an IP address/,
      ],
      [['x', '--domain', 'de', '--url', 'https://example.de/'], /at least two labels/],
      [['x', '--domain', 'example.de', '--url', 'http://example.de/'], /must be https/],
      [['x', '--domain', 'example.de', '--url', 'https://evil-example.de/'], /must have a host equal to example\.de or inside it/],
      [['x', '--domain', 'example.de', '--url', 'https://example.de/.ssod'], /must end with "\/"/],
      [['x', '--domain', 'example.de', '--url', 'https://example.de/?next=1'], /must not have a query or a fragment/],
      [['x', '--domain', 'example.de', '--url', 'https://me@example.de/'], /must not hold user info/],
      [['billing-de', '--domain', 'example.de', '--url', 'https://example.de/'], /a receiver named billing-de exists already/],
    ] as const) {
      const result = await inst.run(['receivers', 'add', ...args]);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const shown = await inst.run(['receivers', 'show', 'billing-de', '--json']);
    assert.deepEqual(JSON.parse(shown.stdout), {
      name: 'billing-de',
      domain: 'example.de',
      url: 'https://apps.example.de/.ssod/',
      caCertificates: 0,
      createdAt: (JSON.parse(shown.stdout) as { createdAt: string }).createdAt,
    });
    const listed = await inst.run(['receivers', 'list']);
    assert.match(listed.stdout, /^billing-de +example\.de +https:\/\/apps\.example\.de\/\.ssod\/ /m);
    await eventually(async () => assert.equal((await receiverNamed(ts.server.services, 'billing-de'))?.domain, 'example.de'), FOLLOWED);
    assert.match((await inst.run(['receivers', 'show', 'nope'])).stderr, /no receiver named "nope"; the receivers are: billing-de/);
    const audit = JSON.parse((await inst.run(['audit', '--json', '--limit', '50'])).stdout) as { type: string; target: string }[];
    assert.ok(audit.some((event) => event.type === 'receiver.added' && event.target === 'receiver:billing-de'));
  });

  test('ssox:verifyTicket over TLS: the user while the session lives; invalidParameter for a forgery; guests refused', async () => {
    const services = ts.server.services;
    const receiver = await eventually(() => receiverNamed(services, 'billing-de'), FOLLOWED);
    const cookie = await startBrowserSession(services, userId, 'operator', null);
    const session = defined(await sessionOfCookie(services, cookie.value), 'the session').session;
    const ticket = await issueTicket(services, session, receiver);
    const verify = (value: string, credentials = panel.credentials) =>
      call(ts, 'verifyTicket', { ticket: value }, { namespace: SSOX_NS, credentials });
    const reply = await verify(ticket);
    assert.equal(reply.status, 200, reply.body);
    assert.deepEqual([reply.field('userId'), reply.field('login'), reply.field('domain')], [userId, 'alice', 'example.de']);
    assert.match(reply.field('expiresAt') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.equal((await verify(forged(ticket))).fault, 'invalidParameter');
    assert.equal((await call(ts, 'verifyTicket', { ticket }, { namespace: SSOX_NS })).fault, 'permissionDenied');
    await services.store.deleteGlobalSession(session.id);
    assert.equal((await verify(ticket)).fault, 'noSuchSession');
    const removed = await inst.run(['receivers', 'remove', 'billing-de']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match((await inst.run(['receivers', 'remove', 'billing-de'])).stderr, /no receiver named "billing-de": none is configured/);
  });
}

describe('ssod tickets and ssod receivers on SQLite', () => ticketCommands('sqlite'));
postgresSuite('ssod tickets and ssod receivers on PostgreSQL', () => ticketCommands('postgres'));
