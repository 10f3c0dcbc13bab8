// Changing the service's host name (the Business Manager documentation: `integration --command=update --hostname=NAME`).
//
// How the command and running servers agree on the certificate: the command re-issues the server
// certificate and writes server.key and server.crt to the data directory first, and changes the
// hostname setting in the store after; a running server that sees the setting change (LiveSettings)
// loads those files when they name the new host (CertificateAuthority.setHostname) and swaps its
// TLS context. Applications keep working: their client certificates come from the same CA.
import { serverHostName } from './hosts.js';
import { requireReachableHostname, resolveHostname, type Resolution } from './mode.js';
import type { ServerCredentials } from './ports/certificates.js';
import type { RefusalOverride } from './refusal.js';
import type { Services } from './services.js';
import { changeSettings, type SettingChange } from './settings.js';

export interface HostnameChange {
  readonly change: SettingChange<'hostname'> | null;
  readonly server: ServerCredentials;
  /** What the name resolved to here (multiple-panels mode refuses a name that does not resolve). */
  readonly resolution: Resolution | null;
}

export interface HostnameOptions {
  /** What the operator has acknowledged (core/refusal.ts): 'unresolvedHostname' changes the name without checking that it resolves. */
  readonly acknowledged?: readonly RefusalOverride[];
  readonly dnsTimeoutMs?: number;
}

export async function changeHostname(
  services: Pick<Services, 'store' | 'settings' | 'ca' | 'now' | 'log'>,
  hostname: string,
  options: HostnameOptions = {},
): Promise<HostnameChange> {
  const { name } = serverHostName(hostname);
  const current = services.settings.current();
  let resolution: Resolution | null = null;
  if (options.acknowledged?.includes('unresolvedHostname') !== true) {
    // In multiple-panels mode applications on other hosts use the name at once: it must resolve.
    // In single-panel mode only browsers (the relay) use it, and the Business Manager documentation sets the name before the
    // DNS is checked and the mode switched, so a name that does not resolve yet is only reported.
    resolution =
      current.mode === 'multiple-panels'
        ? await requireReachableHostname(name, options.dnsTimeoutMs)
        : await resolveHostname(name, options.dnsTimeoutMs);
  }
  if (name === current.hostname && services.ca.serverCredentials().hostname === name) {
    return { change: null, server: services.ca.serverCredentials(), resolution };
  }
  const server = await services.ca.setHostname(name);
  const [change] = await changeSettings(services, { hostname: name });
  services.log.info('server certificate re-issued for the host name', { hostname: name });
  return { change: change as SettingChange<'hostname'>, server, resolution };
}
