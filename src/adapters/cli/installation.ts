// The services an operator command works with, as the composition root (src/app/compose.ts) opens
// them and the binary hands them to each command: the installation's store and its service
// settings, found as `ssod serve` finds them but never created, and the certificate authority only
// for the commands that issue certificates. Commands work through the core's operator use cases
// (src/core/operator/), as a console would, so they work on every engine.
import type { Options } from '../../config/options.js';
import type { OperatorServices, Services, StoreServices } from '../../core/services.js';
import type { AdminKit } from '../../core/operator/admins.js';
import { installationOptions, type StoreFlags } from './common.js';

/** What the composition root gives the operator commands. */
export interface InstallationAccess {
  /** The existing store with a clock and a log: for commands that only read or clear records. */
  openStore(options: Options): Promise<StoreServices>;
  /** The services without a CA. */
  openServices(options: Options): Promise<OperatorServices>;
  /** The installation's existing CA; refused when there is none. */
  openCa(options: Options, services: OperatorServices): Promise<Services['ca']>;
  /** The installation's ticket keyring (docs/tickets.md); it makes no key. */
  openTickets(options: Options, services: OperatorServices): Promise<Services['tickets']>;
  /** What the admin console's administrators need: TOTP codes and the sealing of their secrets (`ssod admins`). */
  openAdminKit(options: Options, services: OperatorServices): Promise<AdminKit>;
  /** A new installation, made as `ssod serve` makes one (`ssod import --create`). */
  create(options: Options): Promise<void>;
}

async function closing<S extends { store: { close(): Promise<void> } }, T>(services: S, work: (services: S) => Promise<T>): Promise<T> {
  try {
    return await work(services);
  } finally {
    await services.store.close();
  }
}

/** Runs `work` on the installation's store and closes it, whatever happens. */
export async function withStore<T>(
  access: InstallationAccess,
  flags: StoreFlags,
  work: (services: StoreServices, options: Options) => Promise<T>,
): Promise<T> {
  const options = installationOptions(flags);
  return closing(await access.openStore(options), (services) => work(services, options));
}

/** Runs `work` with the installation's services (no CA) and closes the store, whatever happens. */
export async function withServices<T>(
  access: InstallationAccess,
  flags: StoreFlags,
  work: (services: OperatorServices, options: Options) => Promise<T>,
): Promise<T> {
  const options = installationOptions(flags);
  return closing(await access.openServices(options), (services) => work(services, options));
}

/** As withServices, with the installation's ticket keyring. */
export async function withTicketServices<T>(
  access: InstallationAccess,
  flags: StoreFlags,
  work: (services: Omit<Services, 'ca'>, options: Options) => Promise<T>,
): Promise<T> {
  return withServices(access, flags, async (services, options) =>
    work({ ...services, tickets: await access.openTickets(options, services) }, options),
  );
}

/** As withTicketServices, with the installation's certificate authority, which a command never creates. */
export async function withCaServices<T>(
  access: InstallationAccess,
  flags: StoreFlags,
  work: (services: Services, options: Options) => Promise<T>,
): Promise<T> {
  return withTicketServices(access, flags, async (services, options) =>
    work({ ...services, ca: await access.openCa(options, services) }, options),
  );
}
