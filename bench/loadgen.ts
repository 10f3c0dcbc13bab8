// The load generator, run in its own process (forked by run.ts) so that it never shares an event
// loop with the server it measures. Each stream opens its keep-alive connections first, then
// sends for warm-up plus duration and measures only after the warm-up. A request of a stream is one
// iteration of its workload: one HTTP request, or the steps of one browser sign-in on the same
// connection (the sign-in page's GET and POST; SAML's AuthnRequest and the signed response), timed
// and counted as one.
//
// Two modes per stream: closed (each connection sends its next request as soon as the reply
// arrives: throughput) and fixed rate (requests are due at start + k/rate whether or not the
// server keeps up, and latency counts from when a request was due, not from when a connection
// became free to send it: no coordinated omission).
import { randomInt } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { Histogram } from './histogram.js';
import { Connection, requestBytes, type Reply } from './http1.js';
import {
  BENCH_BASE_URL,
  BENCH_IDP,
  BENCH_PASSWORD,
  BENCH_RECEIVER,
  BENCH_RETURN_URL,
  SOAP12_CONTENT_TYPE,
  cookieFor,
  loginFor,
  sessionIdFor,
  soapRequest,
  userIdFor,
  type BenchIdentityProvider,
  type FromGenerator,
  type Job,
  type Stream,
  type StreamResult,
  type ToGenerator,
  type Workload,
} from './protocol.js';
import { defined } from '../test/helpers/defined.js';
import { signedResponse } from '../test/helpers/samlResponses.js';

const DRAIN_MS = 10_000;
const RECONNECT_PAUSE_MS = 50;
const SOAP_HEADERS = { 'Content-Type': SOAP12_CONTENT_TYPE };

/** GETs of a relay path with the relay cookie of a uniformly random seeded session. */
function relayGet(path: string, workload: { readonly salt: string; readonly population: number }): () => Buffer {
  return () => requestBytes('GET', path, { Cookie: `sid=${cookieFor(workload.salt, randomInt(workload.population))}` }, null);
}

/** One iteration of a workload on a connection, resolving with its last reply: one request, or the steps of a browser's sign-in. */
type Iteration = (connection: Connection) => Promise<Reply>;

const FORM_HEADERS = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** A request of its own per iteration. */
function single(make: () => Buffer): Iteration {
  return (connection) => connection.send(make());
}

/** The value of the first `name=` cookie that the reply sets, or null. */
function cookieSet(reply: Reply, name: string): string | null {
  return new RegExp(`\r\nset-cookie: ${name}=([^;\r]*)`, 'i').exec(reply.text)?.[1] ?? null;
}

/** The reply's Location header, or null. */
function locationOf(reply: Reply): string | null {
  return /\r\nlocation: *([^\r]+)/i.exec(reply.text)?.[1] ?? null;
}

/**
 * A browser without cookies at ssod's sign-in page: the form (the CSRF code in it, the cookie it is
 * bound to), then its answer as a browser posts it, with the Fetch Metadata and the `Origin: null` a
 * browser sends under `Referrer-Policy: no-referrer`. An unexpected reply of the first step ends
 * the iteration as its reply (an error).
 */
function signInPage(salt: string, population: number): Iteration {
  const form = requestBytes('GET', `/login?url=${encodeURIComponent(BENCH_RETURN_URL)}`, {}, null);
  return async (connection) => {
    const page = await connection.send(form);
    const cookie = cookieSet(page, 'ssod-login');
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (page.status !== 200 || cookie === null || csrf === undefined) return page;
    const fields = { csrf, url: BENCH_RETURN_URL, login: loginFor(salt, randomInt(population)), password: BENCH_PASSWORD };
    const headers = { ...FORM_HEADERS, Cookie: `ssod-login=${cookie}`, Origin: 'null', 'Sec-Fetch-Site': 'same-origin' };
    return connection.send(requestBytes('POST', '/login', headers, new URLSearchParams(fields).toString()));
  };
}

/**
 * A SAML sign-in, SP-initiated, with the load generator in the identity provider's place: ssod's
 * AuthnRequest (GET /saml/login), read from the redirect to the identity provider as an IdP reads
 * it (HTTP-Redirect binding: raw DEFLATE, base64); a response to it signed with the IdP's key by
 * xml-crypto, as the tests sign theirs, naming a random seeded user; and the browser's POST of it
 * with the RelayState to the assertion consumer service. An unexpected reply of the first step ends
 * the iteration as its reply (an error).
 */
