// The LJAuthenticate web service as a delegated source (docs/FEDERATION.md): against a real service
// on PHP's SoapServer behind TLS, and against services that answer badly (docs/SECURITY.md case E36),
// each of which must fail the check within the timeout and leave no connection open.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PassThroughAnswer, SourceAnswer, WebServiceSettings } from '../../../src/core/ports/delegated.js';
import { createLogger } from '../../../src/infra/log.js';
import {
  MAX_REDIRECT_URL_LENGTH,
  openWebServiceSource,
  passThroughAnswerOf,
  passThroughEnvelope,
  passwordAnswerOf,
  passwordEnvelope,
} from '../../../src/infra/sources/webService.js';
import { ifAssigned } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { LJ_SERVICE_CONFIG, startLjService, type LjService } from '../../helpers/ljService.js';
import {
  closedPortUrl,
  HUGE_REPLY_BYTES,
  startMisbehavingService,
  startSilentListener,
  type Misbehaviour,
  type MisbehavingService,
} from '../../helpers/misbehavingService.js';
import { openTestCa, type TestCa } from '../../helpers/testCa.js';
import { TOOLS, skipWithout } from '../../helpers/tools.js';

const PASSWORD = 'correct horse';
const BROWSER_IP = '203.0.113.7';

/** A source on `url` whose log lines the test can read. */
function sourceAt(url: string, overrides: Partial<WebServiceSettings> = {}) {
  const lines: string[] = [];
  const settings: WebServiceSettings = { kind: 'webService', url, connectTimeoutMs: 2000, timeoutMs: 5000, ...overrides };
  const source = openWebServiceSource(settings, { log: createLogger('debug', (line) => lines.push(line)) });
  return { source, logText: () => lines.join('') };
}

describe('the LJAuthenticate messages', () => {
  const SOAP = 'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"';
  const LJ = 'xmlns="urn:authentication.soap.ws.longjump.com"';
  const reply = (fields: string) =>
    `<soapenv:Envelope ${SOAP}><soapenv:Body>\n<LJAuthenticateResponse ${LJ}>${fields}</LJAuthenticateResponse>\n</soapenv:Body></soapenv:Envelope>`;

  test('a password check is the LJAuthenticate envelope, element for element', () => {
    const expected = [
      '<?xml version="1.0" encoding="UTF-8" ?>',
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">',
      '<soapenv:Body>',
      '<LJAuthenticate xmlns="urn:authentication.soap.ws.longjump.com">',
      '<username>jim@abc.com</username>',
      '<password>sales</password>',
      '<originatingIp>1.2.3.4</originatingIp>',
      '</LJAuthenticate>',
      '</soapenv:Body>',
      '</soapenv:Envelope>',
    ].join('\n');
    assert.equal(passwordEnvelope({ login: 'jim@abc.com', password: 'sales', originatingIp: '1.2.3.4' }), expected);
  });

  test('a pass-through request sends sessionID, originatingDomain, originatingIp, loginID in that order; no session is an empty element', () => {
    const check = { sessionId: null, loginId: 'a&b', originatingDomain: 'crm.example.test', originatingIp: '1.2.3.4' };
    assert.match(
      passThroughEnvelope(check),
      /<sessionID\/>\n<originatingDomain>crm\.example\.test<\/originatingDomain>\n<originatingIp>1\.2\.3\.4<\/originatingIp>\n<loginID>a&amp;b<\/loginID>/,
    );
  });

  test('exactly Authenticated is success, whitespace trimmed, whatever the prefixes; children may be unqualified', () => {
    assert.deepEqual(passwordAnswerOf(reply('<Status>Authenticated</Status>')), { ok: true });
    assert.deepEqual(passwordAnswerOf(reply('<Status>\n  Authenticated \n</Status>')), { ok: true });
    const prefixed = `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x:LJAuthenticateResponse xmlns:x="urn:authentication.soap.ws.longjump.com"><Status xmlns="">Authenticated</Status></x:LJAuthenticateResponse></e:Body></e:Envelope>`;
    assert.deepEqual(passwordAnswerOf(prefixed), { ok: true });
  });

  test('anything else is not success: another word, a status in lower case, a repeated Status, text in a child element', () => {
    assert.deepEqual(passwordAnswerOf(reply('<Status>Failure</Status>')), { ok: false, cause: 'rejected', detail: 'status Failure' });
    assert.deepEqual(passwordAnswerOf(reply('<status>Authenticated</status>')), {
      ok: false,
      cause: 'malformed',
      detail: 'no Status in the reply',
    });
    assert.deepEqual(passwordAnswerOf(reply('<Status>Failure</Status><Status>Authenticated</Status>')), {
      ok: false,
      cause: 'malformed',
      detail: 'more than one Status in the reply',
    });
    assert.deepEqual(passwordAnswerOf(reply('<Status><b>Authenticated</b></Status>')), {
      ok: false,
      cause: 'rejected',
      detail: 'an empty status',
    });
  });

  test('a SOAP 1.2 envelope, or a second element in the Body, is not a reply', () => {
    const soap12 = `<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><LJAuthenticateResponse ${LJ}><Status>Authenticated</Status></LJAuthenticateResponse></env:Body></env:Envelope>`;
    assert.deepEqual(passwordAnswerOf(soap12), { ok: false, cause: 'malformed', detail: 'not a SOAP 1.1 envelope' });
    const twice = reply('<Status>Failure</Status>').replace(
      '</soapenv:Body>',
      `<LJAuthenticateResponse ${LJ}><Status>Authenticated</Status></LJAuthenticateResponse></soapenv:Body>`,
    );
    assert.deepEqual(passwordAnswerOf(twice), { ok: false, cause: 'malformed', detail: 'not exactly one element in the SOAP Body' });
  });

  test('pass-through: AUTHENTICATED needs a loginID; a redirectOnErrorURL over the limit is left out', () => {
    assert.deepEqual(passThroughAnswerOf(reply('<status>AUTHENTICATED</status><loginID> jim@abc.com </loginID>')), {
      ok: true,
      loginId: 'jim@abc.com',
    });
    assert.deepEqual(passThroughAnswerOf(reply('<status>AUTHENTICATED</status>')), {
      ok: false,
      cause: 'malformed',
      detail: 'AUTHENTICATED without a loginID',
    });
    const long = `https://portal.example.test/${'a'.repeat(MAX_REDIRECT_URL_LENGTH)}`;
    assert.deepEqual(passThroughAnswerOf(reply(`<status>NOT_AUTHETICATED</status><redirectOnErrorURL>${long}</redirectOnErrorURL>`)), {
      ok: false,
      cause: 'rejected',
      detail: 'status NOT_AUTHETICATED',
      redirectOnErrorUrl: undefined,
    });
  });
});

