// What an operator does with signed logon tickets (docs/tickets.md): list the ticket-signing keys with
// their states, rotate (a new key, signing 10 minutes later or at once), revoke a key; add, list, show
// and remove receivers. Every change is published as a domain event, so it lands in the audit trail;
// every node follows it within 5 s (the keyring and the receivers are re-read from the store).
import type { AuditActor } from '../audit.js';
import { publish } from '../events.js';
import { parseHostName } from '../hosts.js';
import { Refusal } from '../refusal.js';
import type { Services } from '../services.js';
import { checkCaPem } from '../sourceSettings.js';
import { DuplicateReceiverError, type TicketReceiverRecord } from '../store/index.js';
import { ROTATION_DELAY_MS, signerAt, ticketKeyStates, type TicketKeyStatus } from '../ticketKeys.js';
import { receiversChanged } from '../tickets.js';

type KeyServices = Pick<Services, 'store' | 'now' | 'log' | 'tickets'>;
type ReceiverServices = Pick<Services, 'store' | 'now' | 'log'>;

/** At the first start (`ssod serve`): a key that signs at once, when the store has none. */
export async function makeFirstTicketKey(services: KeyServices, actor: AuditActor = 'operator'): Promise<void> {
  if ((await services.tickets.keys()).length > 0) return;
  const key = await services.tickets.createKey(0);
  await publish(services, { type: 'ticketKey.rotated', actor, kid: key.kid, signsFrom: key.signsFrom, first: true });
}

/** Every key with its state now, oldest first. */
export async function ticketKeysNow(services: KeyServices & Pick<Services, 'settings'>): Promise<TicketKeyStatus[]> {
  return ticketKeyStates(await services.tickets.keys(), services.now(), services.settings.current().ticketLifetime * 1000);
}

/**
 * `ssod tickets rotate`: a new key, published at once, that signs ROTATION_DELAY_MS later (a receiver
 * that cached the key set has it before it sees a ticket signed with it), or at once (`now`).
 */
export async function rotateTicketKey(
  services: KeyServices,
  now: boolean,
  actor: AuditActor = 'operator',
): Promise<{ kid: string; signsFrom: number }> {
  const key = await services.tickets.createKey(now ? 0 : ROTATION_DELAY_MS);
  await publish(services, { type: 'ticketKey.rotated', actor, kid: key.kid, signsFrom: key.signsFrom });
  return { kid: key.kid, signsFrom: key.signsFrom };
}

/** What revoking a key does: the key as it is now, and the key that signs once it is gone (null when it was not the signing key). */
export interface TicketKeyRevocation {
  readonly target: TicketKeyStatus;
  readonly successor: string | null;
}

/**
 * Whether a key may be revoked now, and what follows (a console asks before it acts); a Refusal
 * for an unknown key, a key revoked already, or the signing key when no other key published now
 * (a retiring one) takes over (a retired key is never brought back).
 */
export async function ticketKeyRevocation(services: KeyServices & Pick<Services, 'settings'>, kid: string): Promise<TicketKeyRevocation> {
  const states = await ticketKeysNow(services);
  const target = states.find((status) => status.key.kid === kid);
  if (target === undefined) {
    const kids = states.map((status) => status.key.kid);
    throw new Refusal(
      kids.length === 0
        ? `no ticket key ${JSON.stringify(kid)}, nor any other yet; \`ssod serve\` makes the first when it starts`
        : `no ticket key ${JSON.stringify(kid)}; the keys are: ${kids.join(', ')} (\`ssod tickets keys\` shows them)`,
    );
  }
  if (target.state === 'revoked')
    throw new Refusal(`ticket key ${kid} is revoked already; nothing to change (\`ssod tickets keys\` shows the keys)`);
  if (target.state !== 'signing') return { target, successor: null };
  const at = services.now();
  const next = signerAt(
    states.map((status) => (status.key.kid === kid ? { ...status.key, revokedAt: at } : status.key)),
    at,
  );
  const nextState = states.find((status) => status.key.kid === next?.kid)?.state;
  if (next === null || nextState !== 'retiring')
    throw new Refusal(
      `ticket key ${kid} is the signing key and no other key can sign now; run \`ssod tickets rotate --now\` first (a new key signs at once), then \`ssod tickets revoke ${kid}\``,
    );
  return { target, successor: next.kid };
}

/** `ssod tickets revoke KID`: withdraws the key at once, after the checks of ticketKeyRevocation. */
export async function revokeTicketKey(
  services: KeyServices & Pick<Services, 'settings'>,
  kid: string,
  actor: AuditActor = 'operator',
): Promise<void> {
  await ticketKeyRevocation(services, kid);
  if (!(await services.tickets.revokeKey(kid, services.now())))
    throw new Refusal(`ticket key ${kid} was revoked meanwhile; nothing to change (\`ssod tickets keys\` shows the keys)`);
  await publish(services, { type: 'ticketKey.revoked', actor, kid });
}

