// Delegated sources (docs/FEDERATION.md): the operator's settings of each source, and which users
// sign in through one; the store's part. The settings are kept as JSON and checked again when read
// back (core/sourceSettings.ts): a row that this ssod cannot read is reported as unreadable, never
// used, and never crashes a reader.
import type { SourceKind, SourceSettings } from '../ports/delegated.js';
import type { UserRecord } from './users.js';

export interface SourceRecord {
  /** The operator's name for it, unique; users name their source by it. */
  readonly name: string;
  readonly kind: SourceKind;
  readonly settings: SourceSettings;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A stored source whose settings do not pass the checks (edited by hand, written by another version): kept and shown, never opened. */
export interface UnreadableSource {
  readonly name: string;
  /** The kind as stored, which may be none this ssod knows. */
  readonly kind: string;
  readonly settings: null;
  /** Why its settings cannot be used. */
  readonly problem: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A source as the store gives it back: its checked settings, or why they cannot be used (tell them apart by `settings`). */
export type StoredSource = SourceRecord | UnreadableSource;

/** What deleteSource did: deleted it, found none by that name, or left it because that many users still have it. */
export type SourceRemoval = 'deleted' | 'absent' | { readonly inUse: number };

/** Thrown by insertSource when the name is taken. */
export class DuplicateSourceError extends Error {
  constructor(name: string) {
    super(`a source named ${name} exists already`);
    this.name = 'DuplicateSourceError';
  }
}

export interface SourceStore {
  /** Every source, by name. */
  listSources(): Promise<StoredSource[]>;
  getSource(name: string): Promise<StoredSource | null>;
  /** Throws DuplicateSourceError when the name is taken. */
  insertSource(source: SourceRecord): Promise<void>;
  /** Replaces the kind, settings and updatedAt of the source of that name (createdAt stays); false when there is none. */
  updateSource(source: SourceRecord): Promise<boolean>;
  /** Deletes the source unless a user still has it (then nothing changes). */
  deleteSource(name: string): Promise<SourceRemoval>;
  /** How many users sign in through the source. */
  countUsersOfSource(name: string): Promise<number>;
  /** Users that sign in through the source, by login key, at most `limit`. */
  listUsersOfSource(name: string, limit: number): Promise<UserRecord[]>;
  /**
   * Sets the user's source (null: ssod's own hash) and password hash in one statement: a user never
   * has a source and a usable local hash at once. False when there is no such user, or no source of
   * that name.
   */
  setUserSource(userId: string, sourceName: string | null, passwordHash: string): Promise<boolean>;
}
