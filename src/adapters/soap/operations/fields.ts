// Field declarations shared by several operations, so each is declared (and documented) once.
import type { FieldSpec } from './types.js';

export const applicationIdField = {
  name: 'applicationId',
  type: 'uuid',
  doc: 'Identifier of an application (UUID).',
} as const satisfies FieldSpec;
export const userIdField = { name: 'userId', type: 'uuid', doc: 'Identifier of a user (UUID).' } as const satisfies FieldSpec;
export const loginField = {
  name: 'login',
  type: 'string',
  maxLength: 255,
  doc: 'Login name of a user, a PRECIS username (RFC 8265): case and width variants are one login; spaces, controls and invisible characters are invalidParameter.',
} as const satisfies FieldSpec;
export const sessionIdField = {
  name: 'sessionId',
  type: 'string',
  maxLength: 2100,
  doc: 'A local session id: the base URL followed by an opaque part (protocol §5.17).',
} as const satisfies FieldSpec;
export const passwordMaxLength = 65_536; // the byte limit (maxPasswordBytes) is checked by the domain

/** The descriptive fields of registerApplication and updateApplication (protocol §5.1). */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the rule misses the inferred return type, where Optional makes three fields required or optional
export function applicationFields<const Optional extends boolean>(optional: Optional) {
  return [
    { name: 'name', type: 'string', optional, doc: "Short common name of the application, e.g. 'plesk'." },
    { name: 'displayName', type: 'string', optional, allowEmpty: true, doc: 'Display name, without version.' },
    { name: 'version', type: 'string', optional, allowEmpty: true, doc: 'Exact version of the application.' },
    {
      name: 'capabilities',
      type: 'string',
      optional: true,
      allowEmpty: true,
      maxLength: 1024,
      doc: 'Open Fusion capabilities of the application.',
    },
    {
      name: 'url',
      type: 'baseUrl',
      optional: true,
      allowEmpty: true,
      doc: 'Entry point scheme://host:port/ (no path, query or fragment); the relay redirects only to registered urls.',
    },
    {
      name: 'restorePasswordUrl',
      type: 'url',
      optional: true,
      allowEmpty: true,
      doc: "URL of the password restore form; '$uid' is replaced by the user id.",
    },
    {
      name: 'changePasswordUrl',
      type: 'url',
      optional: true,
      allowEmpty: true,
      doc: "URL of the password change form; '$uid' is replaced by the user id.",
    },
  ] as const satisfies readonly FieldSpec[];
}
