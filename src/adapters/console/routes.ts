// Every page of the admin console (docs/admin-console.md "The pages"): each module's routes, tried in
// this order. nav.ts lists the sections in the header.
import type { ConsoleRoute } from './kit.js';
import { OVERVIEW_ROUTES } from './overview.js';
import { SETTINGS_ROUTES } from './settings.js';
import { TICKETS_ROUTES } from './tickets.js';

export const CONSOLE_ROUTES: readonly ConsoleRoute[] = [...OVERVIEW_ROUTES, ...TICKETS_ROUTES, ...SETTINGS_ROUTES];
