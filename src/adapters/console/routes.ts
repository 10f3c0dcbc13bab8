// Every page of the admin console (docs/admin-console.md "The pages"): each module's routes, tried in
// this order. nav.ts lists the sections in the header.
import { APPLICATION_ROUTES } from './applications.js';
import { GROUP_ROUTES } from './groups.js';
import type { ConsoleRoute } from './kit.js';
import { AUDIT_ROUTES } from './audit.js';
import { IDENTITY_PROVIDER_ROUTES } from './identityProviders.js';
import { OVERVIEW_ROUTES } from './overview.js';
import { SESSIONS_ROUTES } from './sessions.js';
import { SETTINGS_ROUTES } from './settings.js';
import { SOURCE_ROUTES } from './sources.js';
import { TICKETS_ROUTES } from './tickets.js';
import { USERS_ROUTES } from './users.js';

export const CONSOLE_ROUTES: readonly ConsoleRoute[] = [
  ...OVERVIEW_ROUTES,
  ...APPLICATION_ROUTES,
  ...GROUP_ROUTES,
  ...USERS_ROUTES,
  ...SESSIONS_ROUTES,
  ...SOURCE_ROUTES,
  ...IDENTITY_PROVIDER_ROUTES,
  ...TICKETS_ROUTES,
  ...SETTINGS_ROUTES,
  ...AUDIT_ROUTES,
];
