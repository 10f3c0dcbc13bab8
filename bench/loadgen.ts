// The load generator, run in its own process (forked by run.ts) so that it never shares an event
// loop with the server it measures. Each stream opens its keep-alive connections first, then
// sends for warm-up plus duration and measures only after the warm-up.
//
// Two modes per stream: closed (each connection sends its next request as soon as the reply
// arrives: throughput) and fixed rate (requests are due at start + k/rate whether or not the
// server keeps up, and latency counts from when a request was due, not from when a connection
// became free to send it: no coordinated omission).
import { randomInt } from 'node:crypto';
import { Histogram } from './histogram.js';
import { Connection, requestBytes, type Reply } from './http1.js';
import {
  BENCH_BASE_URL,
  BENCH_PASSWORD,
  BENCH_RECEIVER,
  SOAP12_CONTENT_TYPE,
  cookieFor,
  loginFor,
  sessionIdFor,
  soapRequest,
  type FromGenerator,
  type Job,
  type Stream,
  type StreamResult,
  type ToGenerator,
  type Workload,
} from './protocol.js';
import { defined } from '../test/helpers/defined.js';

const DRAIN_MS = 10_000;
const RECONNECT_PAUSE_MS = 50;
const SOAP_HEADERS = { 'Content-Type': SOAP12_CONTENT_TYPE };

/** GETs of a relay path with the relay cookie of a uniformly random seeded session. */
function relayGet(path: string, workload: { readonly salt: string; readonly population: number }): () => Buffer {
  return () => requestBytes('GET', path, { Cookie: `sid=${cookieFor(workload.salt, randomInt(workload.population))}` }, null);
}

/** A function that makes the next request of a workload. */
function requestMaker(workload: Workload): () => Buffer {
  const soap = (operation: string, fields: Record<string, string>): Buffer =>
    requestBytes('POST', '/soap', SOAP_HEADERS, soapRequest(operation, fields));
  switch (workload.kind) {
    case 'verifySession':
      return () => soap('verifySession', { sessionId: sessionIdFor(workload.salt, randomInt(workload.population)) });
    case 'authenticate':
      return () =>
        soap('authenticate', {
          login: loginFor(workload.salt, randomInt(workload.population)),
          password: BENCH_PASSWORD,
          baseUrl: BENCH_BASE_URL,
        });
    case 'createUser': {
      let next = 0;
      return () => soap('createUser', { login: `${workload.prefix}-${(next += 1)}@bench.example`, password: BENCH_PASSWORD });
    }
    case 'relayGetSession':
      return relayGet(`/relay?url=${encodeURIComponent(`${BENCH_BASE_URL}home`)}`, workload);
    case 'relayTicket':
      return relayGet(`/relay/ticket?receiver=${BENCH_RECEIVER.name}&url=${encodeURIComponent(BENCH_RECEIVER.page)}`, workload);
  }
}

interface Window {
  readonly measureFrom: number;
  readonly sendUntil: number;
}

class StreamRun {
  readonly #stream: Stream;
  readonly #job: Job;
  readonly #make: () => Buffer;
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
    this.#make = requestMaker(stream.workload);
  }

  #connect(): Connection {
    const connection = new Connection(this.#stream.host, this.#stream.port, this.#stream.tls, this.#stream.localAddress);
    this.#opened.add(connection);
    return connection;
  }

  closeAll(): void {
    for (const connection of this.#opened) connection.close();
  }

  async open(): Promise<Connection[]> {
    const connections = Array.from({ length: this.#stream.connections }, () => this.#connect());
    await Promise.all(connections.map((c) => c.ready));
    this.#tls = connections[0]?.describe() ?? '';
    return connections;
  }

  /** Sends one request on `connection` (or a replacement when it broke) and records it when `measured`. */
  async #exchange(connection: Connection, dueAt: number, measured: () => boolean): Promise<Connection> {
    this.#sent += 1;
    let reply: Reply | Error;
    try {
      reply = await connection.send(this.#make());
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
