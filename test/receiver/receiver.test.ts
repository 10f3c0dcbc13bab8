// `ssod receiver` as an operator runs it (dist/src/app/main.js receiver …, a child process) in front
// of a tiny upstream: tickets become its cookie, requests are proxied with the user in the headers
// and forged ones stripped, logout works, SIGTERM stops it, bad settings are one line and exit 2.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { openTestCa, type TestCa } from '../helpers/testCa.js';
import {
  ISSUER,
  keySetOf,
  serveKeySet,
  signLogoutToken,
  signTicket,
  testKey,
  type KeySetServer,
  type TestKey,
} from '../helpers/ticketSigner.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-receiver-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

describe('ssod receiver in front of an upstream', () => {
  let ca: TestCa;
  let key: TestKey;
  let keySet: KeySetServer;
  let upstream: http.Server;
  let upstreamUrl: string;
  const seen: Seen[] = [];
  let child: ChildProcess;
  let output = '';
  let port = 0;

  /** A request to the receiver over HTTPS, trusting the test CA. */
  function send(
    target: string,
    { method = 'GET', headers = {}, body }: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: target, method, ca: ca.caPem, headers: { 'Sec-Fetch-Mode': 'navigate', ...headers } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async function cookieFor(ticket: string): Promise<string> {
    const answer = await send(`/.ssod/ticket?${new URLSearchParams({ ticket, next: 'https://apps.example.de/' }).toString()}`);
    assert.equal(answer.status, 302);
    const cookie = (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('SSOD_TICKET='));
    assert.ok(cookie !== undefined, output);
    return cookie.split(';')[0] ?? '';
  }

  before(async () => {
    ca = await openTestCa();
    key = await testKey();
    keySet = await serveKeySet(ca.server, keySetOf(key));
    upstream = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(201, { 'Content-Type': 'text/plain', 'X-Upstream': 'yes', Connection: 'close' });
        res.end(`upstream saw ${req.url ?? ''}`);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const args = [
      CLI,
      'receiver',
      '--name',
      'billing-de',
      '--domain',
      'example.de',
      '--public-origin',
      'https://apps.example.de',
      '--ssod-url',
      ISSUER,
      '--keys-url',
      keySet.url,
      '--ca-file',
      file('ca.pem', ca.caPem),
      '--tls-cert-file',
      file('tls.crt', ca.server.cert),
      '--tls-key-file',
      file('tls.key', ca.server.key),
      '--port',
      '0',
      '--state-dir',
      path.join(dir, 'state'),
      '--upstream',
      upstreamUrl,
    ];
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    port = await eventually(
      () => {
        if (child.exitCode !== null) throw new Error(`ssod receiver exited: ${output}`);
        const match = /listening on https:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        return match === null ? false : Number(match[1]);
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  });

  after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    upstream.closeAllConnections();
    upstream.close();
    await keySet.close();
  });

  test('a valid cookie: the upstream gets X-SSOD-User-Id and X-SSOD-Login, never the ones the browser forged, nor the ticket cookie', async () => {
    const cookie = await cookieFor(await signTicket(key, { login: 'jürgen' }));
    const answer = await send('/app/page?q=1', {
      headers: {
        Cookie: `${cookie}; theme=dark`,
        'X-SSOD-User-Id': 'admin',
        'x-ssod-login': 'root',
        'X-SSOD-Anything': 'forged',
        Connection: 'keep-alive, X-Hop',
        'X-Hop': 'only for the receiver',
      },
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.body, 'upstream saw /app/page?q=1');
    assert.equal(answer.headers['x-upstream'], 'yes');
    const got = seen.at(-1)?.headers ?? {};
    assert.equal(got['x-ssod-user-id'], 'user-1');
    assert.equal(got['x-ssod-login'], 'j%C3%BCrgen');
    assert.equal(got['x-ssod-anything'], undefined);
    assert.equal(got['x-hop'], undefined);
    assert.equal(got.cookie, 'theme=dark');
  });

  test('without a cookie a navigation asks ssod once; then it passes on anonymously, forged headers stripped', async () => {
    const asking = await send('/app/page');
    assert.equal(asking.status, 302);
    assert.match(
      asking.headers.location ?? '',
      /^https:\/\/sso\.example\.com:1180\/relay\/ticket\?receiver=billing-de&url=https%3A%2F%2Fapps\.example\.de%2Fapp%2Fpage$/,
    );
    const anonymous = await send('/app/page', { headers: { Cookie: 'SSOD_TICKET_ASKED=1', 'X-SSOD-User-Id': 'admin' } });
    assert.equal(anonymous.status, 201);
    assert.equal(seen.at(-1)?.headers['x-ssod-user-id'], undefined);
  });

  test('a request body is streamed to the upstream; one declared larger than the limit is 413', async () => {
    const posted = await send('/form', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'Sec-Fetch-Mode': 'cors' },
      body: 'x'.repeat(100_000),
    });
    assert.equal(posted.status, 201);
    assert.equal(seen.at(-1)?.body.length, 100_000);
    const large = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/form',
          method: 'POST',
          ca: ca.caPem,
          headers: { 'Content-Length': String(20 * 1024 * 1024), 'Sec-Fetch-Mode': 'cors' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.write('x');
    });
    assert.equal(large, 413);
  });

  test('E35: after a logout token the cookie no longer passes a user on to the upstream', async () => {
    const cookie = await cookieFor(await signTicket(key, { sid: 'cmd-session' }));
    await send('/who', { headers: { Cookie: cookie } });
    assert.equal(seen.at(-1)?.headers['x-ssod-user-id'], 'user-1');
    const logout = await send('/.ssod/logout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: await signLogoutToken(key, { sid: 'cmd-session' }) }).toString(),
    });
    assert.equal(logout.status, 204);
    await send('/who', { headers: { Cookie: `${cookie}; SSOD_TICKET_ASKED=1` } });
    assert.equal(seen.at(-1)?.headers['x-ssod-user-id'], undefined);
  });

  test('SIGTERM stops it with exit status 0', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('ssod receiver settings', () => {
  test('a missing or invalid setting is one line and exit status 2', async () => {
    const base = [
      'receiver',
      '--name',
      'billing-de',
      '--public-origin',
      'https://apps.example.de',
      '--ssod-url',
      ISSUER,
      '--state-dir',
      path.join(dir, 's2'),
    ];
    const cases: [string[], RegExp][] = [
      [base, /--domain is required/],
      [[...base, '--domain', 'example.de', '--keys-url', 'http://sso.example.com/tickets/keys'], /must be https/],
      [
        [...base, '--domain', 'example.de', '--tls-cert-file', path.join(dir, 'missing.crt'), '--tls-key-file', 'x'],
        /cannot read --tls-cert-file .*ENOENT/,
      ],
      [
        [...base, '--domain', 'localhost', '--tls-cert-file', file('a.crt', 'x'), '--tls-key-file', file('a.key', 'x')],
        /at least two labels/,
      ],
      [
        [...base, '--domain', 'example.de', '--tls-cert-file', file('c.crt', 'x'), '--tls-key-file', file('c.key', 'x'), '--port', 'http'],
        /--port "http" must be a port number/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, /^ssod: .*; run `ssod receiver --help`/);
    }
  });

  test('settings come from SSOD_RECEIVER_* variables too', async () => {
    const args = ['receiver', '--name', 'billing-de', '--public-origin', 'https://apps.example.de', '--ssod-url', ISSUER];
    const files = ['--tls-cert-file', file('b.crt', 'x'), '--tls-key-file', file('b.key', 'x'), '--state-dir', path.join(dir, 's3')];
    const result = await runCli([...args, ...files], { env: { SSOD_RECEIVER_DOMAIN: 'localhost' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /the domain "localhost" must be/);
  });
});
