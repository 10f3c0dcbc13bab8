// Issue 5, hostile input everywhere: generated and mutated envelopes at the SOAP endpoint and
// mutated query strings and cookies at the relay. Every one gets a fault or a 4xx, never an
// unexpected error (sso:internalError), never a hang, and the server keeps answering.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { call, registerApp, startTestServer, type Credentials, type HttpReply, type TestServer } from '../helpers/server.js';

const VECTORS = fileURLToPath(new URL('../../../test/vectors/003/', import.meta.url));
const SEEDS = readdirSync(VECTORS)
  .filter((name) => name.endsWith('.xml'))
  .map((name) => readFileSync(VECTORS + name, 'utf8'));
// FUZZ_RUNS raises the count for a longer local campaign; CI keeps it short.
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const REQUEST_TIMEOUT_MS = 5000;

// Fragments that have broken XML and SOAP stacks before.
const HOSTILE = [
  '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
  '<!ENTITY % p SYSTEM "file:///etc/passwd">',
  '&a;',
  '&#0;',
  '&#x41;',
  ']]>',
  '<![CDATA[',
  '<?xml-stylesheet href="x"?>',
  '<!-- -- -->',
  '\u0000',
  '\uFFFE',
  '\uD800',
  '<__proto__>',
  '<sso:constructor/>',
  '</env:Body>',
  '<env:Body>',
  'xmlns:sso="urn:other"',
  '<' .repeat(40),
  '"\'',
  'ssosid=',
];

/** An envelope from 003's examples with a few random edits. */
const mutatedEnvelope = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12, unit: 'binary' }))),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([seed, edits]) =>
    edits.reduce((text, [at, cut, insert]) => {
      const position = at % (text.length + 1);
      return text.slice(0, position) + insert + text.slice(Math.min(text.length, position + cut));
    }, seed),
  );

function post(ts: TestServer, agent: https.Agent, body: string, contentType: string, credentials?: Credentials): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: ts.soapPort, path: '/soap', method: 'POST', ca: ts.caPem, agent, ...credentials, headers: { 'Content-Type': contentType }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request hung')));
    req.on('error', reject);
    req.end(body);
  });
}

function relay(ts: TestServer, agent: http.Agent, path: string, cookie: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ts.relayPort, path, agent, headers: { Cookie: cookie }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('request hung')));
    req.on('error', reject);
    req.end();
  });
}

describe('fuzzing', () => {
  let ts: TestServer;
  let app: { credentials: Credentials };
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  const relayAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  before(async () => {
    ts = await startTestServer({ logLevel: 'warn' });
    app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(async () => {
    agent.destroy();
    relayAgent.destroy();
    await ts.close();
  });

  test('mutated 003 envelopes get a SOAP fault or a 4xx, never internalError (ATTACKS A1-A10)', async () => {
    const before = process.memoryUsage().rss;
    await fc.assert(
      fc.asyncProperty(mutatedEnvelope, fc.boolean(), fc.constantFrom('application/soap+xml', 'text/xml'), async (body, asApp, contentType) => {
        const reply = await post(ts, agent, body, contentType, asApp ? app.credentials : undefined);
        assert.ok([200, 400, 413, 415, 500].includes(reply.status), `status ${reply.status}`);
        assert.doesNotMatch(reply.body, /internalError/, 'an unexpected error escaped the parser or the validator');
        if (reply.status >= 400) assert.ok(reply.status === 413 || reply.status === 415 || /Fault/.test(reply.body));
      }),
      { numRuns: RUNS },
    );
    assert.equal((await call(ts, 'getSettings')).status, 200, 'the server still answers');
    const grown = process.memoryUsage().rss - before;
    assert.ok(grown < 200 * 1024 * 1024, `RSS grew by ${Math.round(grown / 1048576)} MiB`);
  });

  test('random bytes as a body get a fault, never internalError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const reply = await post(ts, agent, Buffer.from(bytes).toString('latin1'), 'application/soap+xml');
        assert.ok([400, 413, 415, 500].includes(reply.status));
        assert.doesNotMatch(reply.body, /internalError/);
      }),
      { numRuns: RUNS },
    );
  });

  test('mutated relay queries and cookies get a redirect to a registered origin or a 400 (ATTACKS C16-C22)', async () => {
    const queryPart = fc.oneof(
      fc.constantFrom('url=', 'token=', '&', '=', '%', '%0d%0a', '%00', '\\', '//', '@', 'https%3A%2F%2Fpanel.example.com%3A8443%2F', 'javascript:', 'ssosid=x', '#', '?'),
      fc.string({ maxLength: 10 }).map(encodeURIComponent),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(queryPart, { maxLength: 12 }), fc.string({ maxLength: 60 }), async (parts, cookieJunk) => {
        const cookie = `sid=${cookieJunk.replace(/[^\x21-\x7e]/g, '')}`;
        const reply = await relay(ts, relayAgent, `/relay?${parts.join('')}`, cookie);
        assert.ok(reply.status === 302 || reply.status === 400, `status ${reply.status}`);
        if (reply.status === 302) {
          const location = reply.headers.location ?? '';
          assert.ok(/^https:\/\/panel\.example\.com:8443[/?#]|^https:\/\/panel\.example\.com:8443$/i.test(location), location);
          assert.ok(!/[\r\n]/.test(location));
        }
      }),
      { numRuns: RUNS },
    );
    assert.equal((await relay(ts, relayAgent, '/healthz', '')).status, 200);
  });
});
