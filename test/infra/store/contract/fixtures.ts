// What the parts of the Store contract suite (index.ts) share: records, seeds, and the core's rules
// as the tests that state them apply them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { certificateActivation, certificateAddition } from '../../../../src/core/applications.js';
import { DuplicateLoginError } from '../../../../src/core/store/index.js';
import { userDisabling, userEnabling } from '../../../../src/core/users.js';
import type {
  ApplicationRecord,
  CertificateRecord,
  GlobalSessionRecord,
  LocalSessionRecord,
  RelayTokenRecord,
  Store,
  UserRecord,
} from '../../../../src/core/store/index.js';

// Real epoch milliseconds: beyond 32 bits, so an engine that truncates times fails.
export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function hex64(): string {
  return (randomUUID() + randomUUID()).replaceAll('-', '').slice(0, 64);
}

export function application(overrides: Partial<ApplicationRecord> = {}): ApplicationRecord {
  const id = randomUUID();
  return {
    id,
    name: `app-${id.slice(0, 8)}`,
    displayName: 'Billing – Zürich',
    version: '1.2.3',
    capabilities: 'users,sessions',
    url: `https://${id.slice(0, 8)}.example.com:8443/`,
    restorePasswordUrl: 'https://billing.example.com:443/restore?login=%s',
    changePasswordUrl: 'https://billing.example.com:443/change',
    createdAt: T0,
    ...overrides,
  };
}

export function certificate(applicationId: string, overrides: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    fingerprint: hex64(),
    applicationId,
    serial: '0A1B2C3D4E5F',
    issuedAt: T0,
    notAfter: T0 + 365 * 24 * HOUR,
    firstUsedAt: null,
    retiredAt: null,
    ...overrides,
  };
}

export function user(ownerId: string, overrides: Partial<UserRecord> = {}): UserRecord {
  const id = randomUUID();
  return {
    id,
    login: `User.${id.slice(0, 8)}@Example.com`,
    loginKey: `user.${id.slice(0, 8)}@example.com`,
    ownerId,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    createdAt: T0,
    disabledAt: null,
    sourceName: null,
    ...overrides,
  };
}

export interface SessionParts {
  readonly global: GlobalSessionRecord;
  readonly local: LocalSessionRecord;
  readonly token: RelayTokenRecord;
}

export function sessionParts(userId: string, globalOverrides: Partial<GlobalSessionRecord> = {}): SessionParts {
  const global: GlobalSessionRecord = {
    id: hex64().slice(0, 32),
    userId,
    createdAt: T0,
    expiresAt: T0 + 24 * HOUR,
    lastSeenAt: T0,
    cookieHash: null,
    cookieSealedSecret: null,
    groupName: null,
    ...globalOverrides,
  };
  return {
    global,
    local: { idHash: hex64(), globalId: global.id, baseUrl: 'https://plesk.example.com:8443/', createdAt: global.createdAt },
    token: { tokenHash: hex64(), globalId: global.id, expiresAt: global.createdAt + MINUTE, sealedSecret: 'c2VhbGVk' },
  };
}

export async function seedApplication(
  store: Store,
  overrides: Partial<ApplicationRecord> = {},
): Promise<{ app: ApplicationRecord; cert: CertificateRecord }> {
  const app = application(overrides);
  const cert = certificate(app.id);
  await store.insertApplication(app, cert);
  return { app, cert };
}

export async function seedUser(store: Store, ownerId: string, overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
  const record = user(ownerId, overrides);
  await store.insertUser(record);
  return record;
}

export async function seedSession(store: Store, userId: string, globalOverrides: Partial<GlobalSessionRecord> = {}): Promise<SessionParts> {
  const parts = sessionParts(userId, globalOverrides);
  await store.createSession(parts.global, parts.local, parts.token);
  return parts;
}

/** A user of a fresh application: what every session test starts from. */
export async function seedOwnedUser(store: Store): Promise<UserRecord> {
  const { app } = await seedApplication(store);
  return seedUser(store, app.id);
}

export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}

export function isDuplicateLogin(error: unknown): boolean {
  return error instanceof DuplicateLoginError;
}

/** Asserts that every trace of a session is gone: global, local, token, cookie. */
export async function assertSessionGone(store: Store, parts: SessionParts, cookieHash?: string): Promise<void> {
  assert.equal(await store.getGlobalSession(parts.global.id), null);
  assert.equal(await store.findSessionByLocalId(parts.local.idHash), null);
  // Consuming at creation time would succeed if the token were still there.
  assert.equal(await store.consumeRelayToken(parts.token.tokenHash, parts.global.createdAt), null);
  if (cookieHash !== undefined) assert.equal(await store.findSessionByCookie(cookieHash), null);
}

/** A test on a fresh store of the engine under test. */
export type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

/** protocol §4.2: a certificate added as the core adds it (core/applications.ts certificateAddition). */
export async function addCertificate(store: Store, cert: CertificateRecord): Promise<void> {
  await store.apply(certificateAddition(cert));
}

/** protocol §4.2: the first use of a certificate as the core records it (certificateActivation); false when it did not stand. */
export async function activateCertificate(store: Store, fingerprint: string, now: number): Promise<boolean> {
  const cert = await store.findCertificate(fingerprint);
  return cert !== null && (await store.apply(certificateActivation(cert, now)));
}

/** Disables (a time) or enables (null) the user as the core does (core/users.ts); false when no such user. */
export function setUserDisabled(store: Store, userId: string, disabledAt: number | null): Promise<boolean> {
  return store.apply(disabledAt === null ? userEnabling(userId) : userDisabling(userId, disabledAt));
}
