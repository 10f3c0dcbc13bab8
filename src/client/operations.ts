// The 20 operations of protocol §5 as the client sees them: which fields each takes and which it
// answers. The types of every call are derived from this one table, and a test checks it against
// the server's own table (src/operations), so the SDK cannot drift from the protocol.

/** `required`: always sent; `optional`: sent only when given (an empty string is sent as empty). */
export type InputPresence = 'required' | 'optional';
/** `single`: one element; `optional`: one element or none; `list`: wrapped `sso:a` items (protocol §5.3); `repeated`: the element repeated (getSettings' passwordHash). */
export type OutputShape = 'single' | 'optional' | 'list' | 'repeated';

interface OperationShape {
  readonly input: Readonly<Record<string, InputPresence>>;
  readonly output: Readonly<Record<string, OutputShape>>;
}

const APPLICATION_FIELDS = {
  capabilities: 'optional',
  url: 'optional',
  restorePasswordUrl: 'optional',
  changePasswordUrl: 'optional',
} as const;

export const CLIENT_OPERATIONS = {
  registerApplication: {
    input: { name: 'required', displayName: 'required', version: 'required', ...APPLICATION_FIELDS },
    output: { applicationId: 'single', certificate: 'single' },
  },
  updateApplication: {
    input: {
      applicationId: 'required',
      name: 'optional',
      displayName: 'optional',
      version: 'optional',
      ...APPLICATION_FIELDS,
      certificate: 'optional',
    },
    output: { certificate: 'optional' },
  },
  listApplications: { input: {}, output: { applicationsList: 'list' } },
  getApplication: {
    input: { applicationId: 'required' },
    output: {
      name: 'single',
      displayName: 'single',
      version: 'single',
      capabilities: 'single',
      url: 'optional',
      changePasswordUrl: 'optional',
      restorePasswordUrl: 'optional',
    },
  },
  unregisterApplication: { input: { applicationId: 'required' }, output: {} },
  createUser: { input: { login: 'required', password: 'required', passwordHashType: 'optional' }, output: { userId: 'single' } },
  deleteUser: { input: { userId: 'required' }, output: {} },
  getUser: { input: { userId: 'required' }, output: { login: 'single', applicationId: 'single' } },
  getUserId: { input: { login: 'required' }, output: { userId: 'single' } },
  listUsers: { input: {}, output: { usersList: 'list' } },
  changeLogin: { input: { userId: 'required', login: 'required' }, output: {} },
  duplicateUser: { input: { userId: 'required', login: 'optional' }, output: { userId: 'single' } },
  changePassword: {
    input: { userId: 'required', oldPassword: 'optional', newPassword: 'required', newPasswordHashType: 'optional' },
    output: {},
  },
  getChangePasswordUrl: { input: { userId: 'required' }, output: { url: 'optional' } },
  getRestorePasswordUrl: { input: { login: 'optional', userId: 'optional' }, output: { url: 'optional' } },
  transferOwnership: { input: { userId: 'required', applicationId: 'required' }, output: {} },
  authenticate: {
    input: { login: 'optional', userId: 'optional', password: 'optional', baseUrl: 'optional' },
    output: { relayToken: 'optional', sessionId: 'optional', userId: 'single' },
  },
  verifySession: { input: { sessionId: 'required' }, output: { userId: 'single' } },
  closeSession: { input: { sessionId: 'required' }, output: {} },
  getSettings: { input: {}, output: { usersSessionsTimeout: 'single', relayEndpointUrl: 'single', passwordHash: 'repeated' } },
} as const satisfies Readonly<Record<string, OperationShape>>;

type Table = typeof CLIENT_OPERATIONS;
export type OperationName = keyof Table;

type KeysWhere<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T];

/** The fields an operation takes; every value is text, as on the wire. */
export type OperationInput<N extends OperationName> = {
  readonly [F in KeysWhere<Table[N]['input'], 'required'>]: string;
} & {
  readonly [F in KeysWhere<Table[N]['input'], 'optional'>]?: string;
};

/** The fields an operation answers: lists as arrays, absent optional fields as undefined. */
export type OperationOutput<N extends OperationName> = {
  readonly [F in KeysWhere<Table[N]['output'], 'single'>]: string;
} & {
  readonly [F in KeysWhere<Table[N]['output'], 'list' | 'repeated'>]: readonly string[];
} & {
  readonly [F in KeysWhere<Table[N]['output'], 'optional'>]?: string;
};

export const OPERATION_NAMES = Object.freeze(Object.keys(CLIENT_OPERATIONS) as OperationName[]);

/** The shape table of one operation, typed loosely for the envelope code that walks it. */
export function shapeOf(name: OperationName): OperationShape {
  return CLIENT_OPERATIONS[name];
}
