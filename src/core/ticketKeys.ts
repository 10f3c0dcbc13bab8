// The states of the ticket-signing keys (docs/tickets.md "Rotation"), computed from their stored times
// alone, so that every node agrees without a background job: which key signs now, which are
// published in the key set, and until when a key that stopped signing stays published.
import type { TicketKeyRecord } from './store/index.js';

export type TicketKeyState = 'pending' | 'signing' | 'retiring' | 'retired' | 'revoked';

/** `ssod tickets rotate`: a new key signs this long after it is published (twice the key set's cache time). */
export const ROTATION_DELAY_MS = 10 * 60_000;
/** A retiring key stays published this long after the last ticket it signed expired (clocks of receivers). */
export const RETIRING_MARGIN_MS = 2 * 60_000;

export interface TicketKeyStatus {
  readonly key: TicketKeyRecord;
  readonly state: TicketKeyState;
  /**
   * Until when it is published: null while it is pending or signing (no end yet); for a retiring or
   * retired key, when it stopped signing + ticketLifetime + RETIRING_MARGIN_MS; for a revoked one, its revocation.
   */
  readonly publishedUntil: number | null;
}

/** Whether `a` is newer than `b`: created later (then the greater kid, so that every node picks the same). */
function newer(a: TicketKeyRecord, b: TicketKeyRecord): boolean {
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.kid > b.kid;
}

function revokedBy(key: TicketKeyRecord, at: number): boolean {
  return key.revokedAt !== null && key.revokedAt <= at;
}

/** The key that signs at `at`: the newest whose signsFrom has come and that is not revoked; null when none. */
export function signerAt(keys: readonly TicketKeyRecord[], at: number): TicketKeyRecord | null {
  let signer: TicketKeyRecord | null = null;
  for (const key of keys) {
    if (key.signsFrom <= at && !revokedBy(key, at) && (signer === null || newer(key, signer))) signer = key;
  }
  return signer;
}

/**
 * When `key` last stopped signing before `now`, or null when it never signed. The signer changes only
 * at a key's signsFrom or revokedAt, so those moments are the only ones to look at.
 */
function stoppedSigningAt(keys: readonly TicketKeyRecord[], key: TicketKeyRecord, now: number): number | null {
  const moments = [...new Set(keys.flatMap((k) => [k.signsFrom, ...(k.revokedAt === null ? [] : [k.revokedAt])]))]
    .filter((at) => at <= now)
    .sort((a, b) => a - b);
  let stopped: number | null = null;
  let signing = false;
  for (const at of moments) {
    const signsNow = signerAt(keys, at)?.kid === key.kid;
    if (signing && !signsNow) stopped = at;
    signing = signsNow;
  }
  return stopped;
}

/** The state of every key at `now`, in the order given; `ticketLifetimeMs` is the current ticketLifetime setting. */
export function ticketKeyStates(keys: readonly TicketKeyRecord[], now: number, ticketLifetimeMs: number): TicketKeyStatus[] {
  const signer = signerAt(keys, now);
  return keys.map((key): TicketKeyStatus => {
    if (revokedBy(key, now)) return { key, state: 'revoked', publishedUntil: key.revokedAt };
    if (key.signsFrom > now) return { key, state: 'pending', publishedUntil: null };
    if (signer?.kid === key.kid) return { key, state: 'signing', publishedUntil: null };
    const stopped = stoppedSigningAt(keys, key, now);
    // A key superseded before its signsFrom came never signed a ticket: nothing to keep it published for.
    if (stopped === null) return { key, state: 'retired', publishedUntil: key.signsFrom };
    const publishedUntil = stopped + ticketLifetimeMs + RETIRING_MARGIN_MS;
    return { key, state: publishedUntil > now ? 'retiring' : 'retired', publishedUntil };
  });
}

/** Whether a key of this state is in the key set. */
export function isPublished(state: TicketKeyState): boolean {
  return state === 'pending' || state === 'signing' || state === 'retiring';
}