describe("the LJAuthenticate web service source, against PHP's SoapServer", { skip: skipWithout([TOOLS.phpSoap]) }, () => {
  let service: LjService;
  let source: ReturnType<typeof openWebServiceSource>;

  before(async () => {
    service = await startLjService();
    source = sourceAt(service.url, { caPem: service.caPem }).source;
  });
  after(async () => {
    await ifAssigned(source)?.close();
    await ifAssigned(service)?.stop();
  });

  test('the right password is accepted, and the service saw the login and the browser address ssod sent', async () => {
    assert.deepEqual(await source.checkPassword({ login: 'alice', password: PASSWORD, originatingIp: BROWSER_IP }), { ok: true });
    assert.deepEqual(await service.lastRequest(), { username: 'alice', originatingIp: BROWSER_IP });
  });

  test('a wrong password is rejected with the status the service gave', async () => {
    assert.deepEqual(await source.checkPassword({ login: 'alice', password: 'Correct horse', originatingIp: BROWSER_IP }), {
      ok: false,
      cause: 'rejected',
      detail: 'status Failure',
    });
  });

  test('an unknown user is rejected', async () => {
    const answer = await source.checkPassword({ login: 'mallory', password: PASSWORD, originatingIp: BROWSER_IP });
    assert.deepEqual(answer, { ok: false, cause: 'rejected', detail: 'status Failure' });
  });

  test(`values with < & " ' are escaped: the service reads them intact`, async () => {
    const [login, password] = Object.entries(LJ_SERVICE_CONFIG.users).find(([name]) => name.includes('<')) ?? assert.fail('no such user');
    const originatingIp = `<&"'>`;
    assert.deepEqual(await source.checkPassword({ login, password, originatingIp }), { ok: true });
    assert.deepEqual(await service.lastRequest(), { username: login, originatingIp });
  });

  test('pass-through: AUTHENTICATED gives the loginID of the reply; the service saw the session, domain, address and login', async () => {
    const check = { sessionId: 'session-of-alice', loginId: 'alice', originatingDomain: 'crm.example.test', originatingIp: BROWSER_IP };
    assert.deepEqual(await source.checkPassThrough(check), { ok: true, loginId: 'alice@abc.com' });
    assert.deepEqual(await service.lastRequest(), {
      sessionID: 'session-of-alice',
      originatingDomain: 'crm.example.test',
      originatingIp: BROWSER_IP,
      loginID: 'alice',
    });
  });

  test('pass-through: NOT_AUTHETICATED is rejected, with the redirectOnErrorURL of the reply', async () => {
    const check = { sessionId: 'no-such-session', loginId: 'alice', originatingDomain: 'crm.example.test', originatingIp: BROWSER_IP };
    const expected: PassThroughAnswer = {
      ok: false,
      cause: 'rejected',
      detail: 'status NOT_AUTHETICATED',
      redirectOnErrorUrl: LJ_SERVICE_CONFIG.redirectOnErrorURL,
    };
    assert.deepEqual(await source.checkPassThrough(check), expected);
  });

  test('pass-through: a session the service has seen used is rejected', async () => {
    const check = { sessionId: 'used-session', loginId: 'alice', originatingDomain: 'crm.example.test', originatingIp: BROWSER_IP };
    assert.deepEqual(await source.checkPassThrough(check), {
      ok: false,
      cause: 'rejected',
      detail: 'status NOT_AUTHETICATED',
      redirectOnErrorUrl: LJ_SERVICE_CONFIG.redirectOnErrorURL,
    });
  });

  test('pass-through: no session id is sent as an empty sessionID element', async () => {
    const check = { sessionId: null, loginId: 'alice', originatingDomain: 'crm.example.test', originatingIp: BROWSER_IP };
    const answer = await source.checkPassThrough(check);
    assert.equal(!answer.ok && answer.cause, 'rejected');
    assert.equal((await service.lastRequest()).sessionID, '');
  });

  test('E36: with the pin of the service key the check goes through; with another pin the service is unavailable', async () => {
    const pinned = sourceAt(service.url, { caPem: service.caPem, pinSha256: service.pin });
    assert.deepEqual(await pinned.source.checkPassword({ login: 'alice', password: PASSWORD, originatingIp: BROWSER_IP }), { ok: true });
    const otherPin = Buffer.alloc(32, 7).toString('base64');
    const wrong = sourceAt(service.url, { caPem: service.caPem, pinSha256: otherPin });
    const answer = await wrong.source.checkPassword({ login: 'alice', password: PASSWORD, originatingIp: BROWSER_IP });
    assert.deepEqual(answer, { ok: false, cause: 'unavailable', detail: 'TLS: the server key does not match the configured pin' });
    assert.ok(!wrong.logText().includes(PASSWORD));
  });
});

