// The fields of the ssox operations on session variables (docs/groups.md "Session variables"),
// declared once for the five of them that share them.
import type { FieldSpec } from './types.js';

export const variableNameField = {
  name: 'name',
  type: 'string',
  maxLength: 64,
  doc: 'The name of a variable: 1 to 64 characters, each a letter, a digit, `.`, `_` or `-`.',
} as const satisfies FieldSpec;
export const variableOwnerField = {
  name: 'owner',
  type: 'uuid',
  optional: true,
  allowEmpty: true,
  doc: 'The application that declared the variable (UUID); absent or empty: the caller.',
} as const satisfies FieldSpec;
export const variableValueField = {
  name: 'value',
  type: 'string',
  allowEmpty: true,
  maxLength: 4096,
  doc: "The value, at most the variable's maxLength characters.",
} as const satisfies FieldSpec;
export const VARIABLE_FAULTS = ['invalidParameter', 'permissionDenied', 'noSuchSession'] as const;
