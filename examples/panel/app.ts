// The "panel" example application: a hosting control panel that signs its users in through ssod.
import { pathToFileURL } from 'node:url';
import type { ExampleApp } from '../lib/app.js';
import { runStandalone } from '../lib/standalone.js';

export const PANEL: ExampleApp = { name: 'panel', title: 'Hosting Panel', color: '#2b6cb0', host: 'panel.test', port: 8081 };

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runStandalone(PANEL);
