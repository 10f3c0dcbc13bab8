// `ssod hostname`: shows the service's host name, or changes it and re-issues the server
// certificate (core/hostname.ts); running servers load the new certificate without a restart.
import { X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import { SETTINGS_REFRESH_MS } from '../../core/liveSettings.js';
import { fingerprintOf } from '../../core/fingerprint.js';
import { changeHostname, type HostnameOptions } from '../../core/hostname.js';
import { acknowledgedBy, action, fields, isoTime, print, storeCommand, type StoreFlags } from './common.js';
import { withCaServices, withServices, type InstallationAccess } from './installation.js';

interface HostnameFlags extends StoreFlags {
  readonly skipDnsCheck?: boolean;
}

/** Changes the host name; shared with `ssod integration --command=update`. */
export async function setHostname(
  access: InstallationAccess,
  flags: StoreFlags,
  hostname: string,
  options: HostnameOptions,
): Promise<void> {
  await withCaServices(access, flags, async (services) => {
    const result = await changeHostname(services, hostname, options);
    const certificate = new X509Certificate(result.server.cert);
    const server = {
      hostname: result.server.hostname,
      names: certificate.subjectAltName ?? '',
      fingerprint: fingerprintOf(certificate.raw),
      notAfter: isoTime(Date.parse(certificate.validTo)),
    };
    const lines: string[] = [];
    if (result.change === null) lines.push(`The host name is ${result.server.hostname} already; nothing changed.`);
    else {
      lines.push(`hostname: ${result.change.from} -> ${result.change.to}`);
      lines.push(`Server certificate re-issued for ${server.names}; valid until ${server.notAfter}.`);
      lines.push(
        `Running servers load it and getSettings reports the relay URL with the new name within ${SETTINGS_REFRESH_MS / 1000} seconds; no restart is needed.`,
        'Registered applications keep working: their certificates come from the same CA.',
      );
    }
    const { mode } = services.settings.current();
    if (result.resolution?.resolved === false) {
      lines.push(
        `The name does not resolve here yet (${result.resolution.reason}): register it in DNS before switching to multiple-panels mode.`,
      );
    }
    if (mode === 'single-panel') lines.push('single-panel mode: applications on this machine keep using the SOAP API at 127.0.0.1.');
    print(flags, { changed: result.change === null ? [] : [result.change], server, resolution: result.resolution }, () => lines.join('\n'));
  });
}

export function hostnameCommand(access: InstallationAccess): Command {
  return storeCommand('hostname', "Show the service's host name, or change it: the server certificate is re-issued for the new name.")
    .argument('[name]', 'the new host name (a DNS name or an IP address)')
    .option('--skip-dns-check', 'in multiple-panels mode, change the name without checking that it resolves')
    .addHelpText(
      'after',
      `
The host name is in the server certificate (beside 127.0.0.1 and localhost), in the relay URL that
getSettings reports and, in multiple-panels mode, in the SOAP endpoint. Running servers follow a
change within ${SETTINGS_REFRESH_MS / 1000} seconds, without a restart.

Examples:
  ssod hostname --data-dir /var/lib/ssod
  ssod hostname sso.example.com
`,
    )
    .action(
      action(async (flags: HostnameFlags, name?: string) => {
        if (name !== undefined) return setHostname(access, flags, name, { acknowledged: acknowledgedBy(flags) });
        await withServices(access, flags, (services) => {
          const { hostname, mode } = services.settings.current();
          print(flags, { hostname, mode }, () =>
            fields([
              ['hostname', hostname],
              ['mode', mode],
            ]),
          );
          return Promise.resolve();
        });
      }),
    );
}
