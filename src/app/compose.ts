// The one composition root: what the infrastructure (store engines, the CA, the hashing pool, the
// log) becomes as the core's services, for `ssod serve`, for the operator commands and for the
// benchmarks. Nothing else opens a store or a CA for the services.
import cluster from 'node:cluster';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import type { LookupFunction } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Options } from '../config/options.js';
import { LiveSettings } from '../core/liveSettings.js';
import { routingAuthenticator } from '../core/delegatedAuthenticator.js';
import { localAuthenticator } from '../core/localAuthenticator.js';
import type { SourceOpener } from '../core/ports/delegated.js';
import { Refusal } from '../core/refusal.js';
import { isOver, sessionCutoff } from '../core/sessions.js';
import type { OperatorServices, Services, StoreServices } from '../core/services.js';
import { StoreSourceRegistry } from '../core/sources.js';
import type { Store } from '../core/store/index.js';
import { upgradeLoginKeys } from '../core/users.js';
import { makeFirstTicketKey } from '../core/operator/tickets.js';
import { CA_FILES } from '../infra/dataFiles.js';
import type { PasswordHasher } from '../core/ports/passwords.js';
import type { TicketKeyring } from '../core/ports/tickets.js';
import type { AdminKit } from '../core/operator/admins.js';
import { createPasswordHasher } from '../infra/hashing/passwords.js';
import type { CertificateAuthority } from '../infra/keys/authority.js';
import { createLogger, type Logger } from '../infra/log.js';
import { storeLocation } from '../infra/store/location.js';
import { openSource } from '../infra/sources/index.js';
import { openStore } from '../infra/store/open.js';
import type { InstallationAccess } from '../adapters/cli/installation.js';

export interface StartOptions {
  /** Where log lines go; stdout by default. */
  readonly logger?: Logger;
  /** Replaces the clock (tests of expiry). */
  readonly now?: () => number;
  /** Replaces how delegated sources are opened (tests of the core's rules with a source of their own). */
  readonly openSource?: SourceOpener;
  /** Replaces how the host names of receivers of logon tickets are resolved for the back-channel logout (tests: on the loopback address). */
  readonly receiverLookup?: LookupFunction;
  /**
   * The CA that On Session Start callback endpoints registered without a CA of their own must chain
   * to, instead of the system's CAs (tests: their endpoints' certificates come from a test CA).
   */
  readonly sessionStartCaPem?: string;
}

/** The delegated sources as this node follows them, and the authenticator that routes each user to its source or the local hash. */
function delegatedServices(
  parts: Pick<OperatorServices, 'options' | 'settings' | 'store' | 'passwords' | 'log' | 'now'>,
  open: SourceOpener = (settings) => openSource(settings, { log: parts.log }),
): Pick<OperatorServices, 'sources' | 'authenticator'> {
  const sources = new StoreSourceRegistry({ store: parts.store, settings: parts.settings, open, log: parts.log, now: parts.now });
  const authenticator = routingAuthenticator(localAuthenticator(parts), sources, parts.options.maxPasswordBytes);
  return { sources, authenticator };
}

/** The password hasher of this node's options. */
export function passwordHasherFor(options: Pick<Options, 'argon2MemoryKib' | 'argon2Iterations'>): PasswordHasher {
  return createPasswordHasher({ memoryKib: options.argon2MemoryKib, iterations: options.argon2Iterations });
}

// X.509 takes a third of a command's start-up, and most commands need no CA: loaded when one is opened.
const keys = async () => {
  const [authority, material] = await Promise.all([import('../infra/keys/authority.js'), import('../infra/keys/material.js')]);
  return { CertificateAuthority: authority.CertificateAuthority, ...material };
};
// The admin console's TOTP (otpauth) and the sealing of its secrets: only the console and `ssod admins` load them.
const adminKeys = async () => {
  const [totp, secrets] = await Promise.all([import('../infra/console/totp.js'), import('../infra/keys/adminSecrets.js')]);
  return { oneTimeCodes: totp.oneTimeCodes, caDerivedSealer: secrets.caDerivedSealer };
};
// jose, likewise: only `ssod serve` and the commands that sign tickets load it.
const ticketKeys = () => import('../infra/keys/tickets.js');

