// The two SQL dialects the store speaks, and every way in which they differ, named once. Statements
// and the schema are written once (parts/*.ts, migrations.ts) and compiled per dialect when a store
// opens (statement.ts): anything that is not here is the same text on both engines.

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /**
   * A placeholder `@name::type`, as the `index`th value bound. SQLite takes `?`, one value per
   * occurrence, untyped (positional binding costs less than binding by name on the hot path);
   * PostgreSQL numbers the names once each (`$n`), typed where it cannot infer the type.
   */
  placeholder(index: number, type: string | undefined): string;
  /** Whether a name used twice is bound once (`$n` again) rather than once per occurrence. */
  readonly reusesPlaceholders: boolean;
  /**
   * Text ordered and compared byte-wise: SQLite's default (BINARY); PostgreSQL would follow the
   * database's collation, so paging by login key could give other pages than on SQLite.
   */
  bytewise(expression: string): string;
  /** The larger of two values: SQLite's scalar MAX, PostgreSQL's GREATEST. */
  greatest(a: string, b: string): string;
  /** The smaller of two values: SQLite's scalar MIN, PostgreSQL's LEAST. */
  least(a: string, b: string): string;
  /** Whether `text` contains `part` (both text): instr / strpos. */
  contains(text: string, part: string): string;
  /** The elements of a JSON array of strings bound as text, as a one-column subquery: json_each / json_array_elements_text. */
  jsonTextElements(json: string): string;
  /** Aggregates `expression` into a JSON array, as text, in the order of `orderBy` (byte-wise); `[]` for no rows. */
  jsonTextArray(expression: string, orderBy: string): string;
  /** A JSON array of the values, as JSON (to nest in jsonTextArray): json_array / json_build_array. */
  jsonArray(...items: string[]): string;
  /** The length in bytes (UTF-8) of a text. */
  byteLength(text: string): string;
  /** Locks the rows a SELECT reads until the transaction ends. SQLite needs none: its writers begin IMMEDIATE, one at a time. */
  readonly forUpdate: string;
  /**
   * The FROM clause of an `INSERT … SELECT` whose serial ids must become visible in their order:
   * SQLite has one writer at a time, so none; PostgreSQL takes an id before its row commits, so the
   * statement first takes a transaction-scoped advisory lock (`key`, per schema) held until commit.
   */
  inCommitOrder(key: number): string;

  // Schema (migrations.ts)
  /** Milliseconds since the epoch: SQLite's INTEGER is 64-bit already; PostgreSQL's is not. */
  readonly time: string;
  /** A key that the database numbers in increasing order of insertion. */
  readonly serialKey: string;
  /** After CREATE TABLE (…): SQLite's STRICT tables refuse a value of the wrong type, as PostgreSQL always does. */
  readonly tableOptions: string;
}

export const SQLITE: Dialect = {
  name: 'sqlite',
  placeholder: () => '?',
  reusesPlaceholders: false,
  bytewise: (expression) => expression,
  greatest: (a, b) => `MAX(${a}, ${b})`,
  least: (a, b) => `MIN(${a}, ${b})`,
  contains: (text, part) => `instr(${text}, ${part}) > 0`,
  jsonTextElements: (json) => `SELECT value FROM json_each(${json})`,
  jsonTextArray: (expression, orderBy) => `json_group_array(${expression} ORDER BY ${orderBy})`,
  jsonArray: (...items) => `json_array(${items.join(', ')})`,
  byteLength: (text) => `length(CAST(${text} AS BLOB))`,
  forUpdate: '',
  inCommitOrder: () => '',
  time: 'INTEGER',
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  tableOptions: ' STRICT',
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  placeholder: (index, type) => `$${index}${type === undefined ? '' : `::${type}`}`,
  reusesPlaceholders: true,
  bytewise: (expression) => `${expression} COLLATE "C"`,
  greatest: (a, b) => `GREATEST(${a}, ${b})`,
  least: (a, b) => `LEAST(${a}, ${b})`,
  contains: (text, part) => `strpos(${text}, ${part}) > 0`,
  jsonTextElements: (json) => `SELECT json_array_elements_text(${json}::json)`,
  jsonTextArray: (expression, orderBy) => `COALESCE(json_agg(${expression} ORDER BY ${orderBy} COLLATE "C"), '[]')::text`,
  jsonArray: (...items) => `json_build_array(${items.join(', ')})`,
  byteLength: (text) => `octet_length(${text})`,
  forUpdate: ' FOR UPDATE',
  inCommitOrder: (key) => ` FROM (SELECT pg_advisory_xact_lock(${key}, hashtext(current_schema()))) AS ordered`,
  time: 'BIGINT',
  serialKey: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  tableOptions: '',
};
