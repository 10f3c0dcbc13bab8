// The admin console's navigation (docs/admin-console.md "The pages"): every section, in the order
// the header lists them. A page module adds its routes in routes.ts and its entry here.

export interface NavigationEntry {
  readonly path: string;
  readonly title: string;
}

export const NAVIGATION: readonly NavigationEntry[] = [
  { path: '/', title: 'Overview' },
  { path: '/applications', title: 'Applications' },
  { path: '/groups', title: 'Groups' },
  { path: '/users', title: 'Users' },
  { path: '/sessions', title: 'Sessions' },
  { path: '/sources', title: 'Sources' },
  { path: '/identity-providers', title: 'Identity providers' },
  { path: '/tickets', title: 'Tickets' },
  { path: '/settings', title: 'Settings' },
  { path: '/audit', title: 'Audit trail' },
];

/** The section a path belongs to: the longest entry path it is under ('/' only for itself). */
export function sectionOf(path: string): string {
  let best = '';
  for (const entry of NAVIGATION) {
    const under = entry.path === '/' ? path === '/' : path === entry.path || path.startsWith(`${entry.path}/`);
    if (under && entry.path.length > best.length) best = entry.path;
  }
  return best;
}
