// What an engine gives the parts of the store (parts/*.ts): prepared statements run by name, and a
// batch of statements in one transaction. The parts hold the SQL and the mapping to the contract
// once for every engine; an engine holds only how it runs them (better-sqlite3 synchronously, with
// durable commits off the event loop; node-postgres on a pool).
import type { Dialect } from './sql/dialect.js';
import type { Sql } from './sql/statement.js';

/** One statement of a batch. `required`: when it changes no row, the whole batch is rolled back. */
export interface BatchStep {
  readonly sql: Sql<object>;
  readonly params: object;
  readonly required?: boolean;
}

/** What a step did: rows changed, and the rows it returned (a SELECT, or RETURNING). */
export interface StepResult {
  readonly changes: number;
  readonly rows: readonly unknown[];
}

export interface Executor {
  readonly dialect: Dialect;
  /** The first row, or null. A statement that writes (RETURNING) resolves once its change is durable. */
  one<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R | null>;
  /** The first row (undefined: none) as `convert` makes it, in the same step: the hot path's one promise. */
  first<P extends object, R, T>(sql: Sql<P, R>, params: P, convert: (row: R | undefined) => T): Promise<T>;
  all<P extends object, R>(sql: Sql<P, R>, params: P): Promise<R[]>;
  /** Runs a statement that writes; resolves to how many rows it changed, once durable. */
  run<P extends object>(sql: Sql<P>, params: P): Promise<number>;
  /**
   * Runs the steps in order in one transaction (on SQLite synchronously, BEGIN IMMEDIATE) and
   * resolves to what each did; null, with nothing kept, when a required step changed no row.
   */
  batch(steps: readonly BatchStep[]): Promise<StepResult[] | null>;
}

/** A batch step, typed by its statement. */
export function step<P extends object>(sql: Sql<P>, params: P, required = false): BatchStep {
  return { sql, params, required };
}
