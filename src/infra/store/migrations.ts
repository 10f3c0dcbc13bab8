// Versioned schema migrations, one list for every engine, each written once and compiled per dialect
// (sql/dialect.ts: the time type, the serial key, STRICT tables), so that the SQLite and the PostgreSQL
// schemas cannot drift apart (STYLE: one store contract, many engines). A migration is never
// edited once released: a change to the schema is a new entry with the next version.
//
// Times are milliseconds since the epoch (INTEGER in SQLite is 64-bit; BIGINT in PostgreSQL).
// Every foreign key that a cascade follows has an index on the referencing column, so that
// deleting an application, a user or a session does not scan the child tables.

import type { Dialect } from './sql/dialect.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** Its statements in a dialect. */
  readonly sql: (d: Dialect) => string;
}

/** Records which migrations ran; created before any migration, so it is not one itself. */
export function schemaMigrationsTable(d: Dialect): string {
  return `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at ${d.time} NOT NULL)${d.tableOptions};`;
}

const initial = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  version TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  url TEXT,
  restore_password_url TEXT,
  change_password_url TEXT,
  created_at ${time} NOT NULL
)${tableOptions};
CREATE INDEX applications_url ON applications (url);

CREATE TABLE certificates (
  fingerprint TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  serial TEXT NOT NULL,
  issued_at ${time} NOT NULL,
  not_after ${time} NOT NULL,
  first_used_at ${time},
  retired_at ${time}
)${tableOptions};
CREATE INDEX certificates_application_id ON certificates (application_id);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  login_key TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at ${time} NOT NULL
)${tableOptions};
CREATE INDEX users_owner_id ON users (owner_id);

CREATE TABLE global_sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at ${time} NOT NULL,
  expires_at ${time} NOT NULL,
  last_seen_at ${time} NOT NULL,
  cookie_hash TEXT,
  cookie_sealed_secret TEXT
)${tableOptions};
CREATE UNIQUE INDEX global_sessions_cookie_hash ON global_sessions (cookie_hash);
CREATE INDEX global_sessions_user_id ON global_sessions (user_id);
CREATE INDEX global_sessions_expires_at ON global_sessions (expires_at);
CREATE INDEX global_sessions_last_seen_at ON global_sessions (last_seen_at);

CREATE TABLE local_sessions (
  id_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  base_url TEXT NOT NULL,
  created_at ${time} NOT NULL,
  UNIQUE (global_id, base_url)
)${tableOptions};

CREATE TABLE relay_tokens (
  token_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  expires_at ${time} NOT NULL,
  sealed_secret TEXT NOT NULL
)${tableOptions};
CREATE INDEX relay_tokens_global_id ON relay_tokens (global_id);
CREATE INDEX relay_tokens_expires_at ON relay_tokens (expires_at);
`;

// Version 2: what operators and the security rules need.
// - settings: the service settings that every node reads (host name, session timeouts, ...), one
//   row per setting that differs from its default; a running server re-reads them.
// - users.disabled_at: an operator disabled the user (null while enabled).
// - login_throttle: failure counters and locks per login and per source (brute-force protection).
// - audit_events: the trail of security events, trimmed by a retention setting.
const operations = ({ time, tableOptions, serialKey }: Dialect): string => `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at ${time} NOT NULL
)${tableOptions};

ALTER TABLE users ADD COLUMN disabled_at ${time};

CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_failure_at ${time} NOT NULL,
  last_failure_at ${time} NOT NULL,
  locked_until ${time}
)${tableOptions};
CREATE INDEX login_throttle_last_failure_at ON login_throttle (last_failure_at);

CREATE TABLE audit_events (
  id ${serialKey},
  at ${time} NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL
)${tableOptions};
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target);
`;

// Version 3: the key material that every node of a PostgreSQL installation shares (the certificate authority
// and the server certificate): the certificate in the clear, the private key sealed with the
// master key (infra/keys/masterKey.ts), never plain. A SQLite installation keeps these as files in its
// data directory and leaves the table empty; it exists in both schemas so they stay one schema.
const keyMaterial = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE key_material (
  name TEXT PRIMARY KEY,
  certificate_pem TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  updated_at ${time} NOT NULL
)${tableOptions};
`;

// Version 4: an attempt is counted before its password is checked (core/throttle.ts), and the key's
// lock names the attempt that set it (a random id, no secret), so that among attempts racing the end
// of a lock exactly one is let through, and a success can take back the lock its own count set.
const throttleLockOwner = (): string => `
ALTER TABLE login_throttle ADD COLUMN locked_by TEXT;
`;

