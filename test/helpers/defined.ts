// What a test (or the bench) knows is there but the types cannot: a value it asserts (failing with a
// message, not a TypeError later), and a variable a before() hook assigns, as the after() hook sees it.
import assert from 'node:assert/strict';

/** The value, which the test expects to be there; the test fails naming `what` when it is not. */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) assert.fail(`expected ${what}, found ${String(value)}`);
  return value;
}

/**
 * A variable assigned in before(), as after() sees it: unassigned when before() failed part way,
 * which its declared type (kept plain for the tests' sake) does not say.
 */
export function ifAssigned<T>(value: T): T | undefined {
  return value;
}
