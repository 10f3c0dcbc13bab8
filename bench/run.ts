// `npm run bench`: measures ssod against the ceiling of this machine (docs/PERFORMANCE.md).
//
// For each store engine (bench/engines.ts) and population it seeds a fresh store straight into the
// database, measures the ceiling (a bare node:https server with ssod's TLS settings,
// bench/ceiling.ts), then starts the real `ssod serve` as its own process, once per worker count,
// and drives every scenario through the load generator (its own process, bench/loadgen.ts). Every
// ssod figure is put next to a figure measured side by side on the same machine: the ceiling's
// throughput, or the rate that the password hash alone allows.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveOptions } from '../src/config/options.js';
import { verifyPassword } from '../src/infra/hashing/pool.js';
import { passwordHasherFor } from '../src/app/compose.js';
import { verifySession } from '../src/adapters/soap/operations/verifySession.js';
import { serializeResponse } from '../src/adapters/soap/serialize.js';
import { benchEnginesFor, type BenchEngine, type BenchStore } from './engines.js';
import { dropBenchDatabases } from './postgres.js';
import { installBenchApplication } from './seed.js';
import { PeakSampler, cpuByProcess, cpuSince, freePort, startSsod, usageOf, type SsodProcess } from './processes.js';
import {
  BENCH_IDP,
  BENCH_PASSWORD,
  SOAP12_CONTENT_TYPE,
  type BenchIdentityProvider,
  type ClientTls,
  type FromCeiling,
  type FromGenerator,
  type Job,
  type Stream,
  type StreamResult,
  type Workload,
} from './protocol.js';
import { authenticateReference, markdownSummary } from './report.js';
import { measureSessionVariables, sessionVariablesSummary } from './session-variables.js';
import { measureTickets, ticketsSummary } from './tickets.js';
import { defined } from '../test/helpers/defined.js';
import { newSigningKey, type SigningKey } from '../test/helpers/samlResponses.js';

export const SCENARIOS = [
  'verifySession',
  'latency',
  'relay',
  'ticketHop',
  'authenticate',
  'signinPage',
  'samlAcs',
  'storm',
  'createUser',
  'flood',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  readonly durationMs: number;
  readonly warmupMs: number;
  /** Connections of the closed-loop verifySession, relay and ceiling runs. */
  readonly connections: number;
  /** Connections of the authenticate, signinPage, samlAcs and createUser runs (enough to keep every hashing thread busy). */
  readonly authConnections: number;
  readonly populations: readonly number[];
  readonly scenarios: readonly ScenarioName[];
  readonly workers: readonly number[];
  /** The `--store` value: sqlite, postgres, postgres://… or a comma-separated list of them, each run in turn. */
  readonly store: string;
  /**
   * The `--session-cache-ms` values to run each PostgreSQL store with, in turn, each its own engine
   * in the report (docs/PERFORMANCE.md): e.g. [1000, 0], the cache on and off in one run; null: ssod's default.
   */
  readonly sessionCacheMs: readonly number[] | null;
  /** verifySession requests per second during the login storm. */
  readonly stormRate: number;
  /** Requests per second of each of the two streams of the ticketHop scenario (relay get-session and the ticket hop). */
  readonly ticketRate: number;
  /** Connections of the source that floods authenticate in the flood scenario. */
  readonly floodConnections: number;
  readonly logLevel: string;
  /** Where the JSON results go; null: nowhere. */
  readonly out: string | null;
  /** Run ssod under `node --cpu-prof` and put the profiles here; null: no profiling. */
  readonly profileDir: string | null;
  readonly keepData: boolean;
  /** Another build's dist/src/app/main.js to measure instead of this one (before/after comparisons). */
  readonly cli: string | null;
  /** Extra node flags for ssod, e.g. --perf-basic-prof for `perf record`. */
  readonly nodeFlags: readonly string[];
  /** Progress lines; silent when null. */
  readonly progress: ((line: string) => void) | null;
}

export const DEFAULT_CONFIG: BenchConfig = {
  durationMs: 10_000,
  warmupMs: 2_000,
  connections: 16,
  authConnections: 8,
  populations: [1_000, 1_000_000],
  scenarios: SCENARIOS,
  workers: [1, 2],
  store: 'sqlite',
  sessionCacheMs: null,
  stormRate: 500,
  ticketRate: 200,
  floodConnections: 200,
  logLevel: 'info',
  out: null,
  profileDir: null,
  keepData: false,
  cli: null,
  nodeFlags: [],
  progress: (line) => console.log(line),
};

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Measured extends StreamResult {
  /** CPU the server (all its processes) used per second of the measured window. */
  readonly serverCores: number;
  /** Server CPU time per good reply, µs. */
  readonly serverCpuUsPerRequest: number;
  /**
   * CPU time of the database server's processes that serve ssod per good reply, µs: PostgreSQL's
   * backends when they run on this machine; 0 with SQLite, whose work is in the server's own CPU.
   */
  readonly databaseCpuUsPerRequest: number;
  /** Peak RSS of the server during the run, bytes. */
  readonly peakRss: number;
}

