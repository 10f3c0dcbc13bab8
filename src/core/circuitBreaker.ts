// The circuit breaker in front of each delegated source (docs/FEDERATION.md "When the directory is
// down"): after delegatedSourceFailures transport failures in a row (the source could not be
// asked: refused, timed out, TLS failed) the circuit opens, and for delegatedSourceOpenSeconds every
// check through it fails at once with cause `unavailable`, detail `circuit open`, without reaching
// the source: a directory that is down is not kept down by sign-ins queueing on it, and users wait
// no timeout each. Then the circuit is half open: one check is let through; an answer from the
// source (yes, or no) closes it, another transport failure opens it again. Only `unavailable`
// counts: a wrong password or a malformed reply shows that the source answered.
//
// The state is this node's (each node learns on its own whether it can reach the source). It is
// policy, so it lives in the core; the source behind it is the infrastructure's
// (src/infra/sources), which promises to end every call within its timeouts: the breaker also stops
// waiting a little after them, so that a call never hangs a sign-in.
import type {
  DelegatedPasswordCheck,
  DelegatedSource,
  PassThroughAnswer,
  PassThroughCheck,
  PassThroughSource,
  SourceAnswer,
  SourceHealth,
  SourceKind,
} from './ports/delegated.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';

/** When the circuit opens and for how long (the service settings delegatedSourceFailures and delegatedSourceOpenSeconds). */
export interface BreakerPolicy {
  readonly failuresToOpen: number;
  readonly openMs: number;
}

/** The answer of every check refused while the circuit is open. */
export const CIRCUIT_OPEN = 'circuit open';

/** How much longer than the source's own timeout a call is waited for before it counts as unavailable. */
const WATCHDOG_SLACK_MS = 2000;

type Failure = { readonly ok: false; readonly cause: 'unavailable'; readonly detail: string };
type Answer = SourceAnswer | PassThroughAnswer;

function unavailable(detail: string): Failure {
  return { ok: false, cause: 'unavailable', detail };
}

/** Whether the source can also answer pass-through requests (a web service). */
export function isPassThroughSource(source: DelegatedSource): source is PassThroughSource {
  return typeof (source as Partial<PassThroughSource>).checkPassThrough === 'function';
}

export interface CircuitDeps {
  readonly policy: () => BreakerPolicy;
  readonly now: Clock;
  readonly log: Logger;
}

/** One source's circuit: closed, open until a time, or half open with one check in flight. */
export class Circuit {
  readonly #name: string;
  readonly #deps: CircuitDeps;
  #state: SourceHealth['circuit'] = 'closed';
  #failures = 0;
  #openedAt = 0;
  #probing = false;
  #lastFailure: string | null = null;

  constructor(name: string, deps: CircuitDeps) {
    this.#name = name;
    this.#deps = deps;
  }

  get state(): SourceHealth['circuit'] {
    // An open circuit whose time is up shows as half open: the next check will try the source.
    if (this.#state === 'open' && this.#deps.now() - this.#openedAt >= this.#deps.policy().openMs) return 'halfOpen';
    return this.#state;
  }

  get lastFailure(): string | null {
    return this.#lastFailure;
  }

  /** Runs `call` unless the circuit refuses it, and learns from its answer. */
  async run<T extends Answer>(call: () => Promise<T>, timeoutMs: number): Promise<T | Failure> {
    const admitted = this.#admit();
    if (admitted === 'refuse') return unavailable(CIRCUIT_OPEN);
    let answer: T | Failure;
    try {
      answer = await withWatchdog(call, timeoutMs + WATCHDOG_SLACK_MS);
    } catch (error) {
      // A source never throws for what the far side did (core/ports/delegated.ts); if one does, it could not be asked.
      this.#deps.log.error('delegated source failed', {
        source: this.#name,
        error: error instanceof Error ? error.message : String(error),
      });
      answer = unavailable(`the source failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (admitted === 'probe') this.#probing = false;
    }
    this.#learn(answer, admitted === 'probe');
    return answer;
  }

  #admit(): 'call' | 'probe' | 'refuse' {
    if (this.#state === 'open') {
      if (this.#deps.now() - this.#openedAt < this.#deps.policy().openMs) return 'refuse';
      this.#state = 'halfOpen';
    }
    if (this.#state === 'halfOpen') {
      if (this.#probing) return 'refuse';
      this.#probing = true;
      return 'probe';
    }
    return 'call';
  }

  #learn(answer: Answer, probe: boolean): void {
    if (!answer.ok && answer.cause === 'unavailable') {
      this.#lastFailure = answer.detail;
      if (probe) this.#open(answer.detail, true);
      // Checks let through before the circuit opened that fail after it did change nothing more.
      else if (this.#state === 'closed' && ++this.#failures >= this.#deps.policy().failuresToOpen) this.#open(answer.detail, false);
      return;
    }
    this.#failures = 0;
    // A check let through before the circuit opened may answer after it did: only the probe closes it.
    if (this.#state === 'closed' || !probe) return;
    this.#state = 'closed';
    this.#lastFailure = null;
    this.#deps.log.info('delegated source answers again: circuit closed', { source: this.#name });
  }

  #open(detail: string, again: boolean): void {
    this.#state = 'open';
    this.#openedAt = this.#deps.now();
    const seconds = Math.round(this.#deps.policy().openMs / 1000);
    if (again) this.#deps.log.warn('delegated source still unavailable: circuit open again', { source: this.#name, detail, seconds });
    else
      this.#deps.log.warn('delegated source unavailable: circuit open, its sign-ins fail at once', {
        source: this.#name,
        failures: this.#failures,
        detail,
        seconds,
      });
  }
}

/** The call's answer, or `unavailable` when it has not answered within `ms` (a source that broke its promise to time out). */
async function withWatchdog<T extends Answer>(call: () => Promise<T>, ms: number): Promise<T | Failure> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Failure>((resolve) => {
    timer = setTimeout(() => {
      resolve(unavailable(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([call(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A source behind its circuit: the same port, pass-through kept when the source has it. */
export interface GuardedSource extends DelegatedSource {
  readonly circuit: Circuit;
}

/** Puts `source` behind `circuit`; `timeoutMs` is the source's own timeout for a whole call. */
export function guardedSource(
  source: DelegatedSource,
  circuit: Circuit,
  timeoutMs: number,
): GuardedSource | (GuardedSource & PassThroughSource) {
  const guarded: GuardedSource = {
    kind: source.kind,
    circuit,
    checkPassword: (check: DelegatedPasswordCheck) => circuit.run(() => source.checkPassword(check), timeoutMs),
    close: () => source.close(),
  };
  if (!isPassThroughSource(source)) return guarded;
  return { ...guarded, checkPassThrough: (check: PassThroughCheck) => circuit.run(() => source.checkPassThrough(check), timeoutMs) };
}

/** A source that cannot be used (its settings are unreadable, or it could not be opened): every check is `unavailable` with why. */
export function failingSource(kind: SourceKind, detail: string): DelegatedSource {
  return {
    kind,
    checkPassword: () => Promise.resolve(unavailable(detail)),
    close: () => Promise.resolve(),
  };
}
