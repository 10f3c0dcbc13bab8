// Which store a node uses (the `store` option): `sqlite:PATH`, or a PostgreSQL URL for several
// nodes serving as one. `sqlite:` alone, the default, is ssod.db in the data directory.
import path from 'node:path';
import { STORE_FILE } from '../dataFiles.js';

export type StoreLocation =
  | { readonly engine: 'sqlite'; readonly path: string }
  | { readonly engine: 'postgres'; readonly url: string };

/** Null when `value` names a store; else what is wrong, without echoing the value (a URL may hold a password). */
export function storeLocationProblem(value: string): string | null {
  if (value.startsWith('sqlite:')) return null;
  if (/^postgres(?:ql)?:\/\//.test(value)) {
    try {
      new URL(value);
      return null;
    } catch {
      return 'is not a readable URL (percent-encode special characters of the user name and password)';
    }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1];
  return `must be sqlite:PATH or a postgres://… or postgresql://… URL${scheme === undefined ? '' : `, not ${scheme}:…`}`;
}

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
