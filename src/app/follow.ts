// A running server follows the service settings that an operator changes under it
// (LiveSettings.onChange): a new host name swaps the SOAP listener's certificate at once, for every
// new TLS connection; a new SSO mode moves the SOAP listener only at the next start, because a
// listening socket is not moved while it serves (docs/DECISIONS.md "What reaches a running server").
import { isLoopbackHost, soapBindAddress } from '../core/mode.js';
import type { Services } from '../core/services.js';

/** `replaceCertificate` puts the CA's current server certificate into every TLS listener. */
export function followSettings(services: Services, soapAddress: string, replaceCertificate: () => void): void {
  services.settings.onChange((next, previous) => {
    if (next.hostname !== previous.hostname) {
      services.ca.setHostname(next.hostname).then(
        (credentials) => {
          replaceCertificate();
          services.log.info('server certificate replaced for the new host name', { hostname: credentials.hostname });
        },
        (error: unknown) => services.log.error('server certificate not replaced', { hostname: next.hostname, error: String(error) }),
      );
    }
    const wanted = soapBindAddress(next.mode, services.options.bind);
    if (next.mode !== previous.mode && wanted !== soapAddress) {
      services.log.warn('SSO mode changed: the SOAP API moves at the next start', {
        mode: next.mode,
        listening: soapAddress,
        atNextStart: wanted,
      });
    }
  });
}

/** Where the SOAP listener binds at start, by the SSO mode, with a word in the log when it is not what --bind alone says. */
export function soapListenAddress(services: Services): string {
  const { mode } = services.settings.current();
  const address = soapBindAddress(mode, services.options.bind);
  if (address !== services.options.bind) {
    services.log.info('single-panel mode: the SOAP API listens on loopback only; --bind applies to the relay', {
      soap: address,
      relay: services.options.bind,
    });
  } else if (mode === 'multiple-panels' && isLoopbackHost(address)) {
    services.log.warn(
      'multiple-panels mode, but the SOAP API listens on loopback: applications on other hosts cannot connect; start with --bind',
      { soap: address },
    );
  }
  return address;
}
