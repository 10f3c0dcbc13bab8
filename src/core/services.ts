// What the domain and the protocol adapters share: plain modules over the async Store.
// Nothing here knows SOAP or HTTP (STYLE: the domain knows nothing of SOAP or HTTP).
import type { NodeOptions } from '../config/options.js';
import type { LiveSettings } from './liveSettings.js';
import type { Logger } from '../infra/log.js';
import type { Store } from './store/index.js';
import type { CertificateAuthority } from '../infra/keys/authority.js';
import type { PasswordHasher } from '../infra/hashing/passwords.js';

export interface Services {
  /** This node's options. The service settings are not here: read them from `settings`, which follows the store. */
  readonly options: NodeOptions;
  readonly settings: LiveSettings;
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly passwords: PasswordHasher;
  readonly log: Logger;
  /** The clock, in milliseconds since the epoch; replaceable in tests of expiry. */
  readonly now: () => number;
}

/** What an operator command opens: everything but the CA, which only the commands that issue certificates need. */
export type OperatorServices = Omit<Services, 'ca'>;
