// Issue 5, hostile input everywhere: generated and mutated envelopes at the SOAP endpoint and
// mutated query strings and cookies at the relay. Every one gets a fault or a 4xx, never an
// unexpected error (sso:internalError), never a hang, and the server keeps answering.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { ALL_OPERATIONS } from '../../src/adapters/soap/operations/index.js';
import {
  call,
  escapeXml,
  registerApp,
  SOAP11_NS,
  SOAP12_NS,
  SSO_NS,
  SSOX_NS,
  startTestServer,
  type Credentials,
  type HttpReply,
  type TestServer,
} from '../helpers/server.js';

const VECTORS = fileURLToPath(new URL('../../../test/vectors/protocol/', import.meta.url));
const SEEDS = readdirSync(VECTORS)
  .filter((name) => name.endsWith('.xml'))
  .map((name) => readFileSync(VECTORS + name, 'utf8'));
// FUZZ_RUNS raises the count for a longer local campaign; CI keeps it short.
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
// The memory test: requests before the first measurement (caches, pools, JIT), then the long run.
const WARM_UP = 300;
const LONG_RUN = Number(process.env.FUZZ_LONG_RUN ?? 2000);
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
  '<'.repeat(40),
  '"\'',
  'ssosid=',
];

/** An envelope from the protocol's examples with a few random edits. */
const mutatedEnvelope = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 12, unit: 'binary' }))), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([seed, edits]) =>
    edits.reduce((text, [at, cut, insert]) => {
      const position = at % (text.length + 1);
      return text.slice(0, position) + insert + text.slice(Math.min(text.length, position + cut));
    }, seed),
  );

/** Text a field may hold: ordinary, hostile, huge, or shaped like the ids and URLs the API takes. */
const fieldText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[a-z0-9.@-]{1,30}$/),
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.string({ maxLength: 20, unit: 'binary' }),
  fc.uuid().map((id) => (Math.random() < 0.5 ? id.toUpperCase() : id)),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.constantFrom(
    '',
    ' ',
    '\t\r\n',
    'javascript:alert(1)',
    'https://panel.example.com:8443/',
    '//evil.example.com/',
    'x'.repeat(70_000),
    'é'.repeat(300),
    '\u0000',
    '\uFFFF',
  ),
);

/** An element name: one the API knows, a prototype member, or anything a name can be. */
const elementName = fc.oneof(
  fc.constantFrom(...new Set(ALL_OPERATIONS.flatMap((operation) => operation.input.map((field) => field.name)))),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'),
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,30}$/),
);

/** Mostly `usual`, sometimes any of `others`: most envelopes reach an operation, some break the frame. */
function mostly<T>(usual: fc.Arbitrary<T>, others: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 5, arbitrary: usual }, { weight: 1, arbitrary: others });
}

/** The fields of an operation, each with generated text: a subset of its own, in any order. */
const fieldsOf = (names: readonly string[]): fc.Arbitrary<[string, string, boolean][]> =>
  fc
    .shuffledSubarray([...names])
    .chain((chosen) => fc.tuple(...chosen.map((name) => fc.tuple(fc.constant(name), fieldText, fc.constant(true)))));

const anyFields = fc.array(fc.tuple(elementName, fieldText, fc.boolean()), { maxLength: 8 });
const headerBlocks = mostly(
  fc.constant<[string, string][]>([]),
  fc.array(
    fc.tuple(elementName, fc.constantFrom('', ' mustUnderstand="1"', ' mustUnderstand="true"', ' mustUnderstand="0"', ' role="x"')),
    { maxLength: 2 },
  ),
);
const attributes = mostly(
  fc.constant<[string, string][]>([]),
  fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.string({ maxLength: 10 })), { maxLength: 3 }),
);
const otherContentType = fc.constantFrom(
  'text/xml; charset=utf-8',
  'application/soap+xml',
  'application/soap+xml; charset=iso-8859-1',
  'text/xml; action="x"',
);
const otherNamespace = fc.constantFrom('', 'urn:other', `${SSO_NS}/`, SSO_NS, SSOX_NS);

