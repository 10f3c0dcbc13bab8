// Versioned schema migrations, one list for every engine, so that the SQLite and the PostgreSQL
// schemas cannot drift apart (STYLE: one store contract, many engines). A migration is never
// edited once released: a change to the schema is a new entry with the next version.
//
// Times are milliseconds since the epoch (INTEGER in SQLite is 64-bit; BIGINT in PostgreSQL).
// Every foreign key that a cascade follows has an index on the referencing column, so that
// deleting an application, a user or a session does not scan the child tables.

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** Records which migrations ran; created before any migration, so it is not one itself. */
export const SCHEMA_MIGRATIONS_TABLE = {
  // STRICT tables accept only SQLite's own type names, and INTEGER is already 64-bit.
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT;',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);',
} as const;

const INITIAL_SQLITE = `
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  version TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  url TEXT,
  restore_password_url TEXT,
  change_password_url TEXT,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX applications_url ON applications (url);

CREATE TABLE certificates (
  fingerprint TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  serial TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  first_used_at INTEGER,
  retired_at INTEGER
) STRICT;
CREATE INDEX certificates_application_id ON certificates (application_id);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  login_key TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX users_owner_id ON users (owner_id);

CREATE TABLE global_sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  cookie_hash TEXT,
  cookie_sealed_secret TEXT
) STRICT;
CREATE UNIQUE INDEX global_sessions_cookie_hash ON global_sessions (cookie_hash);
CREATE INDEX global_sessions_user_id ON global_sessions (user_id);
CREATE INDEX global_sessions_expires_at ON global_sessions (expires_at);
CREATE INDEX global_sessions_last_seen_at ON global_sessions (last_seen_at);

CREATE TABLE local_sessions (
  id_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  base_url TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (global_id, base_url)
) STRICT;

CREATE TABLE relay_tokens (
  token_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL,
  sealed_secret TEXT NOT NULL
) STRICT;
CREATE INDEX relay_tokens_global_id ON relay_tokens (global_id);
CREATE INDEX relay_tokens_expires_at ON relay_tokens (expires_at);
`;

const INITIAL_POSTGRES = `
CREATE TABLE applications (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL,
  version TEXT NOT NULL,
  capabilities TEXT NOT NULL,
  url TEXT,
  restore_password_url TEXT,
  change_password_url TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX applications_url ON applications (url);

CREATE TABLE certificates (
  fingerprint TEXT PRIMARY KEY,
  application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  serial TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  first_used_at BIGINT,
  retired_at BIGINT
);
CREATE INDEX certificates_application_id ON certificates (application_id);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  login TEXT NOT NULL,
  login_key TEXT NOT NULL UNIQUE,
  owner_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX users_owner_id ON users (owner_id);

CREATE TABLE global_sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  cookie_hash TEXT,
  cookie_sealed_secret TEXT
);
CREATE UNIQUE INDEX global_sessions_cookie_hash ON global_sessions (cookie_hash);
CREATE INDEX global_sessions_user_id ON global_sessions (user_id);
CREATE INDEX global_sessions_expires_at ON global_sessions (expires_at);
CREATE INDEX global_sessions_last_seen_at ON global_sessions (last_seen_at);

CREATE TABLE local_sessions (
  id_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  base_url TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (global_id, base_url)
);

CREATE TABLE relay_tokens (
  token_hash TEXT PRIMARY KEY,
  global_id TEXT NOT NULL REFERENCES global_sessions (id) ON DELETE CASCADE,
  expires_at BIGINT NOT NULL,
  sealed_secret TEXT NOT NULL
);
CREATE INDEX relay_tokens_global_id ON relay_tokens (global_id);
CREATE INDEX relay_tokens_expires_at ON relay_tokens (expires_at);
`;

// Version 2: what operators and the security rules need (issues 5 and 6).
// - settings: the service settings that every node reads (host name, session timeouts, ...), one
//   row per setting that differs from its default; a running server re-reads them.
// - users.disabled_at: an operator disabled the user (null while enabled).
// - login_throttle: failure counters and locks per login and per source (brute-force protection).
// - audit_events: the trail of security events, trimmed by a retention setting.
const OPERATIONS_SQLITE = `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

ALTER TABLE users ADD COLUMN disabled_at INTEGER;

CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_failure_at INTEGER NOT NULL,
  last_failure_at INTEGER NOT NULL,
  locked_until INTEGER
) STRICT;
CREATE INDEX login_throttle_last_failure_at ON login_throttle (last_failure_at);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target);
`;