describe('E36: a web service that answers badly fails the check within the timeout and leaves no connection open', () => {
  let ca: TestCa;
  let service: MisbehavingService;

  before(async () => {
    ca = await openTestCa();
    service = await startMisbehavingService(ca.server);
  });
  after(async () => {
    await ifAssigned(service)?.stop();
  });

  /** Asks `url` for a password check with short timeouts, and checks the answer came in time and nothing stayed open. */
  async function checkAt(
    url: string,
    connections: () => Promise<number>,
    settings: Partial<WebServiceSettings> = {},
  ): Promise<SourceAnswer> {
    const { source, logText } = sourceAt(url, { caPem: ca.caPem, connectTimeoutMs: 500, timeoutMs: 1000, ...settings });
    const started = Date.now();
    const answer = await source.checkPassword({ login: 'alice', password: PASSWORD, originatingIp: BROWSER_IP });
    assert.ok(Date.now() - started < 5000, `answered after ${Date.now() - started} ms`);
    await eventually(async () => (await connections()) === 0, { timeoutMs: 5000, what: 'the server holds no connection' });
    assert.ok(!logText().includes(PASSWORD), 'the password is not logged');
    await source.close();
    return answer;
  }

  const misbehaving = (behaviour: Misbehaviour) => checkAt(service.url(behaviour), () => service.connections());

  test('the well-behaved reply of the same server is accepted (the cases below fail for their own reason)', async () => {
    assert.deepEqual(await misbehaving('ok'), { ok: true });
  });

  const cases: readonly (readonly [name: string, behaviour: Misbehaviour, answer: SourceAnswer])[] = [
    ['E36: a DOCTYPE in the reply', 'doctype', { ok: false, cause: 'malformed', detail: 'XML refused: A DOCTYPE is not allowed.' }],
    [
      'E36: an entity bomb (billion laughs)',
      'entityBomb',
      { ok: false, cause: 'malformed', detail: 'XML refused: A DOCTYPE is not allowed.' },
    ],
    ['E36: a reply that declares 100 MB', 'hugeDeclared', { ok: false, cause: 'malformed', detail: 'the reply is over 65536 bytes' }],
    ['E36: headers, then silence', 'neverEnds', { ok: false, cause: 'unavailable', detail: 'no complete reply within 1000 ms' }],
    [
      'E36: a slow drip, one byte every 100 ms forever',
      'drip',
      { ok: false, cause: 'unavailable', detail: 'no complete reply within 1000 ms' },
    ],
    ['E36: a redirect (not followed)', 'redirect', { ok: false, cause: 'unavailable', detail: 'redirect refused' }],
    ['E36: HTTP 500', 'serverError', { ok: false, cause: 'unavailable', detail: 'HTTP 500' }],
    ['E36: `authenticated` in the wrong case', 'wrongCase', { ok: false, cause: 'rejected', detail: 'status authenticated' }],
    [
      'E36: `Authenticated` in a response element of another namespace',
      'foreignResponse',
      { ok: false, cause: 'malformed', detail: 'no LJAuthenticateResponse' },
    ],
    [
      'E36: `Authenticated` in a Status element of another namespace',
      'foreignStatus',
      { ok: false, cause: 'malformed', detail: 'no Status in the reply' },
    ],
    ['E36: a SOAP Fault in a 200 reply', 'fault', { ok: false, cause: 'rejected', detail: 'fault: soapenv:Server' }],
    ['E36: a reply that is not XML', 'notXml', { ok: false, cause: 'malformed', detail: 'the reply is not well-formed XML' }],
    ['E36: an empty 200 reply', 'empty', { ok: false, cause: 'malformed', detail: 'an empty reply' }],
  ];
  for (const [name, behaviour, expected] of cases) {
    test(`${name} fails the check`, async () => {
      assert.deepEqual(await misbehaving(behaviour), expected);
    });
  }

  test('E36: a 100 MB reply: the client stops reading at 64 KiB and drops the connection', async () => {
    assert.deepEqual(await misbehaving('huge'), { ok: false, cause: 'malformed', detail: 'the reply is over 65536 bytes' });
    const written = await eventually(() => service.hugeWrittenAtClose(), { timeoutMs: 5000, what: 'the reply ended' });
    assert.ok(written < HUGE_REPLY_BYTES / 10, `the server wrote ${written} bytes before the client went away`);
  });

  /** checkAt on a server of its own, stopped afterwards. */
  async function checkOnce(
    server: { connections(): Promise<number>; stop(): Promise<void> },
    url: string,
    settings: Partial<WebServiceSettings> = {},
  ): Promise<SourceAnswer> {
    try {
      return await checkAt(url, () => server.connections(), settings);
    } finally {
      await server.stop();
    }
  }

  test('E36: a certificate of another CA is refused', async () => {
    const other = await startMisbehavingService((await openTestCa()).server);
    assert.deepEqual(await checkOnce(other, other.url('ok')), {
      ok: false,
      cause: 'unavailable',
      detail: 'TLS: certificate not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    });
  });

  test('E36: a certificate of the trusted CA for another host name is refused', async () => {
    const other = await startMisbehavingService(await ca.identityFor('elsewhere.example.test'));
    assert.deepEqual(await checkOnce(other, other.url('ok')), {
      ok: false,
      cause: 'unavailable',
      detail: 'TLS: the certificate does not name the host (ERR_TLS_CERT_ALTNAME_INVALID)',
    });
  });

  test('E36: a server that never completes the TLS handshake fails at the connect timeout', async () => {
    const silent = await startSilentListener();
    assert.deepEqual(await checkOnce(silent, silent.url, { timeoutMs: 4000 }), {
      ok: false,
      cause: 'unavailable',
      detail: 'no TLS connection within 500 ms',
    });
  });

  test('E36: a closed port is unavailable at once', async () => {
    const answer = await checkAt(await closedPortUrl(), () => Promise.resolve(0));
    assert.deepEqual(answer, { ok: false, cause: 'unavailable', detail: 'connection refused' });
  });

  test('E36: a plain http:// URL is refused without a connection', async () => {
    const answer = await checkAt(service.url('ok').replace('https:', 'http:'), () => service.connections());
    assert.deepEqual(answer, { ok: false, cause: 'unavailable', detail: 'plain HTTP is not allowed' });
  });

  test('E36: a pass-through reply with a DOCTYPE is malformed too', async () => {
    const { source } = sourceAt(service.url('doctype'), { caPem: ca.caPem, connectTimeoutMs: 500, timeoutMs: 1000 });
    const check = { sessionId: 'session-of-alice', loginId: 'alice', originatingDomain: 'crm.example.test', originatingIp: BROWSER_IP };
    assert.deepEqual(await source.checkPassThrough(check), {
      ok: false,
      cause: 'malformed',
      detail: 'XML refused: A DOCTYPE is not allowed.',
    });
    await source.close();
  });

  test('close() ends a call in flight at once', async () => {
    const { source } = sourceAt(service.url('neverEnds'), { caPem: ca.caPem, connectTimeoutMs: 500, timeoutMs: 60_000 });
    const pending = source.checkPassword({ login: 'alice', password: PASSWORD, originatingIp: BROWSER_IP });
    await eventually(async () => (await service.connections()) === 1, { timeoutMs: 5000, what: 'the call connected' });
    await source.close();
    assert.deepEqual(await pending, { ok: false, cause: 'unavailable', detail: 'the source was closed' });
    await eventually(async () => (await service.connections()) === 0, { timeoutMs: 5000, what: 'the server holds no connection' });
  });
});