/**
 * A SOAP envelope generated from the operation table (the protocol's and the extensions', each in
 * its namespace): mostly one of its operations with a subset of its fields holding generated text;
 * sometimes another name or namespace, fields of any name, header blocks (some to be understood),
 * attributes, another prefix, and a Content-Type that may not match.
 * (One record per operation, built once: building arbitraries while generating is slow.)
 */
const generatedEnvelope = fc
  .oneof(
    ...ALL_OPERATIONS.map((operation) =>
      fc.record({
        version: fc.constantFrom('1.1', '1.2'),
        contentType: mostly(fc.constant('matching'), otherContentType),
        operation: mostly(fc.constant(operation.name), elementName),
        operationNs: mostly(fc.constant<string>(operation.namespace), otherNamespace),
        prefix: fc.constantFrom('sso', 'x', ''),
        fields: mostly(fieldsOf(operation.input.map((field) => field.name)), anyFields),
        headers: headerBlocks,
        attributes,
      }),
    ),
  )
  .map((g) => {
    const envNs = g.version === '1.2' ? SOAP12_NS : SOAP11_NS;
    const p = g.prefix === '' ? '' : `${g.prefix}:`;
    const nsDecl = g.prefix === '' ? `xmlns="${g.operationNs}"` : `xmlns:${g.prefix}="${g.operationNs}"`;
    const attrs = g.attributes.map(([name, value]) => ` ${name}="${escapeXml(value).replace(/"/g, '&quot;')}"`).join('');
    const fields = g.fields
      .map(([name, text, asElement]) => (asElement ? `<${p}${name}>${escapeXml(text)}</${p}${name}>` : `<${p}${name}/>`))
      .join('');
    const headers = g.headers
      .map(([name, extra]) => `<h:${name} xmlns:h="urn:h" xmlns:env="${envNs}"${extra.replace(/ (mustUnderstand|role)=/, ' env:$1=')}/>`)
      .join('');
    const header = g.headers.length > 0 ? `<env:Header>${headers}</env:Header>` : '';
    const body = `<env:Envelope xmlns:env="${envNs}">${header}<env:Body><${p}${g.operation} ${nsDecl}${attrs}>${fields}</${p}${g.operation}></env:Body></env:Envelope>`;
    const contentType =
      g.contentType === 'matching'
        ? g.version === '1.2'
          ? 'application/soap+xml; charset=utf-8'
          : 'text/xml; charset=utf-8'
        : g.contentType;
    return { body, contentType };
  });

function post(ts: TestServer, agent: https.Agent, body: string, contentType: string, credentials?: Credentials): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: ts.soapPort,
        path: '/soap',
        method: 'POST',
        ca: ts.caPem,
        agent,
        ...credentials,
        headers: { 'Content-Type': contentType },
        timeout: REQUEST_TIMEOUT_MS,
      },
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
    const req = http.request(
      { host: '127.0.0.1', port: ts.relayPort, path, agent, headers: { Cookie: cookie }, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request hung')));
    req.on('error', reject);
    req.end();
  });
}

/** What every SOAP answer must be: a known status, never an unexpected error, a fault whenever it is an error. */
function assertHandled(reply: HttpReply): void {
  assert.ok([200, 400, 413, 415, 500].includes(reply.status), `status ${reply.status}`);
  assert.doesNotMatch(reply.body, /internalError/, 'an unexpected error escaped the parser, the validator or an operation');
  if (reply.status >= 400 && reply.status !== 413 && reply.status !== 415) assert.match(reply.body, /Fault>/);
}

/** The heap after a full collection, in bytes. */
const collectGarbage = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

