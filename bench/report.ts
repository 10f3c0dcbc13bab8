// The summary of a bench run: every ssod figure next to the figure it is measured against, and the
// performance targets with whether each is met. Printed at the end of `npm run bench` and pasted
// into docs/PERFORMANCE.md.
import type { BenchEngine } from './engines.js';
import type { BenchResults, EngineResult, Measured, PopulationResult, WorkersResult } from './run.js';
import { defined } from '../test/helpers/defined.js';

const MIB = 2 ** 20;

/** verifySession's share of the ceiling's throughput that the performance targets ask for, by store engine. */
const VERIFY_SESSION_TARGET: Readonly<Record<BenchEngine['name'], number>> = { sqlite: 0.6, postgres: 0.4 };

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The ceiling's throughput for a worker count: the mean of its runs before and after ssod's. */
export function ceilingOf(population: PopulationResult, workers: number): number {
  return mean((population.ceiling[workers] ?? []).map((run) => run.throughput));
}

/** The ceiling's server CPU per request for a worker count, µs (mean of its runs). */
export function ceilingCpuOf(population: PopulationResult, workers: number): number {
  return mean((population.ceiling[workers] ?? []).map((run) => run.serverCpuUsPerRequest));
}

/** CPU per good reply of ssod and of the database processes serving it, µs: what the CPU ratio compares with the ceiling's. */
function cpuPerRequest(run: Measured): number {
  return run.serverCpuUsPerRequest + run.databaseCpuUsPerRequest;
}

/**
 * What the browser sign-ins (sign-in page, SAML) are compared with: authenticate's sign-ins/s in the
 * same server run, the mean of its runs before and after them; 0 when it did not run.
 */
export function authenticateReference(runs: Readonly<Record<string, Measured>>): number {
  return mean([runs.authenticate, runs.authenticateAfter].flatMap((run) => (run === undefined ? [] : [run.throughput])));
}

/** authenticate's CPU per sign-in in the same server run (the mean of its runs), for the browser sign-ins' CPU ratio. */
function authenticateCpu(runs: Readonly<Record<string, Measured>>): number {
  return mean([runs.authenticate, runs.authenticateAfter].flatMap((run) => (run === undefined ? [] : [cpuPerRequest(run)])));
}

