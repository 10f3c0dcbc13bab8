// What the domain and the protocol adapters share: plain modules over the async Store and the
// core's ports (src/core/ports), which the composition root (src/app) fills with infra.
// Nothing here knows SOAP or HTTP (STYLE: the domain knows nothing of SOAP or HTTP).
import type { NodeOptions } from '../config/options.js';
import type { LiveSettings } from './liveSettings.js';
import type { CertificateAuthority } from './ports/certificates.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { PasswordHasher } from './ports/passwords.js';
import type { Store } from './store/index.js';
import type { Authenticator } from './ports/authenticator.js';
import type { SourceRegistry } from './ports/delegated.js';
import type { TicketKeyring } from './ports/tickets.js';
import type { SessionStartCaller } from './ports/sessionStartCaller.js';

export interface Services {
  /** This node's options. The service settings are not here: read them from `settings`, which follows the store. */
  readonly options: NodeOptions;
  readonly settings: LiveSettings;
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly passwords: PasswordHasher;
  /** Where passwords are checked (core/ports/authenticator.ts); the composition root picks it. */
  readonly authenticator: Authenticator;
  /** The delegated sources (docs/FEDERATION.md) as this node follows them from the store (core/sources.ts). */
  readonly sources: SourceRegistry;
  /** The ticket-signing keys (docs/tickets.md), as this node follows them from the store. */
  readonly tickets: TicketKeyring;
  readonly log: Logger;
  /** The clock, in milliseconds since the epoch; replaceable in tests of expiry. */
  readonly now: Clock;
  /**
   * Hears of each event, by its type, once publish has put it in the outbox: the server nudges its
   * outbox dispatcher with it, so that a logout reaches the receivers at once (core/ticketLogout.ts).
   */
  readonly eventPublished?: (type: string) => void;
  /**
   * Calls the On Session Start callbacks (docs/groups.md); the server sets it. Without it (operator
   * commands, in-process tests of the SOAP API) no callback is called.
   */
  readonly sessionStartCaller?: SessionStartCaller;
  /**
   * Sets the initial values an On Session Start reply gives (core/sessionVariables.ts
   * setInitialVariables), set by the server beside sessionStartCaller: the session-start module
   * cannot import it (sessions → sessionStart → sessionVariables → callers → sessions would be a cycle).
   */
  readonly setInitialVariables?: (
    services: Services,
    globalId: string,
    applicationId: string,
    values: Readonly<Record<string, string>>,
  ) => Promise<void>;
}

/**
 * What an operator command opens: everything but the CA, which only the commands that issue
 * certificates need, and the ticket keyring, which only `ssod tickets` needs.
 */
export type OperatorServices = Omit<Services, 'ca' | 'tickets'>;

/** The store with a clock and a log: what reading the store and recording audit events need. */
export type StoreServices = Pick<Services, 'store' | 'now' | 'log'>;
