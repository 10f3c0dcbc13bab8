// A statement written once: dialect-neutral text with named placeholders `@name` (typed `@name::type`
// where PostgreSQL cannot infer the type), and calls on the dialect for the few real differences.
// Each engine compiles and prepares every statement once, when the store opens; a call only binds
// values to a prepared statement. No SQL text is ever built from input.
import type { Dialect } from './dialect.js';

/** The values a statement binds, by placeholder name. */
export type Params = Readonly<Record<string, string | number | null>>;

/**
 * A statement with the types of its values `P` and of its rows `R`. `arrayRows`: rows are read as
 * arrays in column order (the hot path skips building objects it takes apart at once).
 */
export interface Sql<P extends object = Params, R = unknown> {
  /** Unique among all statements: PostgreSQL prepares it under this name on each connection. */
  readonly name: string;
  readonly text: (d: Dialect) => string;
  readonly arrayRows: boolean;
  /** Its place in STATEMENTS, where an engine keeps it prepared. */
  readonly slot: number;
  /** Phantom fields, only for the types of P and R. */
  readonly __params?: P;
  readonly __row?: R;
}

/** Every statement defined, in order of definition: what an engine prepares when the store opens. */
export const STATEMENTS: Sql<object>[] = [];

export function sql<P extends object, R = never>(name: string, text: (d: Dialect) => string, { arrayRows = false } = {}): Sql<P, R> {
  if (STATEMENTS.some((statement) => statement.name === name)) throw new Error(`two statements named ${name}`);
  const statement: Sql<P, R> = { name, text, arrayRows, slot: STATEMENTS.length };
  STATEMENTS.push(statement);
  return statement;
}

/** A statement's text in one dialect, and the names of the values it binds, in order. */
export interface Compiled {
  readonly text: string;
  readonly params: readonly string[];
}

const PLACEHOLDER = /@([A-Za-z_][A-Za-z0-9_]*)(?:::([a-z]+(?:\[\])?))?/g;

export function compile(statement: Sql<object>, dialect: Dialect): Compiled {
  const params: string[] = [];
  const text = statement.text(dialect).replace(PLACEHOLDER, (_match, name: string, type: string | undefined) => {
    let index = dialect.reusesPlaceholders ? params.indexOf(name) : -1;
    if (index < 0) index = params.push(name) - 1;
    return dialect.placeholder(index + 1, type);
  });
  return { text, params };
}

/** The values of `params` in the order a compiled statement binds them; a missing one is an error, never NULL. */
export function bind(compiled: Compiled & { readonly name: string }, params: object): unknown[] {
  const names = compiled.params;
  const values = new Array<unknown>(names.length);
  for (let i = 0; i < names.length; i += 1) {
    const value = (params as Record<string, unknown>)[names[i] as string];
    if (value === undefined) throw new Error(`statement ${compiled.name} misses its value @${names[i]}`);
    values[i] = value;
  }
  return values;
}