function samlSignIn(salt: string, population: number, idp: BenchIdentityProvider): Iteration {
  const start = requestBytes(
    'GET',
    `/saml/login?${new URLSearchParams({ idp: BENCH_IDP.name, url: BENCH_RETURN_URL }).toString()}`,
    {},
    null,
  );
  const key = { keyPem: idp.keyPem, certificatePem: idp.certificatePem };
  const acsPath = new URL(idp.acsUrl).pathname;
  const headers = { ...FORM_HEADERS, Origin: new URL(BENCH_IDP.issuer).origin, 'Sec-Fetch-Site': 'cross-site' };
  return async (connection) => {
    const toIdp = await connection.send(start);
    const location = locationOf(toIdp);
    if (toIdp.status !== 302 || location === null) return toIdp;
    const query = new URL(location).searchParams;
    const request = inflateRawSync(Buffer.from(query.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
    const requestId = / ID="([^"]+)"/.exec(request)?.[1];
    if (requestId === undefined) return { status: 0, text: `no AuthnRequest ID in ${location.slice(0, 300)}` };
    const samlResponse = signedResponse(
      {
        issuer: BENCH_IDP.issuer,
        destination: idp.acsUrl,
        recipient: idp.acsUrl,
        audience: idp.entityId,
        inResponseTo: requestId,
        nameId: userIdFor(salt, randomInt(population)),
      },
      key,
    );
    const form = new URLSearchParams({ SAMLResponse: samlResponse, RelayState: query.get('RelayState') ?? '' }).toString();
    return connection.send(requestBytes('POST', acsPath, headers, form));
  };
}

/** The iteration of a workload. */
function iterationOf(workload: Workload): Iteration {
  const soap = (operation: string, fields: Record<string, string>): Buffer =>
    requestBytes('POST', '/soap', SOAP_HEADERS, soapRequest(operation, fields));
  switch (workload.kind) {
    case 'verifySession':
      return single(() => soap('verifySession', { sessionId: sessionIdFor(workload.salt, randomInt(workload.population)) }));
    case 'authenticate':
      return single(() =>
        soap('authenticate', {
          login: loginFor(workload.salt, randomInt(workload.population)),
          password: BENCH_PASSWORD,
          baseUrl: BENCH_BASE_URL,
        }),
      );
    case 'createUser': {
      let next = 0;
      return single(() => soap('createUser', { login: `${workload.prefix}-${(next += 1)}@bench.example`, password: BENCH_PASSWORD }));
    }
    case 'relayGetSession':
      return single(relayGet(`/relay?url=${encodeURIComponent(BENCH_RETURN_URL)}`, workload));
    case 'relayTicket':
      return single(relayGet(`/relay/ticket?receiver=${BENCH_RECEIVER.name}&url=${encodeURIComponent(BENCH_RECEIVER.page)}`, workload));
    case 'signinPage':
      return signInPage(workload.salt, workload.population);
    case 'samlAcs':
      return samlSignIn(workload.salt, workload.population, workload.idp);
  }
}

interface Window {
  readonly measureFrom: number;
  readonly sendUntil: number;
}

class StreamRun {
  readonly #stream: Stream;
  readonly #job: Job;
  readonly #iteration: Iteration;
  readonly #histogram = new Histogram();
  #sent = 0;
  #good = 0;
  #errors = 0;
  #firstError: string | undefined;
  #tls = '';
  /** Every connection this stream opened, replacements included, so that all are closed at the end. */
  readonly #opened = new Set<Connection>();

  constructor(stream: Stream, job: Job) {
    this.#stream = stream;
    this.#job = job;
    this.#iteration = iterationOf(stream.workload);
  }

  #connect(): Connection {
    const connection = new Connection(this.#stream.host, this.#stream.port, this.#stream.tls, this.#stream.localAddress);
    this.#opened.add(connection);
    return connection;
  }

  closeAll(): void {
    for (const connection of this.#opened) connection.close();
  }

  /**
   * Opens the stream's connections. The server may close some at once (one source beyond
   * --max-connections-per-source, as in the flood): those fail on their first send, are counted as
   * errors and reconnect as any broken connection does. None opening at all is a failed run.
   */
  async open(): Promise<Connection[]> {
    const connections = Array.from({ length: this.#stream.connections }, () => this.#connect());
    const opened = await Promise.allSettled(connections.map((c) => c.ready));
    const first = opened.findIndex((outcome) => outcome.status === 'fulfilled');
    if (first < 0) {
      const [failure] = opened;
      throw failure?.status === 'rejected' && failure.reason instanceof Error ? failure.reason : new Error('no connection opened');
    }
    this.#tls = connections[first]?.describe() ?? '';
    return connections;
  }

  /** Runs one iteration on `connection` (or a replacement when it broke) and records it when `measured`. */
  async #exchange(connection: Connection, dueAt: number, measured: () => boolean): Promise<Connection> {
    this.#sent += 1;
    let reply: Reply | Error;
    try {
      reply = await this.#iteration(connection);
    } catch (error) {
      reply = error instanceof Error ? error : new Error(String(error));
    }
    const latency = performance.now() - dueAt;
    const ok = !(reply instanceof Error) && reply.status === this.#stream.status && reply.text.includes(this.#stream.expect);
    if (measured()) {
      this.#histogram.record(latency);
      if (ok) this.#good += 1;
      else this.#errors += 1;
    }
    if (!ok) this.#firstError ??= reply instanceof Error ? reply.message : reply.text.slice(0, 600);
    if (!(reply instanceof Error)) return connection;
    connection.close();
    const fresh = this.#connect();
    try {
      await fresh.ready;
    } catch {
      // The server refuses connections (it may be going down): the next send on this closed
      // connection fails at once and is counted, and the reconnects are paced.
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_PAUSE_MS));
    }
    return fresh;
  }