// ---------------------------------------------------------------------------------------------
// Receivers

const RECEIVER_NAME = /^[a-z0-9-]{1,63}$/;
const MAX_URL_LENGTH = 2048;

export interface ReceiverAddition {
  readonly name: string;
  readonly domain: string;
  readonly url: string;
  readonly caPem?: string;
}

function checkReceiverName(name: string): string {
  if (!RECEIVER_NAME.test(name))
    throw new Refusal(
      `the receiver name ${JSON.stringify(name)} is not valid; use lower-case letters, digits and "-", up to 63 characters (for example billing-de)`,
    );
  return name;
}

/** A DNS name of at least two labels, not an IP address; lower case. */
function checkReceiverDomain(text: string): string {
  const host = parseHostName(text);
  if (host === null || host.isIp || !host.name.includes('.'))
    throw new Refusal(
      `--domain must be a DNS name of at least two labels, not an IP address, got ${JSON.stringify(text)}; for example --domain example.de`,
    );
  return host.name;
}

/** Whether `host` is the domain or a name inside it. */
export function isInDomain(host: string, domain: string): boolean {
  const name = host.toLowerCase();
  return name === domain || name.endsWith(`.${domain}`);
}

/** The receiver's base URL: https, a host equal to the domain or inside it, ending with `/`, no query, fragment or user info. */
function checkReceiverUrl(text: string, domain: string): string {
  const example = `for example --url https://apps.${domain}/.ssod/`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Refusal(`--url ${JSON.stringify(text)} is not a URL; ${example}`);
  }
  const problem =
    text.length > MAX_URL_LENGTH
      ? `is longer than ${MAX_URL_LENGTH} characters`
      : url.protocol !== 'https:'
        ? 'must be https'
        : !isInDomain(url.hostname, domain)
          ? `must have a host equal to ${domain} or inside it (its host is ${url.hostname})`
          : url.username !== '' || url.password !== ''
            ? 'must not hold user info'
            : url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')
              ? 'must not have a query or a fragment'
              : !url.pathname.endsWith('/')
                ? 'must end with "/" (its endpoints are <url>ticket and <url>logout)'
                : null;
  if (problem !== null) throw new Refusal(`--url ${JSON.stringify(text)} ${problem}; ${example}`);
  return url.href;
}

/** Adds a receiver after checking it (docs/tickets.md "Receivers"); what was stored. */
export async function addReceiver(
  services: ReceiverServices,
  addition: ReceiverAddition,
  actor: AuditActor = 'operator',
): Promise<TicketReceiverRecord> {
  const name = checkReceiverName(addition.name);
  const domain = checkReceiverDomain(addition.domain);
  const record: TicketReceiverRecord = {
    name,
    domain,
    url: checkReceiverUrl(addition.url, domain),
    caPem: addition.caPem === undefined ? null : checkCaPem(addition.caPem),
    createdAt: services.now(),
  };
  try {
    await services.store.insertTicketReceiver(record);
  } catch (error) {
    if (!(error instanceof DuplicateReceiverError)) throw error;
    throw new Refusal(
      `a receiver named ${name} exists already; choose another name, or remove it first (\`ssod receivers remove ${name}\`)`,
    );
  }
  receiversChanged(services.store);
  await publish(services, { type: 'receiver.added', actor, name, domain, url: record.url });
  return record;
}

/** Every receiver, by name (`ssod receivers list`). */
export function listReceivers(services: Pick<Services, 'store'>): Promise<TicketReceiverRecord[]> {
  return services.store.listTicketReceivers();
}

/** How many certificates the receiver's own CA holds; 0: the system's CAs are trusted for its logout endpoint. */
export function receiverCaCount(receiver: TicketReceiverRecord): number {
  return receiver.caPem?.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}

/** The receiver of that name, or a refusal naming the configured receivers. */
export async function findReceiver(services: Pick<Services, 'store'>, name: string): Promise<TicketReceiverRecord> {
  const receiver = await services.store.getTicketReceiver(name);
  if (receiver !== null) return receiver;
  const names = (await services.store.listTicketReceivers()).map((known) => known.name);
  throw new Refusal(
    names.length === 0
      ? `no receiver named ${JSON.stringify(name)}: none is configured; \`ssod receivers add\` adds one`
      : `no receiver named ${JSON.stringify(name)}; the receivers are: ${names.join(', ')}`,
  );
}

/** Removes a receiver (its grants with it: it is no longer told of logouts). */
export async function removeReceiver(services: ReceiverServices, name: string, actor: AuditActor = 'operator'): Promise<void> {
  if (!(await services.store.deleteTicketReceiver(name))) {
    await findReceiver(services, name); // refuses, naming the receivers there are
    throw new Refusal(`receiver ${name} was added again meanwhile; try again`);
  }
  receiversChanged(services.store);
  await publish(services, { type: 'receiver.removed', actor, name });
}