export interface WorkersResult {
  readonly workers: number;
  readonly startupMs: number;
  readonly rssIdle: number;
  readonly exitCode: number | null;
  readonly runs: Record<string, Measured>;
  /** Seeded sessions whose idle timer was renewed (a write) during the verifySession runs. */
  readonly renewals: number;
  /** The hash alone (hashRate), measured just before this server's authenticate run; null when not run. */
  readonly hashesPerSecond: number | null;
}

export interface PopulationResult {
  readonly population: number;
  readonly seedSeconds: number;
  /** Ceiling runs by worker count: before and after the ssod runs. */
  readonly ceiling: Record<string, Measured[]>;
  readonly ssod: WorkersResult[];
}

export interface EngineResult {
  readonly engine: BenchEngine['name'];
  /** The store as given, without a password. */
  readonly store: string;
  readonly populations: PopulationResult[];
}

export interface BenchResults {
  readonly date: string;
  readonly machine: Record<string, string | number>;
  readonly config: Omit<BenchConfig, 'progress'>;
  /** One entry per engine of `--store`, in its order. */
  readonly engines: EngineResult[];
  readonly totalSeconds: number;
}

function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    load1: Math.round(defined(os.loadavg()[0], 'the 1-minute load') * 100) / 100,
  };
}

/** The load generator process: one for the whole run. */
class Generator {
  readonly #child: ChildProcess;
  constructor() {
    this.#child = fork(path.join(HERE, 'loadgen.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('error', () => undefined); // a failed send rejects the run below
  }
  run(job: Job): Promise<StreamResult[]> {
    return new Promise((resolve, reject) => {
      const onExit = (): void => reject(new Error('the load generator exited'));
      this.#child.once('exit', onExit);
      this.#child.once('message', (message: FromGenerator) => {
        this.#child.off('exit', onExit);
        if (message.type === 'result') resolve(message.results);
        else reject(new Error(`load generator: ${message.error}`));
      });
      this.#child.send({ type: 'run', job }, (error) => {
        if (error !== null) reject(error);
      });
    });
  }
  close(): void {
    this.#child.kill();
  }
}

/** The processes whose CPU a measurement counts: the server's tree, and the database processes serving it (BenchStore.databasePids). */
interface Watched {
  readonly pid: number;
  readonly databasePids?: () => readonly number[];
}

/** Runs a job while watching the server's (and its database's) CPU time over the measured window and its peak RSS. */
async function measure(generator: Generator, job: Job, server: Watched): Promise<Measured[]> {
  const serverPid = server.pid;
  const sampler = new PeakSampler(serverPid);
  let cpuFrom = 0;
  let cpuTo = 0;
  let databaseFrom = new Map<number, number>();
  let databaseTo = new Map<number, number>();
  const from = setTimeout(() => {
    cpuFrom = usageOf(serverPid).cpu;
    databaseFrom = cpuByProcess(server.databasePids?.() ?? []);
  }, job.warmupMs);
  const to = setTimeout(() => {
    cpuTo = usageOf(serverPid).cpu;
    databaseTo = cpuByProcess(server.databasePids?.() ?? []);
  }, job.warmupMs + job.durationMs);
  try {
    const results = await generator.run(job);
    const cpu = Math.max(0, cpuTo - cpuFrom);
    const databaseCpu = Math.max(0, cpuSince(databaseFrom, databaseTo));
    const good = results.reduce((sum, r) => sum + r.throughput * (job.durationMs / 1000), 0);
    const perRequest = (seconds: number): number => (good === 0 ? 0 : Math.round((seconds * 1e6) / good));
    return results.map((result) => ({
      ...result,
      serverCores: round(cpu / (job.durationMs / 1000), 2),
      serverCpuUsPerRequest: perRequest(cpu),
      databaseCpuUsPerRequest: perRequest(databaseCpu),
      peakRss: 0,
    }));
  } finally {
    clearTimeout(from);
    clearTimeout(to);
    const peak = sampler.stop();
    peakOf.set(serverPid, peak);
  }
}
const peakOf = new Map<number, number>();

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function measureOne(generator: Generator, job: Job, server: Watched): Promise<Measured> {
  const [result] = await measure(generator, job, server);
  return { ...defined(result, 'the result of the stream'), peakRss: peakOf.get(server.pid) ?? 0 };
}