  /** Closed loop: every connection sends again as soon as it has its reply. */
  async runClosed(connections: Connection[], window: Window): Promise<void> {
    await Promise.all(
      connections.map(async (first) => {
        let connection = first;
        while (performance.now() < window.sendUntil && this.#sent < this.#job.maxRequests) {
          const sentAt = performance.now();
          connection = await this.#exchange(connection, sentAt, () => {
            const now = performance.now();
            return now >= window.measureFrom && now < window.sendUntil;
          });
        }
      }),
    );
  }

  /** Open loop at a fixed rate: a request is due every 1/rate s; a free connection takes the oldest due one. */
  async runFixedRate(connections: Connection[], window: Window, rate: number, startedAt: number): Promise<void> {
    const due: number[] = [];
    let scheduled = 0;
    let dueHead = 0;
    const idle: Connection[] = [...connections];
    const inFlight = new Set<Promise<void>>();
    const dispatch = (): void => {
      for (let dueAt = due[dueHead]; dueAt !== undefined && idle.length > 0; dueAt = due[dueHead]) {
        const connection = defined(idle.pop(), 'an idle connection');
        dueHead += 1;
        const exchange = this.#exchange(connection, dueAt, () => dueAt >= window.measureFrom && dueAt < window.sendUntil).then((next) => {
          inFlight.delete(exchange);
          idle.push(next);
          dispatch();
        });
        inFlight.add(exchange);
      }
    };
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = Math.min(performance.now(), window.sendUntil);
        while (scheduled < this.#job.maxRequests) {
          const dueAt = startedAt + (scheduled * 1000) / rate;
          if (dueAt > now) break;
          due.push(dueAt);
          scheduled += 1;
        }
        dispatch();
        if (performance.now() >= window.sendUntil || scheduled >= this.#job.maxRequests) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    // Requests that were due but not yet sent when the window closed are never sent; those in
    // the window are counted as errors below, as a server that fell behind would deserve.
    const unsent = due.slice(dueHead).filter((dueAt) => dueAt >= window.measureFrom).length;
    this.#errors += unsent;
    if (unsent > 0) this.#firstError ??= `${unsent} requests were still waiting for a free connection when the window closed`;
    await Promise.all(inFlight);
  }

  result(durationMs: number): StreamResult {
    const h = this.#histogram;
    return {
      name: this.#stream.name,
      requests: this.#good + this.#errors,
      errors: this.#errors,
      throughput: Math.round((this.#good * 1000) / durationMs),
      p50: h.percentile(50),
      p99: h.percentile(99),
      p999: h.percentile(99.9),
      max: h.max,
      ...(this.#stream.rate === undefined ? {} : { rate: this.#stream.rate }),
      tls: this.#tls,
      ...(this.#firstError === undefined ? {} : { firstError: this.#firstError }),
    };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Runs every stream of the job at once and returns one result per stream. */
export async function runJob(job: Job): Promise<StreamResult[]> {
  const runs = job.streams.map((stream) => new StreamRun(stream, job));
  let connections: Connection[][];
  try {
    connections = await Promise.all(runs.map((run) => run.open()));
  } catch (error) {
    for (const run of runs) run.closeAll();
    throw error;
  }
  const startedAt = performance.now();
  const window: Window = { measureFrom: startedAt + job.warmupMs, sendUntil: startedAt + job.warmupMs + job.durationMs };
  const done = Promise.all(
    runs.map((run, index) => {
      const { rate } = defined(job.streams[index], `stream ${index}`);
      const ours = defined(connections[index], `the connections of stream ${index}`);
      return rate === undefined ? run.runClosed(ours, window) : run.runFixedRate(ours, window, rate, startedAt);
    }),
  );
  const outcome = await withTimeout(done, job.warmupMs + job.durationMs + DRAIN_MS);
  for (const run of runs) run.closeAll();
  if (outcome === 'timeout') throw new Error('the server did not answer the last requests within 10 s of the end of the run');
  return runs.map((run) => run.result(job.durationMs));
}

// As a forked child: wait for jobs from the orchestrator.
if (process.send !== undefined) {
  process.once('disconnect', () => process.exit(0)); // the orchestrator is gone
  const reply = (message: FromGenerator): void => {
    process.send?.(message);
  };
  process.on('message', (message: ToGenerator) => {
    if (message.type === 'exit') process.exit(0);
    runJob(message.job).then(
      (results) => reply({ type: 'result', results }),
      (error: unknown) => reply({ type: 'failed', error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