// Version 5: the outbox of domain events (core/events.ts, core/outbox.ts), the delivery cursor of each
// subscriber with its lease, and the event each audit record came from, so that the dispatcher's
// catching up after a crash never writes a record twice. The ids never go back, even when every
// event has been trimmed (SQLite's AUTOINCREMENT, PostgreSQL's identity): a cursor compares ids.
const outbox = ({ time, serialKey, tableOptions }: Dialect): string => `
CREATE TABLE outbox_events (
  id ${serialKey},
  at ${time} NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL
)${tableOptions};
CREATE INDEX outbox_events_at ON outbox_events (at);

CREATE TABLE outbox_cursors (
  subscriber TEXT PRIMARY KEY,
  position ${time} NOT NULL,
  lease_owner TEXT,
  lease_until ${time} NOT NULL
)${tableOptions};

ALTER TABLE audit_events ADD COLUMN event_id ${time};
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
`;

// Delegated sources (docs/FEDERATION.md): the operator's settings of each, as JSON, and the source of
// each user with single sign-on. The foreign key keeps a source that users still have.
const delegatedSources = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at ${time} NOT NULL,
  updated_at ${time} NOT NULL
)${tableOptions};

ALTER TABLE users ADD COLUMN source_name TEXT REFERENCES sources (name);
CREATE INDEX users_source_name ON users (source_name);
`;

// Version 7: SAML identity providers (docs/federation/saml.md), the federated ids linked to users, and
// what the service provider keeps cluster-wide: the AuthnRequest ids it sent (each answered once) and
// the assertion ids it accepted (a replay is refused until they expire). A federated id is unique
// under its identity provider only (docs/SECURITY.md case E34); a user has at most one under each.
// The foreign key keeps an identity provider that links still name (the operator removes them first,
// or with --force); deleting a user deletes its links.
const identityProviders = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE identity_providers (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  settings TEXT NOT NULL,
  created_at ${time} NOT NULL,
  updated_at ${time} NOT NULL
)${tableOptions};

CREATE TABLE federated_links (
  idp_name TEXT NOT NULL REFERENCES identity_providers (name),
  federated_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at ${time} NOT NULL,
  PRIMARY KEY (idp_name, federated_id),
  UNIQUE (idp_name, user_id)
)${tableOptions};
CREATE INDEX federated_links_user_id ON federated_links (user_id);

CREATE TABLE saml_requests (
  id TEXT PRIMARY KEY,
  idp_name TEXT NOT NULL,
  relay_url TEXT NOT NULL,
  expires_at ${time} NOT NULL
)${tableOptions};
CREATE INDEX saml_requests_expires_at ON saml_requests (expires_at);

CREATE TABLE saml_assertions (
  issuer TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at ${time} NOT NULL,
  PRIMARY KEY (issuer, id)
)${tableOptions};
CREATE INDEX saml_assertions_expires_at ON saml_assertions (expires_at);
`;

// Version 8: signed logon tickets (docs/tickets.md). The ticket-signing keys: the public JWK, the
// times their state is computed from (core/ticketKeys.ts), and on PostgreSQL the private key sealed
// with the master key (a SQLite installation keeps it in a file of its data directory: NULL here).
// The receivers the operator configured. The grants: which receiver was issued a ticket of which
// global session, kept past the session's end (no foreign key to it) so that its logout reaches
// the receiver, and purged when the last ticket expired; removing a receiver removes its grants.
const tickets = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE ticket_keys (
  kid TEXT PRIMARY KEY,
  algorithm TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  sealed_key TEXT,
  created_at ${time} NOT NULL,
  signs_from ${time} NOT NULL,
  revoked_at ${time}
)${tableOptions};

CREATE TABLE ticket_receivers (
  name TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  url TEXT NOT NULL,
  ca_pem TEXT,
  created_at ${time} NOT NULL
)${tableOptions};

