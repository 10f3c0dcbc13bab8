// A fresh ssod installation for the operator command tests: its store and CA exist (an operator
// command never creates them), and every command and server of a test points at it. Making one is
// this one function, so that the same tests run on either store engine by changing it alone.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { flagOf, resolveOptions, type OptionName } from '../../src/config/options.js';
import { generateMasterKeyFile } from '../../src/infra/keys/masterKey.js';
import { openServices } from '../../src/app/compose.js';
import { createLogger } from '../../src/infra/log.js';
import { runCli, type CliResult } from './cli.js';
import { createDatabase } from './postgres.js';
import { startTestServer, type TestServer } from './server.js';

export type Engine = 'sqlite' | 'postgres';

export interface Installation {
  readonly engine: Engine;
  readonly dataDir: string;
  /** The flags that point a command at this installation. */
  readonly flags: readonly string[];
  /** `ssod ARGS… <installation flags>` through the real binary. */
  run(args: readonly string[], options?: { input?: string; env?: Readonly<Record<string, string>> }): Promise<CliResult>;
  /** A server on this installation, on ephemeral loopback ports; the test closes it. */
  serve(overrides?: Partial<Record<OptionName, string | number>>): Promise<TestServer>;
  /** Removes the installation (and its PostgreSQL database). */
  remove(): Promise<void>;
}

/**
 * A new installation: SQLite in a temporary data directory, or a PostgreSQL database of its own
 * (the server at TEST_POSTGRES_URL; only inside a postgresSuite) with a master key file.
 */
export async function freshInstallation({ engine = 'sqlite' }: { engine?: Engine } = {}): Promise<Installation> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-install-'));
  const database = engine === 'postgres' ? await createDatabase() : null;
  const storeOptions: Partial<Record<'store' | 'masterKeyFile', string>> = {};
  if (database !== null) {
    const masterKeyFile = path.join(dataDir, 'master.key');
    await generateMasterKeyFile(masterKeyFile);
    Object.assign(storeOptions, { store: database.url, masterKeyFile });
  }
  const services = await openServices(resolveOptions({ flags: { dataDir, ...storeOptions } }), { logger: createLogger('silent') });
  await services.store.close();
  const flags = ['--data-dir', dataDir, ...Object.entries(storeOptions).flatMap(([name, value]) => [flagOf(name as OptionName), value])];
  return {
    engine,
    dataDir,
    flags,
    // The installation's flags go before a `--`, after which every word is an argument.
    run: (args, options) => {
      const end = args.indexOf('--');
      return runCli(end < 0 ? [...args, ...flags] : [...args.slice(0, end), ...flags, ...args.slice(end)], options);
    },
    serve: (overrides = {}) => startTestServer({ ...overrides, ...storeOptions, dataDir }),
    async remove() {
      rmSync(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}
