// Back-channel logout to the receivers of logon tickets (docs/tickets.md "Logout"): a subscriber of
// the outbox (core/outbox.ts) that, when sessions end (closeSession, the relay's logout, an operator,
// a disabled or deleted user, a password change that ends sessions), signs a logout token for each
// receiver that was issued a ticket of them and sends it through the LogoutSender port: at once,
// after 1 s, after 4 s; then it gives up, logs it and records `receiver.logoutFailed` in the audit
// trail. Either way the grants are forgotten once the tries are over.
//
// The tries run beside the dispatcher, not in it: a receiver that is down (up to 29 s of tries) never
// holds up the next event, another receiver, or the other subscribers. The price: a node that stops
// in the middle of the tries does not finish them (it logs which receivers it did not reach), since
// the outbox cursor has moved on; the grants stay, and a later logout of the user reaches them.
import { forgetGrants, grantsToNotify, receiverNamed, signLogoutToken, type TicketGrant, type TicketReceiver } from './tickets.js';
import { publish, type Actor, type DomainEvent, type EventContext, type StoredEvent } from './events.js';
import type { Subscriber } from './outbox.js';
import type { LogoutAttempt, LogoutSender } from './ports/logoutSender.js';
import type { Services } from './services.js';

/** The waits before the second and the third try. */
const RETRY_DELAYS_MS: readonly number[] = [1000, 4000];

/** The events that end sessions. */
const SESSION_ENDING_EVENTS: ReadonlySet<string> = new Set(['session.ended', 'user.disabled', 'user.deleted']);

/** What ended: one global session, or (globalId null) every session of the user. */
export interface EndedSessions {
  readonly userId: string;
  readonly globalId: string | null;
}

/** Whether events of this type end sessions: the server runs its dispatcher at once after one. */
export function endsSessions(type: string): boolean {
  return SESSION_ENDING_EVENTS.has(type);
}

/** The sessions an event ended; null for an event that ends none. */
export function endedSessions(event: DomainEvent): EndedSessions | null {
  switch (event.type) {
    case 'session.ended':
      return { userId: event.userId, globalId: event.globalId ?? null };
    case 'user.disabled':
    case 'user.deleted':
      return { userId: event.userId, globalId: null };
    default:
      return null;
  }
}

/** The grants by receiver: one logout token per receiver, whatever number of its tickets the sessions had. */
function byReceiver(grants: readonly TicketGrant[]): Map<string, TicketGrant[]> {
  const grouped = new Map<string, TicketGrant[]>();
  for (const grant of grants) grouped.set(grant.receiver, [...(grouped.get(grant.receiver) ?? []), grant]);
  return grouped;
}

export interface TicketLogoutOptions {
  /** The waits before each try after the first (tests shorten them). */
  readonly retryDelaysMs?: readonly number[];
}

/** One logout token on its way to one receiver. */
interface Notice {
  readonly receiver: TicketReceiver;
  readonly grants: readonly TicketGrant[];
  readonly logoutToken: string;
  readonly ended: EndedSessions;
  readonly actor: Actor;
}

export class TicketLogout implements Subscriber {
  readonly name = 'ticketLogout';
  /** Logout concerns sessions that end from now on: tickets issued before a first start have no grants. */
  readonly startAtEnd = true;
  readonly #services: () => Services;
  readonly #sender: LogoutSender;
  readonly #delays: readonly number[];
  readonly #notices = new Set<Promise<void>>();
  readonly #waits = new Set<() => void>();
  #stopping = false;

  /** `services` is read at each event: the server's services once its listeners are bound (the relay URL names the real port). */
  constructor(services: () => Services, sender: LogoutSender, options: TicketLogoutOptions = {}) {
    this.#services = services;
    this.#sender = sender;
    this.#delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Signs the tokens and sets them on their way; a failure to read the grants or to sign is the dispatcher's to retry. */
  async deliver(_context: EventContext, stored: StoredEvent): Promise<void> {
    const ended = endedSessions(stored.event);
    if (ended === null || this.#stopping) return;
    const services = this.#services();
    const grants = await grantsToNotify(services, ended);
    for (const [name, ofReceiver] of byReceiver(grants)) {
      const receiver = await receiverNamed(services, name);
      if (receiver === null) {
        // Removed since: there is nobody to tell.
        await forgetGrants(services, ofReceiver);
        continue;
      }
      const logoutToken = await signLogoutToken(services, receiver, { userId: ended.userId, sid: ended.globalId });
      this.#start({ receiver, grants: ofReceiver, logoutToken, ended, actor: stored.event.actor });
    }
  }

  /** Ends the tries in flight (the server stops) and waits for them to settle. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#sender.close();
    for (const wake of [...this.#waits]) wake();
    await Promise.all([...this.#notices]);
  }

  /** Resolves when every notice set on its way so far has settled (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.#notices]);
  }

  #start(notice: Notice): void {
    const running = this.#notify(notice)
      .catch((error: unknown) => {
        this.#services().log.error('back-channel logout failed', {
          receiver: notice.receiver.name,
          error: error instanceof Error ? error.message : String(error),
        });
      })
      .finally(() => this.#notices.delete(running));
    this.#notices.add(running);
  }

  async #notify(notice: Notice): Promise<void> {
    const { receiver } = notice;
    const delivery = { url: `${receiver.url}logout`, caPem: receiver.caPem, logoutToken: notice.logoutToken };
    let attempt: LogoutAttempt = await this.#sender.send(delivery);
    let tries = 1;
    for (const delay of this.#delays) {
      if (attempt.delivered || this.#stopping) break;
      await this.#wait(delay);
      if (this.#stopped()) break;
      attempt = await this.#sender.send(delivery);
      tries += 1;
    }
    const services = this.#services();
    const fields = { receiver: receiver.name, domain: receiver.domain, userId: notice.ended.userId, sid: notice.ended.globalId, tries };
    if (attempt.delivered) {
      services.log.info('logout delivered to a receiver', fields);
    } else if (this.#stopping) {
      // The grants stay: a later logout of the user reaches this receiver.
      services.log.warn('logout not delivered to a receiver: the server stopped', { ...fields, reason: attempt.reason });
      return;
    } else {
      services.log.warn('a receiver did not take the logout token; given up', { ...fields, reason: attempt.reason });
      await publish(services, {
        type: 'receiver.logoutFailed',
        actor: notice.actor,
        name: receiver.name,
        domain: receiver.domain,
        userId: notice.ended.userId,
        sid: notice.ended.globalId,
        tries,
        reason: attempt.reason,
      });
    }
    await forgetGrants(services, notice.grants);
  }

  /** Whether stop() came (read after an await: it may have come meanwhile). */
  #stopped(): boolean {
    return this.#stopping;
  }

  /** A pause that stop() cuts short. */
  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waits.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#waits.add(wake);
    });
  }
}
