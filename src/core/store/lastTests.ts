// The last test of each delegated source and identity provider (`ssod sources test`, `ssod idps
// test`, the console's Test buttons): kept in the store so that every node, a later visit and the
// command line show what it answered, when, and who asked.

/** What was tested: a delegated source or a SAML identity provider, by its name. */
export type TestedKind = 'source' | 'identityProvider';

export interface LastTestRecord {
  readonly kind: TestedKind;
  readonly name: string;
  readonly testedAt: number;
  /** Who asked: `operator` or `admin:NAME`. */
  readonly actor: string;
  /** The answer in one word (accepted, refused, unreachable, …; usable, not usable). */
  readonly outcome: string;
  /** What the source or the checks said, bounded by the core. */
  readonly detail: string;
}

export interface LastTestStore {
  /**
   * Keeps this as the last test of its source or identity provider, in place of the one before;
   * false (nothing kept) when there is no source or identity provider of that name.
   */
  recordLastTest(record: LastTestRecord): Promise<boolean>;
  /** The last test of that source or identity provider; null when none was kept (deleteSource and deleteIdentityProvider drop it). */
  getLastTest(kind: TestedKind, name: string): Promise<LastTestRecord | null>;
}