async function startCeiling(
  tls: { key: string; cert: string; ca: string },
  reply: string,
  workers: number,
  profileDir: string | null,
): Promise<{ child: ChildProcess; port: number }> {
  const execArgv = profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const child = fork(path.join(HERE, 'ceiling.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  const port = await freePort();
  const answer = await new Promise<FromCeiling>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', () => reject(new Error('the ceiling server exited')));
    child.send({ type: 'start', options: { ...tls, reply, contentType: SOAP12_CONTENT_TYPE, port, workers } });
  });
  if (answer.type === 'failed') throw new Error(`ceiling: ${answer.error}`);
  return { child, port: answer.port };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * argon2id verifications per second of the seeded hash with nothing else running, through ssod's
 * own hashing pool (src/infra/hashing/pool.ts: one low-priority thread per core), kept full.
 */
async function hashRate(passwordHash: string, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let done = 0;
  await Promise.all(
    Array.from({ length: 2 * os.availableParallelism() }, async () => {
      while (performance.now() < until) {
        await verifyPassword(passwordHash, BENCH_PASSWORD);
        done += 1;
      }
    }),
  );
  return Math.round((done * 1000) / ms);
}

interface Target {
  readonly host: string;
  readonly soapPort: number;
  readonly relayPort: number;
  readonly tls: ClientTls;
  readonly salt: string;
  readonly population: number;
}

/** Connections of each stream of the ticketHop scenario: enough for its fixed rate to stay open loop. */
const TICKET_HOP_CONNECTIONS = 8;

/** A stream of the relay (plain HTTP) with the relay cookie of random seeded sessions; `expect` is in the Location. */
const relayStream = (t: Target, kind: 'relayGetSession' | 'relayTicket', expect: string, connections: number, rate?: number): Stream => ({
  name: kind,
  host: t.host,
  port: t.relayPort,
  workload: { kind, salt: t.salt, population: t.population },
  connections,
  ...(rate === undefined ? {} : { rate }),
  status: 302,
  expect,
});

const verifyStream = (t: Target, connections: number, rate?: number): Stream => ({
  name: 'verifySession',
  host: t.host,
  port: t.soapPort,
  tls: t.tls,
  workload: { kind: 'verifySession', salt: t.salt, population: t.population },
  connections,
  ...(rate === undefined ? {} : { rate }),
  status: 200,
  expect: '<sso:userId>',
});

const authenticateStream = (t: Target, connections: number): Stream => ({
  name: 'authenticate',
  host: t.host,
  port: t.soapPort,
  tls: t.tls,
  workload: { kind: 'authenticate', salt: t.salt, population: t.population },
  connections,
  status: 200,
  expect: '<sso:sessionId>',
});

/** A browser's sign-in on the relay listener (plain HTTP), ending in the relay cookie and the redirect to the application. */
const browserSignInStream = (t: Target, name: string, workload: Workload, connections: number): Stream => ({
  name,
  host: t.host,
  port: t.relayPort,
  workload,
  connections,
  status: 302,
  expect: '\r\nSet-Cookie: sid=',
});

/**
 * What the bench's identity provider knows of ssod's service provider, read from its metadata on the
 * relay listener as an IdP's operator reads it: the entity id and the assertion consumer URL.
 */
async function serviceProviderOf(t: Target, key: SigningKey): Promise<BenchIdentityProvider> {
  const reply = await fetch(`http://${t.host}:${t.relayPort}/saml/metadata`);
  const xml = await reply.text();
  const entityId = /entityID="([^"]+)"/.exec(xml)?.[1];
  const acsUrl = /<md:AssertionConsumerService[^>]* Location="([^"]+)"/.exec(xml)?.[1];
  if (!reply.ok || entityId === undefined || acsUrl === undefined)
    throw new Error(`ssod's SAML metadata cannot be read: ${reply.status} ${xml.slice(0, 300)}`);
  return { ...key, entityId, acsUrl };
}

/** The flood scenario's honest source: a guest signing in at a low fixed rate from an address of its own. */
const HONEST_RATE = 4;

const guestAuthenticateStream = (t: Target, name: string, localAddress: string, connections: number, rate?: number): Stream => ({
  ...authenticateStream(t, connections),
  name,
  tls: { ca: t.tls.ca },
  localAddress,
  ...(rate === undefined ? {} : { rate }),
});

