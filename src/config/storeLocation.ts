// The grammar of the `store` option: `sqlite:PATH`, or a PostgreSQL URL for several nodes serving as
// one. Pure, so that the option table checks it; infra/store/location.ts opens what it names.

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