CREATE TABLE ticket_grants (
  global_id TEXT NOT NULL,
  receiver TEXT NOT NULL REFERENCES ticket_receivers (name) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  issued_at ${time} NOT NULL,
  expires_at ${time} NOT NULL,
  PRIMARY KEY (global_id, receiver)
)${tableOptions};
CREATE INDEX ticket_grants_receiver ON ticket_grants (receiver);
CREATE INDEX ticket_grants_user_id ON ticket_grants (user_id);
CREATE INDEX ticket_grants_expires_at ON ticket_grants (expires_at);
`;

// Version 9: application groups (docs/groups.md): one user provider and its subscribers sharing users
// and sessions. A group names its provider once (provider_id UNIQUE); every member, the provider
// included, has one row in group_members (an application belongs to at most one group). The
// provider's foreign key has no cascade: an application that provides a group is not deleted while
// the group exists (core/operator/applications.ts says so first). Each global session records the
// set it was started in (NULL: the default set of ungrouped applications); the foreign key keeps a
// session from naming a group that is gone (deleting a group ends its sessions first, in one unit).
const groups = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE application_groups (
  name TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
  created_at ${time} NOT NULL
)${tableOptions};

CREATE TABLE group_members (
  application_id TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
  group_name TEXT NOT NULL REFERENCES application_groups (name),
  role TEXT NOT NULL,
  joined_at ${time} NOT NULL
)${tableOptions};
CREATE INDEX group_members_group_name ON group_members (group_name);

ALTER TABLE global_sessions ADD COLUMN group_name TEXT REFERENCES application_groups (name);
CREATE INDEX global_sessions_group_name ON global_sessions (group_name);
`;

// Version 10: session variables (docs/groups.md "Session variables"). Each application declares its
// variables; the values live with the global session (dropped with it) and the declaration (dropped
// when it is removed, or with its application). A value's version is the compare-and-set of writers.
// first_verified_at: the first ssox:verifySession of a local session by its application (firstVisit).
// readable and writable are 0 or 1 (SQLite's STRICT tables have no boolean).
const sessionVariables = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE session_variable_declarations (
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  default_value TEXT NOT NULL,
  max_length INTEGER NOT NULL,
  readable INTEGER NOT NULL,
  writable INTEGER NOT NULL,
  created_at ${time} NOT NULL,
  PRIMARY KEY (application_id, name)
)${tableOptions};

CREATE TABLE session_variable_values (
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  owner_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (global_id, owner_id, name),
  FOREIGN KEY (owner_id, name) REFERENCES session_variable_declarations (application_id, name) ON DELETE CASCADE
)${tableOptions};
CREATE INDEX session_variable_values_declaration ON session_variable_values (owner_id, name);

ALTER TABLE local_sessions ADD COLUMN first_verified_at ${time};
`;

// Version 11: On Session Start callbacks (docs/groups.md). The callback each application registered
// (one at most); what each session was started for (its starting application and group), written
// at its start while any callback is registered, so that a member reaching it later is told; and
// the claims that make each (session, application) call exactly once across nodes: inserted before
// the call, finished with its outcome after it. Both go with their session (a cascade).
const sessionStartCallbacks = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE session_start_callbacks (
  application_id TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  policy TEXT NOT NULL,
  ca_pem TEXT,
  updated_at ${time} NOT NULL
)${tableOptions};

CREATE TABLE session_starts (
  global_id TEXT PRIMARY KEY REFERENCES global_sessions (id) ON DELETE CASCADE,
  started_for TEXT NOT NULL,
  group_name TEXT,
  created_at ${time} NOT NULL
)${tableOptions};

CREATE TABLE session_start_calls (
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  claimed_at ${time} NOT NULL,
  claimed_by TEXT NOT NULL,
  finished_at ${time},
  outcome TEXT,
  PRIMARY KEY (global_id, application_id)
)${tableOptions};
CREATE INDEX session_start_calls_application_id ON session_start_calls (application_id);
`;

// Version 12: the notifications of the verifySession cache (infra/store/verifyCache.ts, docs/DECISIONS.md
// "verifySession cache on PostgreSQL"), PostgreSQL only: SQLite has no cache (its read is in-process)
// and nothing to notify, so its version 12 is empty. Every change to a row that an answer of
// findCertificateAndSession is made of notifies the channel ssod_verify at commit, whoever made
// it: 'g:<global session id>' for a session's rows, 'u:<user id>' for a user's, '*' (forget every
// answer) for the certificates, applications and group memberships, for a TRUNCATE, and instead of
// more than 64 ids when one statement changes many rows (an expiry sweep). Statement-level
// triggers with transition tables: one trigger call per statement, however many rows. Inserts of
// sessions and users notify nothing: a new row's ids are in no answer kept (only answers with a
// session are kept, and a session id is never reused).
const NOTIFY_MANY = 64;
const notifyIds = (name: string, column: string, prefix: string): string => `
CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_id TEXT;
BEGIN
  IF (SELECT COUNT(*) FROM changed_rows) > ${NOTIFY_MANY} THEN
    PERFORM pg_notify('ssod_verify', '*');
  ELSE
    FOR changed_id IN SELECT DISTINCT ${column} FROM changed_rows LOOP
      PERFORM pg_notify('ssod_verify', '${prefix}:' || changed_id);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;`;
