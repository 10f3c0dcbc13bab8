// ssod's extension namespace (docs/EXTENSIONS.md), answered in process (helpers/inProcess.ts; one test
// over real TLS): ssox operations dispatched by namespace and name beside the protocol's, ssox inputs
// of protocol operations accepted only where declared, and ssox:originatingIp forwarded to a real
// LJAuthenticate service (PHP's SoapServer) but never counted for brute-force protection.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SSO_NS, SSOX_NS } from '../../../../src/adapters/soap/faults.js';
import { ALL_OPERATIONS, EXTENSION_OPERATIONS, OPERATIONS } from '../../../../src/adapters/soap/operations/index.js';
import { fieldNamespace } from '../../../../src/adapters/soap/operations/types.js';
import { addSource } from '../../../../src/core/operator/sources.js';
import { turnSingleSignOnOn } from '../../../../src/core/operator/users.js';
import { findUser } from '../../../../src/core/users.js';
import { parseXml } from '../../../../src/infra/xml.js';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import {
  call,
  envelope,
  postSoap,
  readSoap,
  registerApp,
  startTestServer,
  type RegisteredApp,
  type SoapReply,
  type SoapTarget,
  type TestServer,
} from '../../../helpers/server.js';
import { defined } from '../../../helpers/defined.js';
import { startLjService, type LjService } from '../../../helpers/ljService.js';
import { TOOLS, skipWithout } from '../../../helpers/tools.js';

const NO_SUCH_ID = '00000000-0000-4000-8000-00000000abcd';
const FAST_ARGON2 = { argon2MemoryKib: 8192, argon2Iterations: 1 } as const;

const signOnMethod = (ts: SoapTarget, userId: string, app: RegisteredApp | null, version: '1.1' | '1.2' = '1.2'): Promise<SoapReply> =>
  call(ts, 'getSignOnMethod', { userId }, { namespace: SSOX_NS, version, ...(app === null ? {} : { credentials: app.credentials }) });

async function createUser(ts: SoapTarget, owner: RegisteredApp, login: string, password: string): Promise<string> {
  const reply = await call(ts, 'createUser', { login, password }, { credentials: owner.credentials });
  assert.equal(reply.status, 200, reply.body);
  return defined(reply.field('userId'), 'the new userId');
}

/** The reply's operation element: its namespace and name, and its children's. */
function responseElement(reply: SoapReply): { ns: string; local: string; children: string[] } {
  const body = defined(parseXml(reply.body).children.at(-1), 'the Body');
  const response = defined(body.children[0], 'the response element');
  return { ns: response.ns, local: response.local, children: response.children.map((child) => `{${child.ns}}${child.local}`) };
}

describe('the table of operations with extensions', () => {
  test('the protocol operations are in the sso namespace with their section; the extensions in ssox without one', () => {
    assert.equal(OPERATIONS.length, 20);
    for (const operation of OPERATIONS) assert.equal(operation.namespace, SSO_NS, operation.name);
    for (const operation of OPERATIONS) assert.match(operation.section ?? '', /^5\.\d+$/, operation.name);
    for (const operation of EXTENSION_OPERATIONS) assert.equal(operation.namespace, SSOX_NS, operation.name);
    for (const operation of EXTENSION_OPERATIONS) assert.equal(operation.section, null, operation.name);
    assert.deepEqual(
      EXTENSION_OPERATIONS.map((operation) => operation.name),
      [
        'getSignOnMethod',
        'verifyTicket',
        'declareSessionVariable',
        'listSessionVariableDeclarations',
        'removeSessionVariable',
        'getSessionVariable',
        'setSessionVariable',
        'verifySession',
        'setSessionStartCallback',
        'getSessionStartCallback',
      ],
    );
  });

  test('within an operation every input has its own name, whatever its namespace (the validator looks fields up by name)', () => {
    for (const operation of ALL_OPERATIONS) {
      const names = operation.input.map((field) => field.name);
      assert.equal(new Set(names).size, names.length, operation.name);
    }
  });

  test('a protocol operation takes ssox inputs, optional ones only; an extension takes only its own', () => {
    const extensionInputs = OPERATIONS.flatMap((operation) =>
      operation.input.filter((field) => fieldNamespace(operation, field) !== SSO_NS).map((field) => ({ operation: operation.name, field })),
    );
    assert.deepEqual(
      extensionInputs.map(({ operation, field }) => [operation, field.name]),
      [['authenticate', 'originatingIp']],
    );
    for (const { field } of extensionInputs) assert.equal(field.optional, true);
    for (const operation of EXTENSION_OPERATIONS) {
      for (const field of operation.input) assert.equal(fieldNamespace(operation, field), SSOX_NS);
    }
  });
});