/**
 * The services of `ssod serve` (and of the cluster primary, the tests' servers and the benchmarks):
 * the store, made when there is none, the CA, made when there is none, the settings and the hasher.
 */
export async function openServices(options: Options, start: StartOptions = {}): Promise<Services> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const log = start.logger ?? createLogger(options.logLevel);
  const now = start.now ?? Date.now;
  const location = storeLocation(options.store, options.dataDir);
  const { CertificateAuthority, keyMaterialPlaceFor, requireMasterKey } = await keys();
  // Checked before connecting: a PostgreSQL node cannot serve without the master key.
  const masterKey = location.engine === 'postgres' ? await requireMasterKey(options.masterKeyFile) : null;
  if (masterKey === null && options.masterKeyFile !== '') log.warn('masterKeyFile is used only with a PostgreSQL store; ignored');
  // The settings are read from the store once it is open; the cache asks them only when answering.
  let settings: LiveSettings | undefined;
  // A worker of `ssod serve --workers N` skips the page check: its primary has just made it.
  const store = await openStore(location, {
    poolSize: options.storePoolSize,
    logger: log,
    dataDir: options.dataDir,
    checkPages: !cluster.isWorker,
    sessionCache: {
      boundMs: options.sessionCacheMs,
      maxEntries: options.sessionCacheEntries,
      // A kept session within the bound of its end is read again (docs/DECISIONS.md "verifySession cache on PostgreSQL").
      answerable: (global) => settings !== undefined && !isOver(global, sessionCutoff({ settings }, now() + options.sessionCacheMs)),
    },
  });
  try {
    settings = await LiveSettings.open(store, options, log, now());
    await upgradeLoginKeys({ store, log, now });
    const ca = await CertificateAuthority.openIn(
      keyMaterialPlaceFor(store, masterKey, options.dataDir, now),
      settings.current().hostname,
      now,
    );
    const tickets = (await ticketKeys()).openTicketKeyring(store, masterKey, options.dataDir, now);
    await makeFirstTicketKey({ store, tickets, log, now });
    const passwords = passwordHasherFor(options);
    // A local user's password is checked against the local hash, a delegated user's by its source.
    const { sources, authenticator } = delegatedServices({ options, settings, store, passwords, log, now }, start.openSource);
    return { options, settings, store, ca, passwords, authenticator, sources, tickets, log, now };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Opens the installation's existing store (SQLite, or the PostgreSQL database that its nodes
 * share). An operator command never creates a SQLite store: a wrong --data-dir must not quietly
 * give an empty installation.
 */
async function openExistingStore(options: Options): Promise<Store> {
  const location = storeLocation(options.store, options.dataDir);
  if (location.engine === 'sqlite') {
    let code: string | undefined;
    try {
      statSync(location.path);
    } catch (error) {
      code = (error as NodeJS.ErrnoException).code ?? 'ENOENT';
    }
    // A store the user cannot reach is not a missing one: most often the command runs as another user than the server.
    if (code === 'EACCES') {
      const dir = path.dirname(path.resolve(location.path));
      throw new Refusal(
        `cannot read the ssod store ${location.path} (EACCES): user ${os.userInfo().username} may not enter ${dir}; run the command as the user that runs \`ssod serve\`, the owner of ${dir} (\`ls -ld ${dir}\`; e.g. \`sudo -u ssod ssod …\`)`,
      );
    }
    if (code !== undefined) {
      throw new Refusal(
        `no ssod store at ${location.path}; give the installation's --data-dir or --store (or set SSOD_DATA_DIR / SSOD_STORE), or start it once with \`ssod serve\``,
      );
    }
  }
  return openStore(location, { poolSize: 2, existingOnly: true });
}

/** Problems go to stderr: stdout is the command's answer. */
const stderrLogger = (level: 'warn' | 'error'): Logger => createLogger(level, (line) => process.stderr.write(line));