const notifyTriggers = (table: string, fn: string): string => `
CREATE TRIGGER ${table}_verify_update AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
CREATE TRIGGER ${table}_verify_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}();
CREATE TRIGGER ${table}_verify_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ssod_verify_all();`;
const verifyNotifications = (d: Dialect): string =>
  d.name !== 'postgres'
    ? ''
    : `
CREATE FUNCTION ssod_verify_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('ssod_verify', '*');
  RETURN NULL;
END $$;
${notifyIds('ssod_verify_global_sessions', 'id', 'g')}
${notifyIds('ssod_verify_local_sessions', 'global_id', 'g')}
${notifyIds('ssod_verify_users', 'id', 'u')}
${notifyTriggers('global_sessions', 'ssod_verify_global_sessions')}
${notifyTriggers('local_sessions', 'ssod_verify_local_sessions')}
${notifyTriggers('users', 'ssod_verify_users')}
${['certificates', 'applications', 'group_members']
  .map(
    (table) =>
      `CREATE TRIGGER ${table}_verify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ssod_verify_all();`,
  )
  .join('\n')}
`;

// Version 13: the administrators of the admin console (docs/admin-console.md), local accounts apart
// from the users: the argon2id hash of the password, the TOTP secret sealed with the installation's
// key, the last accepted time step (a code is refused for that step or an earlier one), SHA-256 of
// each unused recovery code; and the console sessions by SHA-256 of their secret, so that every node
// accepts them. Both go with their administrator (a cascade).
const admins = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE admins (
  name TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  totp_sealed TEXT NOT NULL,
  totp_last_step ${time} NOT NULL,
  created_at ${time} NOT NULL,
  last_sign_in_at ${time}
)${tableOptions};

CREATE TABLE admin_recovery_codes (
  admin_name TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  PRIMARY KEY (admin_name, code_hash)
)${tableOptions};

CREATE TABLE admin_sessions (
  id_hash TEXT PRIMARY KEY,
  admin_name TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,
  created_at ${time} NOT NULL,
  last_seen_at ${time} NOT NULL
)${tableOptions};
CREATE INDEX admin_sessions_admin_name ON admin_sessions (admin_name);
`;

// Version 14: the last test of each delegated source and SAML identity provider (what it answered,
// when, who asked), so that every node and a later visit of the console show it. One small table for
// both kinds; the store drops a row with its source or identity provider.
const lastTests = ({ time, tableOptions }: Dialect): string => `
CREATE TABLE last_tests (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  tested_at ${time} NOT NULL,
  actor TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (kind, name)
)${tableOptions};
`;

/** In ascending version order, starting at 1, without gaps. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'applications, certificates, users, global and local sessions, relay tokens', sql: initial },
  { version: 2, description: 'settings, disabled users, login throttling, audit events', sql: operations },
  {
    version: 3,
    description: 'key material shared by every node: the CA and the server certificate, private keys sealed',
    sql: keyMaterial,
  },
  { version: 4, description: 'the attempt that set a brute-force lock', sql: throttleLockOwner },
  {
    version: 5,
    description: 'the outbox of domain events, the delivery cursor of each subscriber, the event of an audit record',
    sql: outbox,
  },
  { version: 6, description: 'delegated sources, and the source of each user with single sign-on', sql: delegatedSources },
  {
    version: 7,
    description: 'SAML identity providers, federated ids linked to users, AuthnRequest ids and accepted assertion ids',
    sql: identityProviders,
  },
  {
    version: 8,
    description: 'signed logon tickets: the ticket-signing keys, the receivers, the receivers issued a ticket of each global session',
    sql: tickets,
  },
  {
    version: 9,
    description: 'application groups: a provider and its subscribers, and the set each global session was started in',
    sql: groups,
  },
  {
    version: 10,
    description: 'session variables: the declarations of each application, the values of each global session, the first ssox:verifySession',
    sql: sessionVariables,
  },
  {
    version: 11,
    description: 'On Session Start callbacks: the callback of each application, what each session was started for, the claims of each call',
    sql: sessionStartCallbacks,
  },
  {
    version: 12,
    description:
      'PostgreSQL: notifications of the changes to sessions, users, certificates, applications and groups, for the verifySession cache',
    sql: verifyNotifications,
  },
  {
    version: 13,
    description: 'the admin console: administrators with their sealed TOTP secrets and recovery codes, and console sessions',
    sql: admins,
  },
  { version: 14, description: 'the last test of each delegated source and SAML identity provider', sql: lastTests },
];

/** The schema version this code writes and expects. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.reduce((latest, m) => Math.max(latest, m.version), 0);
