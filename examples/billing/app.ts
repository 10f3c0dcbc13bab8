// The "billing" example application: a billing system that signs its users in through ssod.
import { pathToFileURL } from 'node:url';
import type { ExampleApp } from '../lib/app.js';
import { runStandalone } from '../lib/standalone.js';

export const BILLING: ExampleApp = { name: 'billing', title: 'Billing', color: '#2f855a', host: 'billing.test', port: 8082 };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runStandalone(BILLING);