describe('ssox operations and inputs over TLS', () => {
  let ts: TestServer;
  after(() => ts.close());

  test('ssox:getSignOnMethod and authenticate with ssox:originatingIp reach the same /soap endpoint', async () => {
    ts = await startTestServer(FAST_ARGON2);
    const owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    const userId = await createUser(ts, owner, 'tls-user@example.com', 'pa55word');
    const method = await signOnMethod(ts, userId, owner);
    assert.equal(method.status, 200, method.body);
    assert.equal(method.field('method'), 'local');
    const signedIn = await call(
      ts,
      'authenticate',
      { login: 'tls-user@example.com', password: 'pa55word' },
      { version: '1.1', extensions: { originatingIp: '2001:db8::7' } },
    );
    assert.equal(signedIn.status, 200, signedIn.body);
    assert.equal(signedIn.field('userId'), userId);
    assert.equal((await signOnMethod(ts, userId, null)).fault, 'permissionDenied');
  });
});

describe('ssox operations and inputs', () => {
  let ts: InProcessServer;
  let owner: RegisteredApp;
  let other: RegisteredApp;
  let userId: string;
  before(async () => {
    ts = await startInProcess({ ...FAST_ARGON2, maxSourceFailuresPerHour: 3 });
    owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    other = await registerApp(ts, 'https://other.example.com:8443/', 'other');
    userId = await createUser(ts, owner, 'jane@example.com', 'pa55word');
  });
  after(() => ts.close());

  test('getSignOnMethod answers local for a user whose password ssod checks, in its own namespace, SOAP 1.1 and 1.2', async () => {
    for (const version of ['1.1', '1.2'] as const) {
      const reply = await signOnMethod(ts, userId, owner, version);
      assert.equal(reply.status, 200, reply.body);
      assert.deepEqual(responseElement(reply), {
        ns: SSOX_NS,
        local: 'getSignOnMethodResponse',
        children: [`{${SSOX_NS}}method`],
      });
      assert.equal(reply.field('method'), 'local');
    }
  });

  test("getSignOnMethod: who may call is getUser's, any registered application; a guest is permissionDenied", async () => {
    assert.equal((await signOnMethod(ts, userId, other)).field('method'), 'local');
    assert.equal((await call(ts, 'getUser', { userId }, { credentials: other.credentials })).status, 200);
    assert.equal((await signOnMethod(ts, userId, null)).fault, 'permissionDenied');
    assert.equal((await call(ts, 'getUser', { userId })).fault, 'permissionDenied');
  });

  test('getSignOnMethod: the protocol faults, in the sso namespace (noSuchUser, invalidParameter)', async () => {
    const missing = await signOnMethod(ts, NO_SUCH_ID, owner);
    assert.equal(missing.fault, 'noSuchUser');
    assert.match(missing.body, new RegExp(`xmlns:sso="${SSO_NS.replaceAll('.', '\\.')}"`));
    assert.equal((await signOnMethod(ts, 'not-a-uuid', owner)).fault, 'invalidParameter');
  });

  test('an operation is found by namespace and name: getSignOnMethod in sso, or authenticate in ssox, is no operation', async () => {
    const inSso = await call(ts, 'getSignOnMethod', { userId }, { credentials: owner.credentials });
    assert.equal(inSso.fault, 'invalidParameter');
    assert.match(inSso.body, /not an operation of the SSO API/);
    const inSsox = await call(ts, 'authenticate', { login: 'jane@example.com', password: 'pa55word' }, { namespace: SSOX_NS });
    assert.equal(inSsox.fault, 'invalidParameter');
  });

  test("an extension's fields are in its namespace: an sso:userId in ssox:getSignOnMethod is invalidParameter", async () => {
    const body = `<ssox:getSignOnMethod xmlns:ssox="${SSOX_NS}" xmlns:sso="${SSO_NS}"><sso:userId>${userId}</sso:userId></ssox:getSignOnMethod>`;
    const reply = readSoap(await postSoap(ts, envelope('1.2', body), { credentials: owner.credentials }));
    assert.equal(reply.fault, 'invalidParameter');
    assert.match(reply.body, /Unknown element sso:userId in ssox:getSignOnMethod/);
  });

  test('authenticate takes ssox:originatingIp, IPv4 or IPv6, from a guest or an application', async () => {
    for (const originatingIp of ['203.0.113.7', '2001:db8::1', '::ffff:198.51.100.2']) {
      const reply = await call(ts, 'authenticate', { login: 'jane@example.com', password: 'pa55word' }, { extensions: { originatingIp } });
      assert.equal(reply.status, 200, reply.body);
      assert.equal(reply.field('userId'), userId);
    }
    const asApplication = await call(
      ts,
      'authenticate',
      { login: 'jane@example.com', password: 'pa55word', baseUrl: owner.url },
      { credentials: owner.credentials, extensions: { originatingIp: '192.0.2.1' } },
    );
    assert.equal(asApplication.status, 200, asApplication.body);
    assert.ok(asApplication.field('sessionId')?.startsWith(owner.url));
  });

  test('ssox:originatingIp that is not an IP address is invalidParameter', async () => {
    for (const originatingIp of [
      '',
      'localhost',
      '203.0.113.256',
      '203.0.113.7 ',
      '01.2.3.4',
      'fe80::1%eth0',
      '2001:db8::1/64',
      '1'.repeat(60),
    ]) {
      const reply = await call(ts, 'authenticate', { login: 'jane@example.com', password: 'pa55word' }, { extensions: { originatingIp } });
      assert.equal(reply.fault, 'invalidParameter', JSON.stringify(originatingIp));
      assert.match(reply.body, /originatingIp (must|is too long)/, JSON.stringify(originatingIp));
    }
  });

  test('only the declared ssox element is accepted: another ssox element, an sso:originatingIp, a second one, or one in another operation is invalidParameter', async () => {
    const login = { login: 'jane@example.com', password: 'pa55word' };
    const unknown = await call(ts, 'authenticate', login, { extensions: { browser: 'firefox' } });
    assert.equal(unknown.fault, 'invalidParameter');
    assert.match(unknown.body, /Unknown element ssox:browser in sso:authenticate/);
    const inSso = await call(ts, 'authenticate', { ...login, originatingIp: '203.0.113.7' });
    assert.equal(inSso.fault, 'invalidParameter');
    assert.match(inSso.body, /Unknown element sso:originatingIp /);
    const twice = `<sso:authenticate xmlns:sso="${SSO_NS}" xmlns:ssox="${SSOX_NS}"><sso:login>jane@example.com</sso:login><sso:password>pa55word</sso:password><ssox:originatingIp>192.0.2.1</ssox:originatingIp><ssox:originatingIp>192.0.2.2</ssox:originatingIp></sso:authenticate>`;
    assert.equal(readSoap(await postSoap(ts, envelope('1.2', twice))).fault, 'invalidParameter');
    const elsewhere = await call(ts, 'getUser', { userId }, { credentials: owner.credentials, extensions: { originatingIp: '192.0.2.1' } });
    assert.equal(elsewhere.fault, 'invalidParameter');
    assert.match(elsewhere.body, /Unknown element ssox:originatingIp in sso:getUser/);
  });

  test('brute-force protection counts the connection, never ssox:originatingIp: a guest cannot pick its source', async () => {
    const address = '127.0.9.1';
    for (let i = 0; i < 4; i += 1) {
      const reply = await call(
        ts,
        'authenticate',
        { login: `guess-${i}@example.com`, password: 'wrong' },
        { localAddress: address, extensions: { originatingIp: `198.51.100.${i + 1}` } },
      );
      assert.equal(reply.fault, 'invalidCredentials');
    }
    const [source] = await ts.services.store.getThrottles([`source:${address}`]);
    assert.ok(source?.lockedUntil !== null && source?.lockedUntil !== undefined, 'the connection address is locked');
    assert.deepEqual(await ts.services.store.getThrottles(['source:198.51.100.1', 'source:198.51.100.4']), []);
    const locked = await call(
      ts,
      'authenticate',
      { login: 'jane@example.com', password: 'pa55word' },
      { localAddress: address, extensions: { originatingIp: '203.0.113.99' } },
    );
    assert.equal(locked.fault, 'invalidCredentials', 'another originatingIp does not unlock the connection address');
    const audit = await ts.services.store.queryAudit({ type: 'authentication.failed', limit: 10 });
    assert.ok(audit.length > 0);
    for (const record of audit) assert.equal(record.detail.address, address);
  });
});

