// Opens the store that a location names, with either engine behind the one Store contract.
import type { Logger } from '../log.js';
import type { StoreLocation } from './location.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export interface OpenStoreSettings {
  /** Most PostgreSQL connections of this node (SQLite has one). */
  readonly poolSize: number;
  readonly logger?: Logger;
}

export function openStore(location: StoreLocation, settings: OpenStoreSettings): Promise<Store> {
  return location.engine === 'sqlite' ? openSqliteStore(location.path) : openPostgresStore(location.url, settings);
}
