// What an operator sees of the SSO mode; switching it is core/mode.ts switchMode.
import { remoteApplications, soapBindAddress, type RemoteApplication, type SsoMode } from '../mode.js';
import type { OperatorServices } from '../services.js';

export interface ModeStatus {
  readonly mode: SsoMode;
  readonly hostname: string;
  /** The address the SOAP listener binds in this mode, given this node's --bind. */
  readonly soapListensOn: string;
  /** Registered applications on other hosts (which single-panel mode cannot serve). */
  readonly remoteApplications: readonly RemoteApplication[];
}

export async function modeStatus(services: Pick<OperatorServices, 'store' | 'settings'>, bind: string): Promise<ModeStatus> {
  const { mode, hostname } = services.settings.current();
  return { mode, hostname, soapListensOn: soapBindAddress(mode, bind), remoteApplications: await remoteApplications(services) };
}
