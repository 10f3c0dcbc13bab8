// Host names, parsed in one place: the service's host name (the setting and the server
// certificate), the host of a base URL or a relay URL (core/urls.ts), and loopback (core/mode.ts).
import { isIP } from 'node:net';

export interface HostName {
  /** An IP literal without brackets, or a DNS name in lower case. */
  readonly name: string;
  readonly isIp: boolean;
}

// A DNS label: letters, digits and hyphens, neither first nor last a hyphen (RFC 1123, section 2.1).
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** `[::1]` → `::1`; anything else as it is. */
export function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * An IPv4/IPv6 literal (brackets allowed) or a DNS name (labels of letters, digits, hyphens; no
 * trailing dot; at most 253 characters), DNS names in lower case. Null for anything else, and for
 * an IPv6 zone (`fe80::1%eth0`), which names an interface of one machine: no URL or certificate can.
 */
export function parseHostName(text: string): HostName | null {
  const address = unbracketed(text);
  if (!address.includes('%') && isIP(address) !== 0) return { name: address, isIp: true };
  const name = text.toLowerCase();
  if (name.length > 253 || !name.split('.').every((label) => DNS_LABEL.test(label))) return null;
  return { name, isIp: false };
}

/**
 * The host name as the settings and the server certificate hold it: an IP literal without brackets
 * or a DNS name in lower case. Throws for anything a certificate cannot name.
 */
export function serverHostName(text: string): HostName {
  const host = parseHostName(text);
  if (host === null) throw new Error(`Invalid host name for the server certificate: ${JSON.stringify(text)}`);
  return host;
}
