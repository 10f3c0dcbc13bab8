// Which store a node uses (the `store` option): `sqlite:PATH`, or a PostgreSQL URL for several
// nodes serving as one. `sqlite:` alone, the default, is ssod.db in the data directory.
import path from 'node:path';
import { storeLocationProblem } from '../../config/storeLocation.js';
import { STORE_FILE } from '../dataFiles.js';

export type StoreLocation = { readonly engine: 'sqlite'; readonly path: string } | { readonly engine: 'postgres'; readonly url: string };

/** The store that the option names; `dataDir` places the default SQLite file. */
export function storeLocation(value: string, dataDir: string): StoreLocation {
  const problem = storeLocationProblem(value);
  if (problem !== null) throw new Error(`store ${problem}`);
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    return { engine: 'sqlite', path: file === '' ? path.join(dataDir, STORE_FILE) : file };
  }
  return { engine: 'postgres', url: value };
}