interface ScenarioOutcome {
  readonly renewals: number;
  readonly hashesPerSecond: number | null;
}

async function runScenarios(
  config: BenchConfig,
  generator: Generator,
  store: BenchStore,
  ssod: SsodProcess,
  t: Target,
  runs: Record<string, Measured>,
  passwordHash: string,
  idpKey: SigningKey,
): Promise<ScenarioOutcome> {
  const job = (streams: Stream[]): Job => ({ streams, warmupMs: config.warmupMs, durationMs: config.durationMs, maxRequests: 50_000_000 });
  const wants = (name: ScenarioName): boolean => config.scenarios.includes(name);
  const say = (line: string): void => config.progress?.(line);
  const watched: Watched = { pid: ssod.pid, databasePids: () => store.databasePids() };
  let renewals = 0;
  // The verifySession runs measure the lookup path: every seeded session was just renewed, as
  // those of active users are; the renewals that happen anyway are counted (docs/PERFORMANCE.md).
  let freshStamp = 0;
  const fresh = async (): Promise<void> => {
    freshStamp = Date.now();
    await store.stampSessions(freshStamp);
  };
  const countRenewals = async (): Promise<void> => {
    renewals += await store.renewedSince(freshStamp);
  };

  if (wants('verifySession') || wants('latency')) {
    await fresh();
    const full = await measureOne(generator, job([verifyStream(t, config.connections)]), watched);
    runs.verifySession = full;
    const database = full.databaseCpuUsPerRequest > 0 ? ` + ${full.databaseCpuUsPerRequest} (database)` : '';
    say(`    verifySession: ${full.throughput} req/s, p99 ${full.p99} ms, ${full.serverCpuUsPerRequest}${database} µs CPU/req`);
    if (wants('latency')) {
      const rate = Math.max(1, Math.round(full.throughput / 2));
      const half = await measureOne(generator, job([verifyStream(t, config.connections, rate)]), watched);
      runs.verifySessionHalfRate = half;
      say(`    verifySession at ${rate} req/s: p50 ${half.p50} ms, p99 ${half.p99} ms, p99.9 ${half.p999} ms`);
    }
    await countRenewals();
  }
  if (wants('relay')) {
    const relay = await measureOne(generator, job([relayStream(t, 'relayGetSession', 'ssosid=https', config.connections)]), watched);
    runs.relayGetSession = relay;
    say(`    relay get-session: ${relay.throughput} req/s, p99 ${relay.p99} ms`);
  }
  if (wants('ticketHop')) {
    // Both at the same fixed rate in one window, so that both see the same machine: the difference
    // of their latencies is what the ticket (a signature and a grant write) adds to a relay hop.
    const [plainResult, ticketResult] = await measure(
      generator,
      job([
        relayStream(t, 'relayGetSession', 'ssosid=https', TICKET_HOP_CONNECTIONS, config.ticketRate),
        relayStream(t, 'relayTicket', 'ticket?ticket=ey', TICKET_HOP_CONNECTIONS, config.ticketRate),
      ]),
      watched,
    );
    const plain = defined(plainResult, 'the relay get-session result');
    const hop = defined(ticketResult, 'the ticket hop result');
    runs.relayGetSessionAtTicketRate = { ...plain, peakRss: peakOf.get(ssod.pid) ?? 0 };
    runs.relayTicketHop = { ...hop, peakRss: peakOf.get(ssod.pid) ?? 0 };
    say(
      `    ticket hop at ${config.ticketRate} req/s: p50 ${hop.p50} ms, p99 ${hop.p99} ms; relay get-session beside it p50 ${plain.p50} ms, p99 ${plain.p99} ms; the hop adds ${(hop.p50 - plain.p50).toFixed(2)} ms at p50, ${(hop.p99 - plain.p99).toFixed(2)} ms at p99`,
    );
  }
  let hashesPerSecond: number | null = null;
  if (wants('authenticate') || wants('signinPage') || wants('storm') || wants('createUser') || wants('flood')) {
    hashesPerSecond = await hashRate(passwordHash, Math.min(5_000, config.durationMs));
    say(`    argon2id alone, same threads and priority as ssod's: ${hashesPerSecond} verifications/s`);
  }
  if (wants('authenticate')) {
    const auth = await measureOne(generator, job([authenticateStream(t, config.authConnections)]), watched);
    runs.authenticate = auth;
    say(`    authenticate: ${auth.throughput} req/s, p99 ${auth.p99} ms, ${auth.serverCores} cores`);
  }
  // The browser sign-ins, each next to authenticate's sign-ins/s in the same server run: measured
  // before them and again after them, so that a drift of the shared machine meanwhile shows and
  // the ratio is taken against the mean (bench/report.ts).
  if (wants('signinPage')) {
    const workload: Workload = { kind: 'signinPage', salt: t.salt, population: t.population };
    const page = await measureOne(generator, job([browserSignInStream(t, 'signinPage', workload, config.authConnections)]), watched);
    runs.signinPage = page;
    say(`    sign-in page: ${page.throughput} sign-ins/s, p99 ${page.p99} ms, ${page.serverCpuUsPerRequest} µs server CPU each`);
  }
  if (wants('samlAcs')) {
    const idp = await serviceProviderOf(t, idpKey);
    const workload: Workload = { kind: 'samlAcs', salt: t.salt, population: t.population, idp };
    // The first SAML sign-in of a server process starts its check threads, which load the SAML
    // library (src/infra/saml/checkPool.ts): one sign-in before the run, as the day's first person's.
    await generator.run({ streams: [browserSignInStream(t, 'samlAcs', workload, 1)], warmupMs: 0, durationMs: 1_000, maxRequests: 1 });
    const saml = await measureOne(generator, job([browserSignInStream(t, 'samlAcs', workload, config.authConnections)]), watched);
    runs.samlAcs = saml;
    say(`    SAML sign-in: ${saml.throughput} sign-ins/s, p99 ${saml.p99} ms, ${saml.serverCpuUsPerRequest} µs server CPU each`);
  }
  if (wants('authenticate') && (wants('signinPage') || wants('samlAcs'))) {
    const again = await measureOne(generator, job([authenticateStream(t, config.authConnections)]), watched);
    runs.authenticateAfter = again;
    const reference = authenticateReference(runs);
    const versus = (label: string, run: Measured | undefined): string =>
      run === undefined ? '' : `; ${label} ${(run.throughput / (reference || 1)).toFixed(2)}×`;
    say(
      `    authenticate again: ${again.throughput} req/s; against the mean of both, ${Math.round(reference)}/s${versus('sign-in page', runs.signinPage)}${versus('SAML', runs.samlAcs)}`,
    );
  }
  if (wants('storm')) {
    await fresh();
    const [authResult, verifyResult] = await measure(
      generator,
      job([authenticateStream(t, config.authConnections), verifyStream(t, 4, config.stormRate)]),
      watched,
    );
    const auth = defined(authResult, 'the authenticate result');
    const verify = defined(verifyResult, 'the verifySession result');
    runs.stormAuthenticate = { ...auth, peakRss: peakOf.get(ssod.pid) ?? 0 };
    runs.stormVerifySession = { ...verify, peakRss: peakOf.get(ssod.pid) ?? 0 };
    say(
      `    storm: authenticate ${auth.throughput} req/s; verifySession at ${config.stormRate} req/s p99 ${verify.p99} ms (max ${verify.max} ms)`,
    );
  }
  if (wants('flood')) {
    // One guest address floods authenticate with the right password (so that neither a lock nor a
    // failure count stops it: only the hashing queue can), while another signs in at a low fixed
    // rate; the same honest stream alone just before, as its reference.
    const honest = (): Stream => guestAuthenticateStream(t, 'honest', '127.0.0.3', HONEST_RATE, HONEST_RATE);
    const alone = defined((await measure(generator, job([honest()]), watched))[0], 'the honest result');
    runs.floodHonestAlone = { ...alone, peakRss: peakOf.get(ssod.pid) ?? 0 };
    const [flooderResult, duringResult] = await measure(
      generator,
      job([guestAuthenticateStream(t, 'flood', '127.0.0.2', config.floodConnections), honest()]),
      watched,
    );
    const flooder = defined(flooderResult, 'the flood result');
    const during = defined(duringResult, 'the honest result during the flood');
    runs.flood = { ...flooder, peakRss: peakOf.get(ssod.pid) ?? 0 };
    runs.floodHonest = { ...during, peakRss: peakOf.get(ssod.pid) ?? 0 };
    const refused = Math.round(flooder.errors / (config.durationMs / 1000));
    say(
      `    flood: honest sign-in alone p50 ${alone.p50} ms p99 ${alone.p99} ms; while ${config.floodConnections} connections of one source flood, p50 ${during.p50} ms p99 ${during.p99} ms; the flood: ${flooder.throughput}/s signed in, ${refused}/s refused`,
    );
  }
  if (wants('createUser')) {
    const create = await measureOne(
      generator,
      job([
        {
          name: 'createUser',
          host: t.host,
          port: t.soapPort,
          tls: t.tls,
          workload: { kind: 'createUser', prefix: `new-${t.salt}-${ssod.pid}` },
          connections: config.authConnections,
          status: 200,
          expect: '<sso:userId>',
        },
      ]),
      watched,
    );
    runs.createUser = create;
    say(`    createUser: ${create.throughput} req/s, p99 ${create.p99} ms`);
  }
  return { renewals, hashesPerSecond };
}

