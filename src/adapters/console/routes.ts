// Every page of the admin console (docs/admin-console.md "The pages"): each module's routes, tried in
// this order. nav.ts lists the sections in the header.
import type { ConsoleRoute } from './kit.js';
import { IDENTITY_PROVIDER_ROUTES } from './identityProviders.js';
import { OVERVIEW_ROUTES } from './overview.js';
import { SOURCE_ROUTES } from './sources.js';

export const CONSOLE_ROUTES: readonly ConsoleRoute[] = [...OVERVIEW_ROUTES, ...SOURCE_ROUTES, ...IDENTITY_PROVIDER_ROUTES];
