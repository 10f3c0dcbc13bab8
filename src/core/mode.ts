// The SSO modes of the Business Manager documentation. single-panel (the default): the service and its applications share
// one machine and talk over 127.0.0.1, so the SOAP API listens on loopback only. multiple-panels:
// applications on other hosts reach the SOAP API by the service's host name, where --bind says.
// The relay is for browsers, which are never on the service's machine: it uses the host name and
// --bind in both modes (docs/DECISIONS.md "SSO modes").
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { SSO_MODES } from '../config/options.js';
import { unbracketed } from './hosts.js';
import type { ServiceSettings } from './liveSettings.js';
import { Refusal, type RefusalOverride } from './refusal.js';
import type { Services } from './services.js';
import { changeSettings, type SettingChange } from './settings.js';

export { SSO_MODES };
export type SsoMode = (typeof SSO_MODES)[number];

/** The address by which the service and its applications on one machine reach each other. */
export const LOOPBACK_ADDRESS = '127.0.0.1';

/** How long the host name check waits for the resolver (dns.lookup cannot be cancelled, only abandoned). */
export const DNS_TIMEOUT_MS = 5000;

export function isSsoMode(value: string): value is SsoMode {
  return (SSO_MODES as readonly string[]).includes(value);
}

/** A host that means this machine: 127.0.0.0/8, ::1, localhost and *.localhost (RFC 6761 §6.3). */
export function isLoopbackHost(host: string): boolean {
  const name = unbracketed(host).toLowerCase();
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Where the SOAP listener binds: loopback only in single-panel mode, --bind in multiple-panels mode. */
export function soapBindAddress(mode: SsoMode, bind: string): string {
  return mode === 'single-panel' ? LOOPBACK_ADDRESS : bind;
}

/** The host in the SOAP endpoint the service names (the WSDL's address): 127.0.0.1 in single-panel mode. */
export function soapHost(settings: Pick<ServiceSettings, 'mode' | 'hostname'>): string {
  return settings.mode === 'single-panel' ? LOOPBACK_ADDRESS : settings.hostname;
}

export interface RemoteApplication {
  readonly id: string;
  readonly name: string;
  readonly url: string;
}

/**
 * The registered applications on other hosts (the Business Manager documentation's "remote Panels"): the host of their URL
 * is neither loopback nor the service's own host name. An application without a URL counts as local.
 */
export async function remoteApplications(services: Pick<Services, 'store' | 'settings'>): Promise<RemoteApplication[]> {
  const own = services.settings.current().hostname.toLowerCase();
  const remote: RemoteApplication[] = [];
  for (const app of await services.store.listApplications()) {
    if (app.url === null) continue;
    const host = new URL(app.url).hostname.toLowerCase();
    if (!isLoopbackHost(host) && unbracketed(host) !== own) remote.push({ id: app.id, name: app.name, url: app.url });
  }
  return remote;
}

export type Resolution =
  { readonly resolved: true; readonly addresses: readonly string[] } | { readonly resolved: false; readonly reason: string };

/** Whether the host name resolves here, as the Business Manager documentation's `nslookup <bm_host_name>` step checks; bounded by a timeout. */
export async function resolveHostname(hostname: string, timeoutMs = DNS_TIMEOUT_MS): Promise<Resolution> {
  if (isIP(hostname) !== 0) return { resolved: true, addresses: [hostname] };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Resolution>((resolve) => {
    timer = setTimeout(() => resolve({ resolved: false, reason: `no answer within ${timeoutMs / 1000} s` }), timeoutMs);
  });
  const answer = lookup(hostname, { all: true }).then(
    (found): Resolution => ({ resolved: true, addresses: found.map((entry) => entry.address) }),
    (error: unknown): Resolution => ({ resolved: false, reason: (error as NodeJS.ErrnoException).code ?? String(error) }),
  );
  try {
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Refuses a host name that applications on other hosts cannot use: a loopback name, or one that does not resolve. */
export async function requireReachableHostname(hostname: string, timeoutMs = DNS_TIMEOUT_MS): Promise<Resolution> {
  if (isLoopbackHost(hostname)) {
    throw new Refusal(
      `the host name is ${hostname}, which applications on other hosts cannot reach; set the name they reach this server by first, with ssod hostname NAME`,
    );
  }
  const resolution = await resolveHostname(hostname, timeoutMs);
  if (!resolution.resolved) {
    throw new Refusal(
      `the host name ${hostname} does not resolve (${resolution.reason}); register it in DNS so that the other hosts resolve it to this server, or set another with ssod hostname NAME`,
      'unresolvedHostname',
    );
  }
  return resolution;
}

export interface ModeSwitchOptions {
  /**
   * What the operator has acknowledged (core/refusal.ts): 'disruption' switches to single-panel even
   * while applications on other hosts are registered; 'unresolvedHostname' switches to
   * multiple-panels without checking that the host name resolves.
   */
  readonly acknowledged?: readonly RefusalOverride[];
  readonly dnsTimeoutMs?: number;
}

export interface ModeSwitch {
  readonly change: SettingChange<'mode'> | null;
  /** The applications on other hosts that were registered at the switch (single-panel with force). */
  readonly remoteApplications: readonly RemoteApplication[];
  /** What the host name resolved to here, when checked. */
  readonly resolution: Resolution | null;
}

/**
 * Switches the SSO mode after the Business Manager documentation's checks: to multiple-panels only with a host name that the
 * other hosts can resolve; back to single-panel only when no application on another host would be
 * cut off, because "customers whose subscriptions are served by remote Panels will experience
 * problems with transparent switching to these Panels" .
 */
export async function switchMode(
  services: Pick<Services, 'store' | 'settings' | 'now' | 'log'>,
  mode: SsoMode,
  options: ModeSwitchOptions = {},
): Promise<ModeSwitch> {
  const current = services.settings.current();
  if (current.mode === mode) return { change: null, remoteApplications: [], resolution: null };
  let resolution: Resolution | null = null;
  let remote: RemoteApplication[] = [];
  if (mode === 'multiple-panels') {
    if (options.acknowledged?.includes('unresolvedHostname') !== true)
      resolution = await requireReachableHostname(current.hostname, options.dnsTimeoutMs);
  } else {
    remote = await remoteApplications(services);
    if (remote.length > 0 && options.acknowledged?.includes('disruption') !== true) {
      const shown = remote.slice(0, 10).map((app) => `${app.name} (${app.url}, ${app.id})`);
      const more = remote.length > shown.length ? ` and ${remote.length - shown.length} more` : '';
      throw new Refusal(
        `${remote.length} application(s) on other hosts are registered: ${shown.join(', ')}${more}. In single-panel mode the SOAP API listens on 127.0.0.1 only, ` +
          'so they cannot verify sessions and their users will no longer switch to them without signing in again; unregister them (or keep multiple-panels mode)',
        'disruption',
      );
    }
  }
  const [change] = await changeSettings(services, { mode });
  return { change: change as SettingChange<'mode'>, remoteApplications: remote, resolution };
}