const OPERATIONS_POSTGRES = `
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN disabled_at BIGINT;

CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  first_failure_at BIGINT NOT NULL,
  last_failure_at BIGINT NOT NULL,
  locked_until BIGINT
);
CREATE INDEX login_throttle_last_failure_at ON login_throttle (last_failure_at);

CREATE TABLE audit_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  target TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target);
`;

// Version 3: the key material that every node of a PostgreSQL installation shares (the certificate authority
// and the server certificate): the certificate in the clear, the private key sealed with the
// master key (infra/keys/masterKey.ts), never plain. A SQLite installation keeps these as files in its
// data directory and leaves the table empty; it exists in both schemas so they stay one schema.
const KEY_MATERIAL_SQLITE = `
CREATE TABLE key_material (
  name TEXT PRIMARY KEY,
  certificate_pem TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
`;

const KEY_MATERIAL_POSTGRES = `
CREATE TABLE key_material (
  name TEXT PRIMARY KEY,
  certificate_pem TEXT NOT NULL,
  sealed_key TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
`;

// Version 4: an attempt is counted before its password is checked (core/throttle.ts), and the key's
// lock names the attempt that set it (a random id, no secret), so that among attempts racing the end
// of a lock exactly one is let through, and a success can take back the lock its own count set.
const THROTTLE_LOCK_OWNER = `
ALTER TABLE login_throttle ADD COLUMN locked_by TEXT;
`;

// Version 5: domain events and their delivery (core/events.ts, core/outbox.ts).
// - outbox_events: every published event, in publishing order (the id), trimmed once every
//   subscriber has passed it or it is older than the audit retention.
// - outbox_cursors: per subscriber, the id of the last event delivered to it, and the node that holds
//   its lease (a random id) until when, so that two nodes never deliver to one subscriber at once.
// - audit_events.event_id: the outbox event an audit record was written for, unique, so that the
//   dispatcher catching up after a crash does not write a record twice.
const OUTBOX_SQLITE = `
CREATE TABLE outbox_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_events_at ON outbox_events (at);

CREATE TABLE outbox_cursors (
  subscriber TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER NOT NULL
) STRICT;

ALTER TABLE audit_events ADD COLUMN event_id INTEGER;
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
`;

const OUTBOX_POSTGRES = `
CREATE TABLE outbox_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX outbox_events_at ON outbox_events (at);

CREATE TABLE outbox_cursors (
  subscriber TEXT PRIMARY KEY,
  position BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT NOT NULL
);

ALTER TABLE audit_events ADD COLUMN event_id BIGINT;
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
`;

/** In ascending version order, starting at 1, without gaps. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'applications, certificates, users, global and local sessions, relay tokens',
    sqlite: INITIAL_SQLITE,
    postgres: INITIAL_POSTGRES,
  },
  {
    version: 2,
    description: 'settings, disabled users, login throttling, audit events',
    sqlite: OPERATIONS_SQLITE,
    postgres: OPERATIONS_POSTGRES,
  },
  {
    version: 3,
    description: 'key material shared by every node: the CA and the server certificate, private keys sealed',
    sqlite: KEY_MATERIAL_SQLITE,
    postgres: KEY_MATERIAL_POSTGRES,
  },
  {
    version: 4,
    description: 'the attempt that set a brute-force lock',
    sqlite: THROTTLE_LOCK_OWNER,
    postgres: THROTTLE_LOCK_OWNER,
  },
  {
    version: 5,
    description: 'the outbox of domain events, the delivery cursor of each subscriber, the event of an audit record',
    sqlite: OUTBOX_SQLITE,
    postgres: OUTBOX_POSTGRES,
  },
];

/** The schema version this code writes and expects. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.reduce((latest, m) => Math.max(latest, m.version), 0);