/** The `ssod serve` flags that select a store: none for the default, so that `--cli` can measure builds older than `--store`. */
function serveFlags(options: BenchStore['options']): string[] {
  if (options.store === 'sqlite:') return [];
  return ['--store', options.store, ...(options.masterKeyFile === '' ? [] : ['--master-key-file', options.masterKeyFile])];
}

/** The engines of the run: each PostgreSQL one once per `--session-cache-ms` value, labelled with it. */
function enginesOf(config: BenchConfig): BenchEngine[] {
  const bounds = config.sessionCacheMs;
  return benchEnginesFor(config.store).flatMap((engine) =>
    engine.name !== 'postgres' || bounds === null
      ? [engine]
      : bounds.map((ms) => ({
          ...engine,
          label: `${engine.label} (session cache ${ms} ms)`,
          serveFlags: ['--session-cache-ms', String(ms)],
        })),
  );
}

async function benchPopulation(
  config: BenchConfig,
  generator: Generator,
  engine: BenchEngine,
  root: string,
  population: number,
  passwordHash: string,
): Promise<PopulationResult> {
  const dataDir = mkdtempSync(path.join(root, `${engine.name}-${population}-`)); // owner-only, as ssod wants it
  const store = await engine.create(dataDir);
  try {
    return await benchStore(
      config,
      generator,
      { store, flags: [...serveFlags(store.options), ...(engine.serveFlags ?? [])] },
      dataDir,
      `${engine.name}-population-${population}`,
      population,
      passwordHash,
    );
  } finally {
    await store.drop();
  }
}

