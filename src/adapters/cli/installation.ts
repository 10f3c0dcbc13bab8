// The services an operator command works with: the installation's store and its service settings,
// found as `ssod serve` finds them but never created, and the certificate authority only for the
// commands that issue certificates. Commands go through the domain (src/domain/), as the SOAP
// operations do, and use the store only through the Store contract, so they work on every engine.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Options } from '../../config/options.js';
import { LiveSettings } from '../../core/liveSettings.js';
import type { CertificateAuthority } from '../../infra/keys/authority.js';
import { CA_FILES } from '../../infra/dataFiles.js';
import { createPasswordHasher } from '../../infra/hashing/passwords.js';
import type { OperatorServices, Services } from '../../core/services.js';
import { storeLocation } from '../../infra/store/location.js';
import type { Store } from '../../core/store/index.js';
import { createLogger } from '../../infra/log.js';
import { CliError, installationOptions, openInstallationStore, type StoreFlags } from './common.js';

/** Runs `work` with the installation's services (no CA) and closes the store, whatever happens. */
export async function withServices<T>(flags: StoreFlags, work: (services: OperatorServices, options: Options) => Promise<T>): Promise<T> {
  const options = installationOptions(flags);
  const store = await openInstallationStore(options);
  try {
    // Warnings only (a stored setting this ssod cannot read), on stderr: stdout is the command's answer.
    const log = createLogger('warn', (line) => process.stderr.write(line));
    // The settings in the store are the operator's last word; this command's environment does not overwrite them.
    const settings = await LiveSettings.open(store, { ...options, given: [] }, log, Date.now());
    const passwords = createPasswordHasher({ memoryKib: options.argon2MemoryKib, iterations: options.argon2Iterations });
    return await work({ options, settings, store, passwords, log, now: Date.now }, options);
  } finally {
    await store.close();
  }
}

/** As withServices, with the installation's certificate authority, which a command never creates. */
export async function withCaServices<T>(flags: StoreFlags, work: (services: Services, options: Options) => Promise<T>): Promise<T> {
  return withServices(flags, async (services, options) => {
    const ca = await openInstallationCa(options, services.store, services.settings.current().hostname);
    return work({ ...services, ca }, options);
  });
}

/**
 * The installation's CA: in the data directory (SQLite), or in the store sealed with the master key
 * (PostgreSQL). Refused when there is none: a new CA would orphan every issued certificate.
 */
export async function openInstallationCa(options: Pick<Options, 'dataDir' | 'store' | 'masterKeyFile'>, store: Store, hostname: string): Promise<CertificateAuthority> {
  // Loaded here, not at start: X.509 takes a third of a command's start-up, and most commands need no CA.
  const [{ CertificateAuthority }, material] = await Promise.all([import('../../infra/keys/authority.js'), import('../../infra/keys/material.js')]);
  if (storeLocation(options.store, options.dataDir).engine === 'postgres') {
    const masterKey = await material.requireMasterKey(options.masterKeyFile);
    if ((await store.getKeyMaterial('ca')) === null) {
      throw new CliError('no certificate authority in this PostgreSQL store: start a node on it once with `ssod serve`, or move an installation there with `ssod migrate-store`');
    }
    return CertificateAuthority.openIn(material.storePlace(store, masterKey), hostname);
  }
  for (const file of CA_FILES) {
    if (!existsSync(path.join(options.dataDir, file))) {
      throw new CliError(`no certificate authority in ${options.dataDir} (${file} is missing); give the installation's --data-dir, or restore its CA files`);
    }
  }
  return CertificateAuthority.open(options.dataDir, hostname);
}
