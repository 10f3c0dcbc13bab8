// Session variables as an application sees them (docs/groups.md "Session variables"): the types the
// SsoClient's ssox helpers answer, the shapes of those operations' replies, and how a lost update
// (the version rule) is told apart from other faults.
import { isFault } from './errors.js';
import type { ExtensionOutputShape, ReplyRecord } from './envelope.js';

/** What an application declares. */
export interface SessionVariableDeclaration {
  readonly name: string;
  readonly defaultValue: string;
  /** The longest value in characters, 1 to 4096. */
  readonly maxLength: number;
  /** Other applications of the session's set may read it. */
  readonly readable: boolean;
  /** Other applications of the session's set may change it (and so read it). */
  readonly writable: boolean;
}

/** A variable's value in a session, with the version that a write must name (0: the default). */
export interface SessionVariable {
  /** The application that declared it. */
  readonly owner: string;
  readonly name: string;
  readonly value: string;
  readonly version: number;
}

/** What ssox:verifySession answers. */
export interface VerifiedSession {
  readonly userId: string;
  /** The caller's first ssox:verifySession of this session. */
  readonly firstVisit: boolean;
  /** Every variable of the session the caller may read, defaults included. */
  readonly variables: readonly SessionVariable[];
}

/** Where a variable is: a session (the caller's local session id), the declaring application (default: the caller) and a name. */
export interface VariableAddress {
  readonly sessionId: string;
  readonly owner?: string;
  readonly name: string;
}

/** The outputs of the ssox operations that the client calls, by operation. */
export const EXTENSION_OUTPUTS = {
  declareSessionVariable: {},
  listSessionVariableDeclarations: { declaration: 'records' },
  removeSessionVariable: {},
  getSessionVariable: { value: 'single', version: 'single' },
  setSessionVariable: { version: 'single' },
  verifySession: { userId: 'single', firstVisit: 'single', variable: 'records' },
} as const satisfies Readonly<Record<string, Readonly<Record<string, ExtensionOutputShape>>>>;

export type ExtensionName = keyof typeof EXTENSION_OUTPUTS;

/** A number the server wrote; anything else is no reply of ours. */
export function counted(text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !/^[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new TypeError(`not a count: ${String(text)}`);
  return value;
}

export function declarationOf(record: ReplyRecord): SessionVariableDeclaration {
  return {
    name: record.name ?? '',
    defaultValue: record.defaultValue ?? '',
    maxLength: counted(record.maxLength),
    readable: record.readable === 'true',
    writable: record.writable === 'true',
  };
}

export function variableOf(record: ReplyRecord): SessionVariable {
  return { owner: record.owner ?? '', name: record.name ?? '', value: record.value ?? '', version: counted(record.version) };
}

/**
 * True when `error` is setSessionVariable's refusal under the version rule: another write came
 * first. Read the variable again (or verify the session again) and retry with its new version.
 */
export function isVersionConflict(error: unknown): boolean {
  return isFault(error, 'invalidParameter') && /: version: /.test(error.message);
}

/** What SessionVariables needs of the client: reading one variable again, and writing one. */
interface VariableClient {
  getSessionVariable(address: VariableAddress): Promise<{ value: string; version: number }>;
  setSessionVariable(address: VariableAddress & { readonly value: string; readonly version: number }): Promise<number>;
}

/**
 * The variables of one session as SsoApp's handler sees them (option `sessionVariables`): those the
 * last ssox:verifySession answered, and a setter that follows the version rule: it writes with the
 * version it holds, so a write by another application in between is refused (isVersionConflict),
 * after which the variable here holds what the other wrote; decide again and set again.
 */
export class SessionVariables {
  readonly #client: VariableClient;
  readonly #sessionId: string;
  readonly #self: string;
  #variables: SessionVariable[];

  /** `self`: this application's id, the owner when none is named. */
  constructor(client: VariableClient, sessionId: string, self: string, variables: readonly SessionVariable[]) {
    this.#client = client;
    this.#sessionId = sessionId;
    this.#self = self;
    this.#variables = [...variables];
  }

  /** Every variable the application may read in this session. */
  get all(): readonly SessionVariable[] {
    return this.#variables;
  }

  /** A variable by name, of `owner` (default: this application); undefined when not readable or not declared. */
  get(name: string, owner: string = this.#self): SessionVariable | undefined {
    return this.#variables.find((variable) => variable.owner === owner && variable.name === name);
  }

  /** The value of a variable, or undefined. */
  value(name: string, owner: string = this.#self): string | undefined {
    return this.get(name, owner)?.value;
  }

  /** Replaces what the last verification answered. */
  refresh(variables: readonly SessionVariable[]): void {
    this.#variables = [...variables];
  }

  /**
   * Writes a variable under the version rule, with the version held here (0 for one not seen yet);
   * resolves to the new version. A lost update rejects (isVersionConflict) after reading the variable again.
   */
  async set(name: string, value: string, owner: string = this.#self): Promise<number> {
    const address = { sessionId: this.#sessionId, owner, name };
    const held = this.get(name, owner);
    try {
      const version = await this.#client.setSessionVariable({ ...address, value, version: held?.version ?? 0 });
      this.#store({ owner, name, value, version });
      return version;
    } catch (error) {
      if (isVersionConflict(error)) this.#store({ owner, name, ...(await this.#client.getSessionVariable(address)) });
      throw error;
    }
  }

  #store(variable: SessionVariable): void {
    this.#variables = [...this.#variables.filter((v) => v.owner !== variable.owner || v.name !== variable.name), variable];
  }
}
