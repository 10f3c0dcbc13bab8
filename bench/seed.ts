// What a bench population is seeded with, made once for every store engine: the bench application,
// registered through ssod's own store and CA, and a SAML identity provider; and its users, each with
// one live global session with a relay cookie and a local session for the application, every secret
// derived from the index and the run's salt (bench/protocol.ts) and stored as ssod stores its own
// (sealed derivation secret, SHA-256 of the session id and of the cookie).
import { createHash } from 'node:crypto';
import type { Options } from '../src/config/options.js';
import { seal, sha256Hex } from '../src/core/sessions.js';
import { loginKeyOf, markLoginKeysCurrent } from '../src/core/users.js';
import { createLogger } from '../src/infra/log.js';
import { openServices } from '../src/app/compose.js';
import { addIdentityProvider } from '../src/core/operator/identityProviders.js';
import type { ApplicationRecord, CertificateRecord } from '../src/core/store/index.js';
import { addReceiver } from '../src/core/operator/tickets.js';
import {
  BENCH_BASE_URL,
  BENCH_IDP,
  BENCH_RECEIVER,
  cookieFor,
  loginFor,
  sessionIdFor,
  sessionSecretFor,
  userIdFor,
  type ClientTls,
} from './protocol.js';

export interface SeedPlan {
  readonly app: ApplicationRecord;
  readonly certificate: CertificateRecord;
  /** Users 0..population-1, each with one live global session that has a relay cookie and a local session for the bench application. */
  readonly population: number;
  readonly salt: string;
  /** The one argon2id hash every seeded user shares. */
  readonly passwordHash: string;
  /** created_at and last_seen_at of every seeded row. */
  readonly now: number;
  /** Absolute lifetime of the seeded sessions, ms. */
  readonly lifetimeMs: number;
}

/**
 * Opens the installation as `ssod serve` does (src/app/server.ts): the store's schema, the CA and
 * the server certificate, kept in the data directory (SQLite) or sealed in the store (PostgreSQL).
 * Registers the bench application with a certificate issued by that CA and adds the bench's ticket
 * receiver (BENCH_RECEIVER), and returns what the clients and the ceiling need of it. With
 * `idpCertificatePem`, also configures the bench's SAML identity provider (BENCH_IDP) that signs
 * with that certificate's key, as `ssod idps add` does; its user id is ssod's own (the NameID), so
 * the seeded users need no federated links.
 */
export async function installBenchApplication(
  options: Options,
  appId: string,
  now: number,
  idpCertificatePem?: string,
): Promise<{ tls: ClientTls; server: { key: string; cert: string }; plan: Pick<SeedPlan, 'app' | 'certificate'> }> {
  const services = await openServices(options, { logger: createLogger('silent') });
  try {
    const { ca } = services;
    const issued = await ca.issueClientCertificate(appId, options.certValidityDays);
    const plan = {
      app: {
        id: appId,
        name: 'bench',
        displayName: 'Bench',
        version: '1',
        capabilities: '',
        url: BENCH_BASE_URL,
        restorePasswordUrl: null,
        changePasswordUrl: null,
        createdAt: now,
      },
      certificate: {
        fingerprint: issued.fingerprint,
        applicationId: appId,
        serial: issued.serial,
        issuedAt: issued.issuedAt,
        notAfter: issued.notAfter,
        firstUsedAt: null,
        retiredAt: null,
      },
    };
    await services.store.insertApplication(plan.app, plan.certificate);
    // The seeder writes every login key as loginKeyOf does: nothing for ssod to upgrade at its start.
    await markLoginKeysCurrent(services.store, now);
    await addReceiver(services, { name: BENCH_RECEIVER.name, domain: BENCH_RECEIVER.domain, url: BENCH_RECEIVER.url });
    if (idpCertificatePem !== undefined) {
      await addIdentityProvider(services, {
        name: BENCH_IDP.name,
        settings: {
          issuer: BENCH_IDP.issuer,
          signInUrl: BENCH_IDP.signInUrl,
          certificates: [idpCertificatePem],
          userIdType: 'userId',
          userIdLocation: 'subject',
          allowIdpInitiated: false,
          createUsersOwnedBy: null,
        },
      });
    }
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n?/.exec(issued.pem)?.[0] ?? '';
    const server = ca.serverCredentials();
    return { tls: { ca: ca.certificatePem, key, cert: issued.certificatePem }, server: { key: server.key, cert: server.cert }, plan };
  } finally {
    await services.store.close();
  }
}

/** The columns of the `index`th user, global session and local session that differ from row to row. */
export interface SeededRow {
  readonly user: { readonly id: string; readonly login: string; readonly loginKey: string };
  readonly global: { readonly id: string; readonly cookieHash: string; readonly cookieSealedSecret: string };
  /** local_sessions.id_hash; its global_id is global.id. */
  readonly localIdHash: string;
}

/** A local session as [id_hash, global_id]: they go in last, sorted by their primary key (sortedLocals). */
export type LocalRow = readonly [idHash: string, globalId: string];

/**
 * The rows of a plan, by index. Ids sort with their index (a UUID for users, 32 hex digits for
 * global sessions), so that the seeder appends to each primary-key B-tree instead of splitting
 * pages at random.
 */
export function seededRows(plan: SeedPlan): (index: number) => SeededRow {
  const prefix = createHash('sha256').update(plan.salt).digest('hex').slice(0, 8);
  const serial = (index: number): string => index.toString(16).padStart(12, '0');
  return (index) => {
    const login = loginFor(plan.salt, index);
    const cookie = cookieFor(plan.salt, index);
    return {
      user: { id: userIdFor(plan.salt, index), login, loginKey: loginKeyOf(login) },
      global: {
        id: `${prefix}000000000000${serial(index)}`,
        cookieHash: sha256Hex(cookie),
        cookieSealedSecret: seal(cookie, sessionSecretFor(plan.salt, index)),
      },
      localIdHash: sha256Hex(sessionIdFor(plan.salt, index)),
    };
  };
}

/** local_sessions' primary key is a hash: its rows are collected while seeding and go in last, in key order. */
export function sortedLocals(locals: LocalRow[]): LocalRow[] {
  return locals.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Calls `write` with consecutive index ranges [from, to) of at most `batch` indexes covering 0..count-1. */
export async function inBatches(count: number, batch: number, write: (from: number, to: number) => void | Promise<void>): Promise<void> {
  for (let from = 0; from < count; from += batch) await write(from, Math.min(count, from + batch));
}