async function benchStore(
  config: BenchConfig,
  generator: Generator,
  { store, flags }: { readonly store: BenchStore; readonly flags: readonly string[] },
  dataDir: string,
  label: string,
  population: number,
  passwordHash: string,
): Promise<PopulationResult> {
  const say = (line: string): void => config.progress?.(line);
  const options = resolveOptions({ flags: { dataDir, ...store.options } });
  const salt = Math.random().toString(36).slice(2, 10);
  const now = Date.now();
  const idpKey = await newSigningKey(new URL(BENCH_IDP.issuer).hostname);
  const { tls, server, plan } = await installBenchApplication(options, crypto.randomUUID(), now, idpKey.certificatePem);
  const seedStarted = performance.now();
  await store.seed({ ...plan, population, salt, passwordHash, now, lifetimeMs: options.sessionLifetime * 1000 });
  const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);
  say(`  seeded ${population} users and sessions in ${seedSeconds} s`);

  const someUserId = crypto.randomUUID();
  const reply = serializeResponse('1.2', verifySession, { userId: someUserId });

  const ceilingRun = async (workers: number): Promise<Measured> => {
    const profileDir = config.profileDir === null ? null : path.join(config.profileDir, `${label}-ceiling-${workers}`);
    const ceiling = await startCeiling({ ...server, ca: tls.ca }, reply, workers, profileDir);
    try {
      const t: Target = { host: '127.0.0.1', soapPort: ceiling.port, relayPort: 0, tls, salt, population };
      const job: Job = {
        streams: [{ ...verifyStream(t, config.connections), name: 'ceiling' }],
        warmupMs: config.warmupMs,
        durationMs: config.durationMs,
        maxRequests: 50_000_000,
      };
      const result = await measureOne(generator, job, { pid: ceiling.child.pid ?? 0 });
      say(
        `  ceiling (${workers} process${workers > 1 ? 'es' : ''}): ${result.throughput} req/s, p99 ${result.p99} ms, ${result.serverCpuUsPerRequest} µs CPU/req`,
      );
      return result;
    } finally {
      await stopChild(ceiling.child);
    }
  };

  const ceiling: Record<string, Measured[]> = {};
  for (const workers of config.workers) ceiling[workers] = [await ceilingRun(workers)];

  const ssodResults: WorkersResult[] = [];
  for (const workers of config.workers) {
    const profileDir = config.profileDir === null ? null : path.join(config.profileDir, `${label}-workers-${workers}`);
    const ssod = await startSsod({
      dataDir,
      workers,
      logFile: path.join(dataDir, `ssod-${workers}.log`),
      logLevel: config.logLevel,
      flags: [...flags],
      nodeFlags: [...config.nodeFlags, ...(profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir])],
      cli: config.cli,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssIdle = usageOf(ssod.pid).rss;
    say(
      `  ssod, ${workers} worker${workers > 1 ? 's' : ''}: ready in ${Math.round(ssod.startupMs)} ms, idle RSS ${Math.round(rssIdle / 2 ** 20)} MiB`,
    );
    const runs: Record<string, Measured> = {};
    const t: Target = { host: '127.0.0.1', soapPort: ssod.soapPort, relayPort: ssod.relayPort, tls, salt, population };
    let outcome: ScenarioOutcome = { renewals: 0, hashesPerSecond: null };
    let exitCode: number | null = null;
    try {
      outcome = await runScenarios(config, generator, store, ssod, t, runs, passwordHash, idpKey);
    } finally {
      exitCode = await ssod.stop();
    }
    if (exitCode !== 0) say(`  ssod exited with code ${exitCode} after SIGTERM`);
    ssodResults.push({ workers, startupMs: Math.round(ssod.startupMs), rssIdle, exitCode, runs, ...outcome });
  }
  // The ceiling again, so that a drift of the machine during the ssod runs shows.
  for (const workers of config.workers)
    defined(ceiling[workers], `the ceiling runs of ${workers} process(es)`).push(await ceilingRun(workers));
  return { population, seedSeconds, ceiling, ssod: ssodResults };
}

