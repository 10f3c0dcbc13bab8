// The store port: the one storage contract every engine implements (STYLE: one store contract, many
// engines), in parts, one per aggregate (a new capability adds a part). Everything is async so that a
// networked engine (PostgreSQL) fits the same shape as SQLite. Times are milliseconds since the epoch.
import type { AdminStore } from './admins.js';
import type { ApplicationStore } from './applications.js';
import type { AuditStore } from './audit.js';
import type { GroupStore } from './groups.js';
import type { IdentityProviderStore } from './identityProviders.js';
import type { KeyMaterialStore } from './keyMaterial.js';
import type { LastTestStore } from './lastTests.js';
import type { OutboxStore } from './outbox.js';
import type { StoreLifecycle } from './lifecycle.js';
import type { SessionStartStore } from './sessionStart.js';
import type { SessionStore } from './sessions.js';
import type { SessionVariableStore } from './sessionVariables.js';
import type { SettingsStore } from './settings.js';
import type { SourceStore } from './sources.js';
import type { ThrottleStore } from './throttle.js';
import type { TicketStore } from './tickets.js';
import type { UnitOfWorkStore } from './unitOfWork.js';
import type { UserStore } from './users.js';

export * from './admins.js';
export * from './applications.js';
export * from './audit.js';
export * from './groups.js';
export * from './identityProviders.js';
export * from './keyMaterial.js';
export * from './lastTests.js';
export * from './lifecycle.js';
export * from './outbox.js';
export * from './sessionStart.js';
export * from './sessions.js';
export * from './sessionVariables.js';
export * from './settings.js';
export * from './sources.js';
export * from './throttle.js';
export * from './tickets.js';
export * from './unitOfWork.js';
export * from './users.js';

export interface Store
  extends
    StoreLifecycle,
    ApplicationStore,
    GroupStore,
    UserStore,
    SourceStore,
    IdentityProviderStore,
    LastTestStore,
    SessionStore,
    SessionStartStore,
    SessionVariableStore,
    SettingsStore,
    ThrottleStore,
    AuditStore,
    KeyMaterialStore,
    TicketStore,
    OutboxStore,
    UnitOfWorkStore,
    AdminStore {}
