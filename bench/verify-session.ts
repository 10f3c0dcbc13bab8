// verifySession on SQLite and on PostgreSQL, side by side on one machine (the hot path
// stays fast on PostgreSQL). Over real TLS with keep-alive, so handshakes are not what is measured,
// and the store calls alone: a read (findSessionByLocalId) against a write (touchSession), which is
// why verifySession renews the idle timer only after a part of it has passed.
//
//   npm run build && node dist/bench/verify-session.js [calls]
// PostgreSQL: BENCH_POSTGRES_URL or TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test);
// the bench works in a schema of its own and drops it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { resolveOptions } from '../src/config/options.js';
import { generateMasterKeyFile } from '../src/infra/keys/masterKey.js';
import { createLogger } from '../src/infra/log.js';
import { startServer } from '../src/app/server.js';
import { field, soap } from './inProcessSoap.js';

const CALLS = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 8;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NS = 'http://swsoft.com/schemas/sso/1';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(engine: string, overrides: Record<string, string | number>): Promise<Record<string, number | string>> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-'));
  const options = resolveOptions({
    flags: { dataDir, soapPort: 0, relayPort: 0, argon2MemoryKib: 8192, argon2Iterations: 1, ...overrides },
  });
  const server = await startServer(options, { logger: createLogger('silent') });
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const registered = await soap(
      server,
      agent,
      `<sso:registerApplication xmlns:sso="${NS}"><sso:name>bench</sso:name><sso:displayName>b</sso:displayName><sso:version>1</sso:version><sso:url>https://bench.example.com:443/</sso:url></sso:registerApplication>`,
    );
    const pem = field(registered, 'certificate').replace(/&#10;/g, '\n');
    const credentials = {
      key: /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)?.[0] ?? '',
      cert: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? '',
    };
    const appAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    await soap(
      server,
      appAgent,
      `<sso:createUser xmlns:sso="${NS}"><sso:login>bench</sso:login><sso:password>bench-password</sso:password></sso:createUser>`,
      credentials,
    );
    appAgent.destroy();
    const sessionId = field(
      await soap(
        server,
        agent,
        `<sso:authenticate xmlns:sso="${NS}"><sso:login>bench</sso:login><sso:password>bench-password</sso:password><sso:baseUrl>https://bench.example.com:443/</sso:baseUrl></sso:authenticate>`,
      ),
      'sessionId',
    );
    const verify = `<sso:verifySession xmlns:sso="${NS}"><sso:sessionId>${sessionId}</sso:sessionId></sso:verifySession>`;

    for (let i = 0; i < 200; i++) await soap(server, agent, verify); // warm up: connections, prepared statements
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < CALLS) {
          const t = performance.now();
          const reply = await soap(server, agent, verify);
          latencies.push(performance.now() - t);
          if (!reply.includes('verifySessionResponse')) throw new Error(`verifySession failed: ${reply}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);

    // The store alone: a read against the write that the renewal rule avoids.
    const store = server.services.store;
    const idHash = createHash('sha256').update(sessionId).digest('hex');
    const view = await store.findSessionByLocalId(idHash);
    const timeEach = async (n: number, work: (i: number) => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      for (let i = 0; i < n; i++) await work(i);
      return ((performance.now() - t) / n) * 1000;
    };
    const readUs = await timeEach(2000, () => store.findSessionByLocalId(idHash));
    const writeUs = await timeEach(500, (i) => store.touchSession(view?.global.id ?? '', Date.now() + i));
    return {
      engine,
      verifySessionPerSecond: Math.round(CALLS / seconds),
      p50ms: Number(percentile(latencies, 50).toFixed(2)),
      p99ms: Number(percentile(latencies, 99).toFixed(2)),
      storeReadUs: Math.round(readUs),
      storeWriteUs: Math.round(writeUs),
    };
  } finally {
    agent.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// Two alternating rounds, so that neither engine is always the one measured on a cold process.
const results: Record<string, number | string>[] = [];
const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
const schema = `ssod_bench_${randomBytes(4).toString('hex')}`;
const keyDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-key-'));
try {
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const masterKeyFile = path.join(keyDir, 'master.key');
  await generateMasterKeyFile(masterKeyFile);
  for (let round = 1; round <= 2; round++) {
    results.push({ round, ...(await measure('sqlite', {})) });
    results.push({ round, ...(await measure('postgres', { store: url.toString(), masterKeyFile })) });
  }
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin.end();
  rmSync(keyDir, { recursive: true, force: true });
}
console.log(JSON.stringify({ calls: CALLS, concurrency: CONCURRENCY, cpus: os.cpus().length, results }, null, 2));