/** The existing store with a clock and a log (errors only): what reading and auditing need. */
export async function openOperatorStore(options: Options): Promise<StoreServices> {
  return { store: await openExistingStore(options), now: Date.now, log: stderrLogger('error') };
}

/** The services of an operator command, without a CA (see openOperatorCa); the store is never created. */
export async function openOperatorServices(options: Options): Promise<OperatorServices> {
  const store = await openExistingStore(options);
  try {
    // Warnings only (a stored setting this ssod cannot read).
    const log = stderrLogger('warn');
    // The settings in the store are the operator's last word; this command's environment does not overwrite them.
    const settings = await LiveSettings.open(store, { ...options, given: [] }, log, Date.now());
    const passwords = passwordHasherFor(options);
    const parts = { options, settings, store, passwords, log, now: Date.now };
    return { ...parts, ...delegatedServices(parts) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The installation's CA: in the data directory (SQLite), or in the store sealed with the master key
 * (PostgreSQL). Refused when there is none: a new CA would orphan every issued certificate.
 */
export async function openOperatorCa(options: Options, services: OperatorServices): Promise<CertificateAuthority> {
  const { CertificateAuthority, requireMasterKey, storePlace } = await keys();
  const hostname = services.settings.current().hostname;
  if (storeLocation(options.store, options.dataDir).engine === 'postgres') {
    const masterKey = await requireMasterKey(options.masterKeyFile);
    if ((await services.store.getKeyMaterial('ca')) === null) {
      throw new Refusal(
        'no certificate authority in this PostgreSQL store; start a node on it once with `ssod serve`, or move an installation there with `ssod migrate-store`',
      );
    }
    return CertificateAuthority.openIn(storePlace(services.store, masterKey, services.now), hostname, services.now);
  }
  for (const file of CA_FILES) {
    if (!existsSync(path.join(options.dataDir, file))) {
      throw new Refusal(
        `no certificate authority in ${options.dataDir} (${file} is missing); give the installation's --data-dir, or restore its CA files`,
      );
    }
  }
  return CertificateAuthority.open(options.dataDir, hostname, services.now);
}

/**
 * The installation's ticket keyring (docs/tickets.md): keys sealed in the store with the master key
 * (PostgreSQL) or in files of the data directory (SQLite). It makes no key: `ssod serve` makes the first.
 */
export async function openOperatorTickets(options: Options, services: OperatorServices): Promise<TicketKeyring> {
  const postgres = storeLocation(options.store, options.dataDir).engine === 'postgres';
  const masterKey = postgres ? await (await keys()).requireMasterKey(options.masterKeyFile) : null;
  return (await ticketKeys()).openTicketKeyring(services.store, masterKey, options.dataDir, services.now);
}

/**
 * What the admin console's administrators need (docs/admin-console.md): the TOTP codes, and the
 * sealing of their secrets with a key derived from the installation's CA key, wherever it is kept.
 * Refused when the installation has no CA yet.
 */
export async function openAdminKit(options: Pick<Options, 'store' | 'dataDir' | 'masterKeyFile'>, store: Store): Promise<AdminKit> {
  const postgres = storeLocation(options.store, options.dataDir).engine === 'postgres';
  const { keyMaterialPlaceFor, requireMasterKey } = await keys();
  const masterKey = postgres ? await requireMasterKey(options.masterKeyFile) : null;
  const { oneTimeCodes, caDerivedSealer } = await adminKeys();
  return { codes: oneTimeCodes, sealer: await caDerivedSealer(keyMaterialPlaceFor(store, masterKey, options.dataDir, Date.now)) };
}

/** A new installation (store, CA, server certificate), made as `ssod serve` makes it, then closed. */
export async function createInstallation(options: Options): Promise<void> {
  const services = await openServices(options, { logger: stderrLogger('warn') });
  await services.store.close();
}

/** What the binary hands the operator commands. */
export const installationAccess: InstallationAccess = {
  openStore: openOperatorStore,
  openServices: openOperatorServices,
  openCa: openOperatorCa,
  openTickets: openOperatorTickets,
  openAdminKit: (options, services) => openAdminKit(options, services.store),
  create: createInstallation,
};
