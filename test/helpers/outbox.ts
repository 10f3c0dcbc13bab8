// What the outbox tests share: a context over a store, events to publish, a subscriber that records.
import type { DomainEvent, EventContext, StoredEvent } from '../../src/core/events.js';
import type { Subscriber } from '../../src/core/outbox.js';
import type { Store } from '../../src/core/store/index.js';
import { createLogger } from '../../src/infra/log.js';

export function contextOf(store: Store, lines: string[] = []): EventContext {
  return { store, now: Date.now, log: createLogger('warn', (line) => lines.push(line)) };
}

export function lockCleared(n: number): DomainEvent {
  return { type: 'lock.cleared', actor: 'operator', key: `login:user${n}` };
}

/** A subscriber that keeps the keys of the events it gets, failing while `failing` says so. */
export function recorder(
  name: string,
  failing: (stored: StoredEvent) => boolean = () => false,
  seen: string[] = [],
): Subscriber & { readonly seen: string[] } {
  return {
    name,
    startAtEnd: false,
    seen,
    deliver(_context, stored) {
      if (failing(stored)) return Promise.reject(new Error('subscriber down'));
      seen.push(stored.event.type === 'lock.cleared' ? stored.event.key : stored.event.type);
      return Promise.resolve();
    },
  };
}