describe('fuzzing', () => {
  let ts: TestServer;
  let app: { credentials: Credentials };
  const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });
  const relayAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  before(async () => {
    // The subject is the input, not the hash: many envelopes reach createUser or authenticate.
    ts = await startTestServer({ logLevel: 'warn', argon2MemoryKib: 8192, argon2Iterations: 1 });
    app = await registerApp(ts, 'https://panel.example.com:8443/', 'panel');
  });
  after(async () => {
    agent.destroy();
    relayAgent.destroy();
    await ts.close();
  });

  test('mutated protocol envelopes get a SOAP fault or a 4xx, never internalError (A1-A10)', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedEnvelope,
        fc.boolean(),
        fc.constantFrom('application/soap+xml', 'text/xml'),
        async (body, asApp, contentType) => {
          assertHandled(await post(ts, agent, body, contentType, asApp ? app.credentials : undefined));
        },
      ),
      { numRuns: RUNS },
    );
    assert.equal((await call(ts, 'getSettings')).status, 200, 'the server still answers');
  });

  test('envelopes generated from the operation table get an answer or a fault, never internalError', async () => {
    await fc.assert(
      fc.asyncProperty(generatedEnvelope, fc.boolean(), async ({ body, contentType }, asApp) => {
        assertHandled(await post(ts, agent, body, contentType, asApp ? app.credentials : undefined));
      }),
      { numRuns: RUNS },
    );
    assert.equal((await call(ts, 'getSettings')).status, 200, 'the server still answers');
  });

  test('random bytes as a body get a fault, never internalError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (bytes) => {
        const reply = await post(ts, agent, Buffer.from(bytes).toString('latin1'), 'application/soap+xml');
        assert.ok([400, 413, 415, 500].includes(reply.status));
        assertHandled(reply);
      }),
      { numRuns: RUNS },
    );
  });

  test('mutated relay queries and cookies get a redirect to a registered origin or a 4xx (C16-C22)', async () => {
    const queryPart = fc.oneof(
      fc.constantFrom(
        'url=',
        'token=',
        '&',
        '=',
        '%',
        '%0d%0a',
        '%00',
        '\\',
        '//',
        '@',
        'https%3A%2F%2Fpanel.example.com%3A8443%2F',
        'javascript:',
        'ssosid=x',
        '#',
        '?',
      ),
      fc.string({ maxLength: 10 }).map(encodeURIComponent),
    );
    const cookieValue = fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 44 }), fc.constant('x'.repeat(4000)));
    const cookieHeader = fc
      .array(
        fc.tuple(fc.constantFrom('sid', 'sid', 'SID', ' sid', 'sid ', 'other', ''), fc.constantFrom('=', '=', '==', ''), cookieValue),
        { maxLength: 5 },
      )
      .chain((cookies) =>
        fc
          .constantFrom('; ', ';', ', ', ' ;')
          .map((separator) => cookies.map(([name, eq, value]) => `${name}${eq}${value}`).join(separator)),
      );
    await fc.assert(
      fc.asyncProperty(fc.array(queryPart, { maxLength: 12 }), cookieHeader, async (parts, cookie) => {
        const reply = await relay(ts, relayAgent, `/relay?${parts.join('')}`, cookie.replace(/[^\x20-\x7e]/g, ''));
        assert.ok(reply.status === 302 || reply.status === 400 || reply.status === 431, `status ${reply.status}`);
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

  test('memory stays bounded over a long run of hostile requests', async () => {
    // Mostly envelopes refused while parsing (cheap, so the run can be long), some that reach an operation.
    const mutated = mutatedEnvelope.map((body) => ({ body, contentType: 'application/soap+xml' }));
    const hostile = fc.sample(fc.oneof({ weight: 2, arbitrary: mutated }, { weight: 1, arbitrary: generatedEnvelope }), LONG_RUN + WARM_UP);
    const send = async (from: number, to: number): Promise<void> => {
      // Four at a time, as the agent allows.
      for (let i = from; i < to; i += 4) {
        await Promise.all(
          hostile
            .slice(i, Math.min(to, i + 4))
            .map(async ({ body, contentType }, j) =>
              assertHandled(await post(ts, agent, body, contentType, j % 2 === 0 ? app.credentials : undefined)),
            ),
        );
      }
    };
    await send(0, WARM_UP);
    const heapBefore = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;
    await send(WARM_UP, WARM_UP + LONG_RUN);
    const heapGrowth = heapAfterGc() - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
    // Generous: what matters is that the growth does not scale with the number of requests.
    assert.ok(heapGrowth < 16 * 1048576, `heap grew by ${mib(heapGrowth)} over ${LONG_RUN} requests`);
    assert.ok(rssGrowth < 128 * 1048576, `RSS grew by ${mib(rssGrowth)} over ${LONG_RUN} requests`);
    assert.equal((await call(ts, 'getSettings')).status, 200);
  });
});
