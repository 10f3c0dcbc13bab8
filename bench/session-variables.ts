// ssox:verifySession with 10 readable session variables against plain verifySession, side by side in
// one run on one server (docs/groups.md "Session variables": the variables come in the same one
// store read). Over real TLS with keep-alive and the application's certificate for both, so the
// difference is the variables' part of the statement and of the reply. Rounds alternate which
// operation goes first; the ratio is ssox's calls per second over plain verifySession's.
//
//   npm run build && node dist/bench/session-variables.js [calls]
// `npm run bench` runs it after the scenarios of bench/run.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOptions } from '../src/config/options.js';
import { createLogger } from '../src/infra/log.js';
import { startServer, type RunningServer } from '../src/app/server.js';
import { field, soap, type Credentials } from './inProcessSoap.js';

const NS = 'http://swsoft.com/schemas/sso/1';
const SSOX = 'urn:ssod:ext:1';
const CONCURRENCY = 8;
const ROUNDS = 3;
const VARIABLES = 10;

/** Calls per second of `body`, CONCURRENCY at a time on one keep-alive agent with the certificate. */
async function rate(
  server: RunningServer,
  agent: https.Agent,
  credentials: Credentials,
  body: string,
  expect: string,
  calls: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < calls) {
        const reply = await soap(server, agent, body, credentials);
        if (!reply.includes(expect)) throw new Error(`unexpected reply: ${reply.slice(0, 300)}`);
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

export interface SessionVariablesBench {
  readonly engine: 'sqlite';
  readonly calls: number;
  readonly variables: number;
  readonly verifySessionPerSecond: number;
  readonly ssoxVerifySessionPerSecond: number;
  /** ssox:verifySession's rate over verifySession's, the median of the rounds. */
  readonly ratio: number;
  readonly rounds: readonly { readonly plain: number; readonly ssox: number }[];
}

export async function measureSessionVariables(calls = 4000): Promise<SessionVariablesBench> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-bench-vars-'));
  const options = resolveOptions({ flags: { dataDir, soapPort: 0, relayPort: 0, argon2MemoryKib: 8192, argon2Iterations: 1 } });
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
    await soap(
      server,
      agent,
      `<sso:createUser xmlns:sso="${NS}"><sso:login>bench</sso:login><sso:password>bench-password</sso:password></sso:createUser>`,
      credentials,
    );
    const sessionId = field(
      await soap(
        server,
        agent,
        `<sso:authenticate xmlns:sso="${NS}"><sso:login>bench</sso:login><sso:password>bench-password</sso:password><sso:baseUrl>https://bench.example.com:443/</sso:baseUrl></sso:authenticate>`,
      ),
      'sessionId',
    );
    // Ten readable variables of 32 characters; half of them written, half at their default.
    for (let i = 0; i < VARIABLES; i++) {
      const name = `var${String(i)}`;
      await soap(
        server,
        agent,
        `<ssox:declareSessionVariable xmlns:ssox="${SSOX}"><ssox:name>${name}</ssox:name><ssox:defaultValue>${'d'.repeat(32)}</ssox:defaultValue><ssox:maxLength>64</ssox:maxLength><ssox:readable>true</ssox:readable><ssox:writable>false</ssox:writable></ssox:declareSessionVariable>`,
        credentials,
      );
      if (i % 2 === 0)
        await soap(
          server,
          agent,
          `<ssox:setSessionVariable xmlns:ssox="${SSOX}"><ssox:sessionId>${sessionId}</ssox:sessionId><ssox:name>${name}</ssox:name><ssox:value>${'v'.repeat(32)}</ssox:value><ssox:version>0</ssox:version></ssox:setSessionVariable>`,
          credentials,
        );
    }
    const plain = `<sso:verifySession xmlns:sso="${NS}"><sso:sessionId>${sessionId}</sso:sessionId></sso:verifySession>`;
    const ssox = `<ssox:verifySession xmlns:ssox="${SSOX}"><ssox:sessionId>${sessionId}</ssox:sessionId></ssox:verifySession>`;
    const check = await soap(server, agent, ssox, credentials);
    if ((check.match(/<ssox:variable>/g) ?? []).length !== VARIABLES)
      throw new Error(`ssox:verifySession does not answer ${String(VARIABLES)} variables: ${check}`);
    // Warm up both: connections, prepared statements, the JIT.
    await rate(server, agent, credentials, plain, 'verifySessionResponse', 500);
    await rate(server, agent, credentials, ssox, 'verifySessionResponse', 500);
    const rounds: { plain: number; ssox: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const measurePlain = () => rate(server, agent, credentials, plain, 'sso:verifySessionResponse', calls);
      const measureSsox = () => rate(server, agent, credentials, ssox, 'ssox:verifySessionResponse', calls);
      if (round % 2 === 0) {
        const p = await measurePlain();
        rounds.push({ plain: p, ssox: await measureSsox() });
      } else {
        const s = await measureSsox();
        rounds.push({ plain: await measurePlain(), ssox: s });
      }
    }
    const ratios = rounds.map((r) => r.ssox / r.plain).sort((a, b) => a - b);
    const mean = (values: number[]) => Math.round(values.reduce((a, b) => a + b, 0) / values.length);
    return {
      engine: 'sqlite',
      calls,
      variables: VARIABLES,
      verifySessionPerSecond: mean(rounds.map((r) => r.plain)),
      ssoxVerifySessionPerSecond: mean(rounds.map((r) => r.ssox)),
      ratio: Number((ratios[Math.floor(ratios.length / 2)] ?? 0).toFixed(2)),
      rounds: rounds.map((r) => ({ plain: Math.round(r.plain), ssox: Math.round(r.ssox) })),
    };
  } finally {
    agent.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One line for the bench's summary. */
export function sessionVariablesSummary(result: SessionVariablesBench): string {
  return `ssox:verifySession with ${String(result.variables)} readable variables: ${String(result.ssoxVerifySessionPerSecond)}/s against verifySession ${String(result.verifySessionPerSecond)}/s on ${result.engine}, ${String(result.ratio)}× (median of ${String(result.rounds.length)} alternating rounds)`;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await measureSessionVariables(Number(process.argv[2] ?? 4000));
  console.log(JSON.stringify({ cpus: os.cpus().length, concurrency: CONCURRENCY, ...result }, null, 2));
  console.log(sessionVariablesSummary(result));
}