function ratio(value: number, reference: number): string {
  return reference === 0 ? '–' : `${(value / reference).toFixed(2)}×`;
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function row(cells: readonly (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * `reference` is the throughput compared with; `cpuReference` the reference's CPU per request (the
 * ceiling's, or authenticate's for the browser sign-ins), for the CPU ratio: the share of the
 * reference's throughput ssod would reach with a core to itself, which a shared machine's
 * scheduling does not blur as it blurs throughput.
 */
function runRow(label: string, run: Measured | undefined, reference: number, referenceName: string, cpuReference = 0): string | null {
  if (run === undefined) return null;
  const cpu = cpuReference > 0 && cpuPerRequest(run) > 0 ? ` (CPU ${ratio(cpuReference, cpuPerRequest(run))})` : '';
  return row([
    label,
    run.rate === undefined ? run.throughput : `${run.throughput} (fixed ${run.rate}/s)`,
    run.rate === undefined ? `${ratio(run.throughput, reference)} ${referenceName}${cpu}` : '–',
    ms(run.p50),
    ms(run.p99),
    ms(run.p999),
    run.errors,
    run.serverCores.toFixed(2),
    run.databaseCpuUsPerRequest > 0 ? `${run.serverCpuUsPerRequest} + ${run.databaseCpuUsPerRequest} db` : run.serverCpuUsPerRequest,
  ]);
}

function workersTable(population: PopulationResult, w: WorkersResult): string[] {
  const ceiling = ceilingOf(population, w.workers);
  const ceilingCpu = ceilingCpuOf(population, w.workers);
  const hashes = w.hashesPerSecond ?? 0;
  const r = w.runs;
  const authenticate = authenticateReference(r);
  const authenticateCpuPerRequest = authenticateCpu(r);
  return [
    runRow('verifySession', r.verifySession, ceiling, 'ceiling', ceilingCpu),
    runRow('verifySession at half rate', r.verifySessionHalfRate, ceiling, 'ceiling'),
    runRow('relay get-session', r.relayGetSession, ceiling, 'ceiling', ceilingCpu),
    runRow('relay get-session beside the ticket hop', r.relayGetSessionAtTicketRate, ceiling, 'ceiling'),
    runRow('relay ticket hop', r.relayTicketHop, ceiling, 'ceiling'),
    runRow('authenticate', r.authenticate, hashes, 'hash alone'),
    runRow('sign-in page: GET the form, POST it', r.signinPage, authenticate, 'authenticate', authenticateCpuPerRequest),
    runRow('SAML: GET /saml/login, POST the signed response', r.samlAcs, authenticate, 'authenticate', authenticateCpuPerRequest),
    runRow('authenticate, again after the browser sign-ins', r.authenticateAfter, hashes, 'hash alone'),
    runRow('storm: authenticate', r.stormAuthenticate, hashes, 'hash alone'),
    runRow('storm: verifySession', r.stormVerifySession, ceiling, 'ceiling'),
    runRow('createUser', r.createUser, hashes, 'hash alone'),
    runRow('flood: honest sign-in alone', r.floodHonestAlone, hashes, 'hash alone'),
    runRow('flood: the flooding source (errors: refused)', r.flood, hashes, 'hash alone'),
    runRow('flood: honest sign-in meanwhile', r.floodHonest, hashes, 'hash alone'),
  ].filter((line): line is string => line !== null);
}

export function targetChecks(results: BenchResults): TargetCheck[] {
  return results.engines.flatMap((engine) =>
    engineChecks(engine).map((check) => ({ ...check, target: `${engine.engine}: ${check.target}` })),
  );
}

function engineChecks(engine: EngineResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const verifyTarget = VERIFY_SESSION_TARGET[engine.engine];
  const single = (p: PopulationResult): WorkersResult | undefined => p.ssod.find((w) => w.workers === 1) ?? p.ssod[0];
  const best = (p: PopulationResult): WorkersResult | undefined =>
    [...p.ssod].sort((a, b) => (b.runs.verifySession?.throughput ?? 0) - (a.runs.verifySession?.throughput ?? 0))[0];
  for (const p of engine.populations) {
    for (const w of p.ssod) {
      const verify = w.runs.verifySession;
      if (verify !== undefined) {
        const value = verify.throughput / (ceilingOf(p, w.workers) || 1);
        const cpu = ceilingCpuOf(p, w.workers) / (cpuPerRequest(verify) || 1);
        checks.push({
          target: `verifySession ≥ ${verifyTarget}× ceiling (${p.population} sessions, ${w.workers} worker(s))`,
          measured: `${value.toFixed(2)}× (CPU ratio ${cpu.toFixed(2)}×)`,
          met: value >= verifyTarget,
        });
      }
      const half = w.runs.verifySessionHalfRate;
      if (half !== undefined) {
        checks.push({
          target: `verifySession p99 < 5 ms at half its throughput (${p.population}, ${w.workers} w)`,
          measured: `${ms(half.p99)} ms`,
          met: half.p99 < 5,
        });
      }
      const hop = w.runs.relayTicketHop;
      const beside = w.runs.relayGetSessionAtTicketRate;
      if (hop !== undefined && beside !== undefined) {
        checks.push({
          target: `the relay's ticket hop adds < 1 ms to its get-session at p50, same fixed rate (${p.population}, ${w.workers} w)`,
          measured: `${ms(hop.p50 - beside.p50)} ms (p99 ${ms(hop.p99 - beside.p99)} ms)`,
          met: hop.p50 - beside.p50 < 1,
        });
      }
      const storm = w.runs.stormVerifySession;
      if (storm !== undefined) {
        checks.push({
          target: `verifySession p99 < 20 ms during the login storm (${p.population}, ${w.workers} w)`,
          measured: `${ms(storm.p99)} ms`,
          met: storm.p99 < 20,
        });
      }
      const honest = w.runs.floodHonest;
      if (honest !== undefined) {
        checks.push({
          target: `an honest sign-in p99 < 500 ms while one source floods (${p.population}, ${w.workers} w)`,
          measured: `${ms(honest.p99)} ms`,
          met: honest.p99 < 500,
        });
      }
      const auth = w.runs.authenticate;
      if (auth !== undefined && w.hashesPerSecond !== null) {
        const value = auth.throughput / w.hashesPerSecond;
        checks.push({
          target: `authenticate ≥ 0.9× the hash alone and ≥ 100/s (${p.population}, ${w.workers} w)`,
          measured: `${value.toFixed(2)}×, ${auth.throughput}/s`,
          met: value >= 0.9 && auth.throughput >= 100,
        });
      }
      for (const [label, run] of [
        ['the sign-in page', w.runs.signinPage],
        ['a SAML sign-in', w.runs.samlAcs],
      ] as const) {
        if (run === undefined || auth === undefined) continue;
        const value = run.throughput / (authenticateReference(w.runs) || 1);
        checks.push({
          target: `${label} ≥ 0.9× authenticate's sign-ins/s (${p.population}, ${w.workers} w)`,
          measured: `${value.toFixed(2)}×, ${run.throughput}/s`,
          met: value >= 0.9,
        });
      }
      checks.push({ target: `start-up < 1 s (${p.population}, ${w.workers} w)`, measured: `${w.startupMs} ms`, met: w.startupMs < 1000 });
    }
    const one = single(p);
    if (one !== undefined) {
      const limit = p.population >= 1_000_000 ? 300 : 150;
      const peak = Math.max(one.rssIdle, ...Object.values(one.runs).map((run) => run.peakRss));
      checks.push({
        target: `RSS < ${limit} MB ${p.population >= 1_000_000 ? 'with' : 'idle, with'} ${p.population} sessions (1 worker; peak under load in brackets)`,
        measured: `${Math.round(one.rssIdle / MIB)} MiB (${Math.round(peak / MIB)} MiB)`,
        met: (p.population >= 1_000_000 ? peak : one.rssIdle) < limit * 1e6,
      });
    }
  }
  const small = engine.populations.find((p) => p.population <= 1_000);
  const large = engine.populations.find((p) => p.population >= 1_000_000);
  if (small !== undefined && large !== undefined) {
    for (const [label, pick] of [
      ['1 worker', single],
      ['best', best],
    ] as const) {
      const a = pick(small)?.runs.verifySession?.throughput;
      const b = pick(large)?.runs.verifySession?.throughput;
      if (a !== undefined && b !== undefined) {
        // Throughputs of different populations are compared through their own ceilings, so that a drift of the machine between them cancels out.
        const ra = a / (ceilingOf(small, defined(pick(small), 'the run at the small population').workers) || 1);
        const rb = b / (ceilingOf(large, defined(pick(large), 'the run at the large population').workers) || 1);
        checks.push({
          target: `verifySession at 1 000 000 sessions within 20 % of 1 000 (${label})`,
          measured: `${((rb / ra - 1) * 100).toFixed(0)} %`,
          met: rb >= 0.8 * ra,
        });
      }
    }
  }
  return checks;
}

export function markdownSummary(results: BenchResults): string {
  const lines = [
    `Bench of ${results.date} on ${results.machine.cores} × ${results.machine.cpu}, Node ${results.machine.node}, store ${results.engines.map((e) => e.store).join(' and ')}; ` +
      `${results.config.durationMs / 1000} s measured after ${results.config.warmupMs / 1000} s warm-up per run; load average at the start ${results.machine.load1}; ${results.totalSeconds} s in all.`,
    '',
  ];
  for (const { engine, populations } of results.engines) {
    for (const p of populations) lines.push(...populationTables(engine, p));
  }
  lines.push('### Targets', '', row(['target', 'measured', 'met']), row(['---', '---', '---']));
  for (const check of targetChecks(results)) lines.push(row([check.target, check.measured, check.met ? 'yes' : '**no**']));
  return lines.join('\n');
}

function populationTables(engine: string, p: PopulationResult): string[] {
  const lines = [
    `### ${engine}: ${p.population.toLocaleString('en')} users and sessions (seeded in ${p.seedSeconds} s)`,
    '',
    row(['run', 'req/s', 'ratio', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'server cores', 'server µs CPU/req']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const workers of Object.keys(p.ceiling)) {
    for (const [index, run] of (p.ceiling[workers] ?? []).entries()) {
      lines.push(
        defined(runRow(`ceiling, ${workers} process(es), ${index === 0 ? 'before' : 'after'}`, run, 0, ''), 'a ceiling row').replace(
          '| – |',
          '| 1 |',
        ),
      );
    }
  }
  for (const w of p.ssod) {
    const hashes = w.hashesPerSecond === null ? '' : `, argon2id alone ${w.hashesPerSecond}/s`;
    lines.push(
      row([
        `**ssod, ${w.workers} worker(s)**: ready in ${w.startupMs} ms, idle RSS ${Math.round(w.rssIdle / MIB)} MiB, renewals ${w.renewals}${hashes}, exit ${w.exitCode}`,
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ]),
    );
    lines.push(...workersTable(p, w));
  }
  lines.push('');
  return lines;
}