export async function runBench(config: BenchConfig): Promise<BenchResults> {
  const started = performance.now();
  const engines = enginesOf(config);
  const root = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-'));
  const generator = new Generator();
  const say = (line: string): void => config.progress?.(line);
  try {
    const defaults = resolveOptions({ flags: { dataDir: root } });
    const passwordHash = await passwordHasherFor(defaults).hash(BENCH_PASSWORD);
    say(`argon2id at ssod's defaults: m=${defaults.argon2MemoryKib} KiB, t=${defaults.argon2Iterations}, p=1`);
    const results: EngineResult[] = [];
    for (const engine of engines) {
      const populations: PopulationResult[] = [];
      for (const population of config.populations) {
        say(`${engine.label}, population ${population}:`);
        populations.push(await benchPopulation(config, generator, engine, root, population, passwordHash));
      }
      results.push({ engine: engine.name, store: engine.label, populations });
    }
    // The stores without their passwords: the results are shared.
    const rest: Omit<BenchConfig, 'progress'> & { progress?: unknown } = {
      ...config,
      store: engines.map((engine) => engine.label).join(','),
    };
    delete rest.progress;
    const bench: BenchResults = {
      date: new Date().toISOString(),
      machine: machine(),
      config: rest,
      engines: results,
      totalSeconds: Math.round((performance.now() - started) / 1000),
    };
    if (config.out !== null) {
      mkdirSync(path.dirname(config.out), { recursive: true });
      writeFileSync(config.out, JSON.stringify(bench, null, 2) + '\n');
      say(`results: ${config.out}`);
    }
    return bench;
  } finally {
    generator.close();
    if (config.keepData) say(`data kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

const USAGE = `npm run bench -- [flags]
  --duration S         measured seconds per run (default 10)
  --warmup S           warm-up seconds before each measured window (default 2)
  --connections N      keep-alive connections for verifySession, relay and the ceiling (default 16)
  --auth-connections N connections for authenticate, signinPage, samlAcs and createUser (default 8)
  --populations LIST   users and sessions seeded, e.g. 1000,1000000 (default)
  --scenarios LIST     ${SCENARIOS.join(',')} (default: all)
  --workers LIST       ssod worker processes to compare, e.g. 1,2 (default)
  --store LIST         the stores to run on, in turn, each with its own tables in the report:
                       sqlite (default), postgres (the server at $TEST_POSTGRES_URL, else
                       postgres://postgres@127.0.0.1:5432/test) or a postgres://… URL, whose role
                       may create databases (one per population, dropped afterwards);
                       e.g. --store sqlite,postgres
  --session-cache-ms LIST  run each PostgreSQL store once per value of ssod's --session-cache-ms,
                       each with its own tables, e.g. 1000,0 (the cache on, then off; default:
                       ssod's default only)
  --storm-rate N       verifySession requests/s during the login storm (default 500)
  --ticket-rate N      requests/s of each stream of ticketHop: the relay's ticket hop beside its
                       get-session (default 200)
  --flood-connections N connections of the source that floods authenticate (default 200)
  --log-level LEVEL    ssod's --log-level (default info, as deployed)
  --out FILE           results JSON (default bench/results/<date>.json)
  --profile DIR        run ssod under node --cpu-prof, profiles in DIR
  --keep               keep the temporary data directories and logs (not PostgreSQL databases)
  --cli FILE           measure another build's dist/src/app/main.js (before/after comparisons)
  --node-flags FLAGS   extra node flags for ssod, e.g. --perf-basic-prof (for perf record)`;

function list(text: string): number[] {
  return text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 1) throw new Error(`not a positive whole number: ${part}`);
    return value;
  });
}

/** A list of milliseconds, 0 allowed. */
function milliseconds(text: string): number[] {
  return text.split(',').map((part) => {
    const value = Number(part.trim());
    if (!Number.isInteger(value) || value < 0) throw new Error(`not a whole number of milliseconds: ${part}`);
    return value;
  });
}

export function configFromArgs(args: readonly string[]): BenchConfig {
  const { values } = parseArgs({
    args: [...args],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'auth-connections': { type: 'string' },
      populations: { type: 'string' },
      scenarios: { type: 'string' },
      workers: { type: 'string' },
      store: { type: 'string' },
      'session-cache-ms': { type: 'string' },
      'storm-rate': { type: 'string' },
      'ticket-rate': { type: 'string' },
      'flood-connections': { type: 'string' },
      'log-level': { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      keep: { type: 'boolean' },
      cli: { type: 'string' },
      'node-flags': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const scenarios = values.scenarios === undefined ? SCENARIOS : values.scenarios.split(',').map((s) => s.trim());
  for (const scenario of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(scenario))
      throw new Error(`unknown scenario ${scenario}; known: ${SCENARIOS.join(', ')}`);
  }
  const seconds = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : Math.round(Number(text) * 1000));
  const date = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
  return {
    ...DEFAULT_CONFIG,
    durationMs: seconds(values.duration, DEFAULT_CONFIG.durationMs),
    warmupMs: seconds(values.warmup, DEFAULT_CONFIG.warmupMs),
    connections:
      values.connections === undefined ? DEFAULT_CONFIG.connections : defined(list(values.connections)[0], 'a value of --connections'),
    authConnections:
      values['auth-connections'] === undefined
        ? DEFAULT_CONFIG.authConnections
        : defined(list(values['auth-connections'])[0], 'a value of --auth-connections'),
    populations: values.populations === undefined ? DEFAULT_CONFIG.populations : list(values.populations),
    scenarios: scenarios as ScenarioName[],
    workers: values.workers === undefined ? DEFAULT_CONFIG.workers : list(values.workers),
    store: values.store ?? DEFAULT_CONFIG.store,
    sessionCacheMs: values['session-cache-ms'] === undefined ? DEFAULT_CONFIG.sessionCacheMs : milliseconds(values['session-cache-ms']),
    stormRate:
      values['storm-rate'] === undefined ? DEFAULT_CONFIG.stormRate : defined(list(values['storm-rate'])[0], 'a value of --storm-rate'),
    ticketRate:
      values['ticket-rate'] === undefined ? DEFAULT_CONFIG.ticketRate : defined(list(values['ticket-rate'])[0], 'a value of --ticket-rate'),
    floodConnections:
      values['flood-connections'] === undefined
        ? DEFAULT_CONFIG.floodConnections
        : defined(list(values['flood-connections'])[0], 'a value of --flood-connections'),
    logLevel: values['log-level'] ?? DEFAULT_CONFIG.logLevel,
    out: values.out ?? path.join(HERE, '..', '..', 'bench', 'results', `${date}.json`),
    profileDir: values.profile === undefined ? null : path.resolve(values.profile),
    keepData: values.keep === true,
    cli: values.cli === undefined ? null : path.resolve(values.cli),
    nodeFlags: values['node-flags']?.split(' ').filter(Boolean) ?? [],
  };
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Ctrl-C or a SIGTERM still drops the PostgreSQL databases of the run (the server is shared).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void dropBenchDatabases().finally(() => process.exit(128 + os.constants.signals[signal])));
  }
  try {
    const config = configFromArgs(process.argv.slice(2));
    const results = await runBench(config);
    console.log('\n' + markdownSummary(results));
    // ssox:verifySession against verifySession in one in-process server (bench/session-variables.ts).
    if (config.scenarios.includes('verifySession')) console.log('\n' + sessionVariablesSummary(await measureSessionVariables()));
    // The SDK's offline ticket verification against bare Ed25519, on one thread (bench/tickets.ts).
    if (config.scenarios.includes('ticketHop')) console.log('\n' + ticketsSummary(await measureTickets()));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

export function readResults(file: string): BenchResults {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
}