describe('ssox with a delegated source (a real LJAuthenticate service)', { skip: skipWithout([TOOLS.phpSoap]) }, () => {
  let ts: InProcessServer;
  let service: LjService;
  let owner: RegisteredApp;
  let aliceId: string;
  before(async () => {
    service = await startLjService();
    ts = await startInProcess(FAST_ARGON2);
    owner = await registerApp(ts, 'https://owner.example.com:8443/', 'owner');
    await addSource(ts.services, { name: 'corp', settings: { kind: 'webService', url: service.url, caPem: service.caPem } });
    aliceId = await createUser(ts, owner, 'alice', 'a local password that goes');
    await turnSingleSignOnOn(ts.services, await findUser(ts.services, aliceId), 'corp');
  });
  after(async () => {
    await ts.close();
    await service.stop();
  });

  test('getSignOnMethod answers delegated for a user with single sign-on', async () => {
    assert.equal((await signOnMethod(ts, aliceId, owner)).field('method'), 'delegated');
  });

  test("authenticate forwards ssox:originatingIp to the source; without it, the connection's address", async () => {
    const given = await call(
      ts,
      'authenticate',
      { login: 'alice', password: 'correct horse' },
      { localAddress: '127.0.10.1', extensions: { originatingIp: '203.0.113.50' } },
    );
    assert.equal(given.status, 200, given.body);
    assert.equal(given.field('userId'), aliceId);
    assert.deepEqual(await service.lastRequest(), { username: 'alice', originatingIp: '203.0.113.50' });
    const absent = await call(ts, 'authenticate', { login: 'alice', password: 'correct horse' }, { localAddress: '127.0.10.2' });
    assert.equal(absent.status, 200, absent.body);
    assert.deepEqual(await service.lastRequest(), { username: 'alice', originatingIp: '127.0.10.2' });
  });
});
