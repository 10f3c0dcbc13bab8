// What the domain and the protocol adapters share: plain modules over the async Store.
// Nothing here knows SOAP or HTTP (STYLE: the domain knows nothing of SOAP or HTTP).
import type { Options } from '../config/options.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import type { CertificateAuthority } from './ca.js';
import type { PasswordHasher } from './passwords.js';

export interface Services {
  readonly options: Options;
  readonly store: Store;
  readonly ca: CertificateAuthority;
  readonly passwords: PasswordHasher;
  readonly log: Logger;
  /** The clock, in milliseconds since the epoch; replaceable in tests of expiry. */
  readonly now: () => number;
}
