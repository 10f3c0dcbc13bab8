// Session variables (docs/groups.md "Session variables"): the store's part. An application's
// declarations, and the values that a global session holds, each with the version that writers
// compare and set. The limits (declarations per application, bytes per session) are the core's
// numbers; the store applies them in the statement that writes, so that two writers racing on two
// nodes cannot both pass them.
import type { CertificateAndSession } from './sessions.js';

/** A variable as its application declared it. */
export interface SessionVariableDeclaration {
  readonly applicationId: string;
  readonly name: string;
  readonly defaultValue: string;
  /** In characters. */
  readonly maxLength: number;
  /** Other applications of the session's set may read it. */
  readonly readable: boolean;
  /** Other applications of the session's set may change it (and so read it). */
  readonly writable: boolean;
  readonly createdAt: number;
}

/** A variable's value in one session: its default at version 0 until a first write. */
export interface SessionVariableValue {
  readonly owner: string;
  readonly name: string;
  readonly value: string;
  readonly version: number;
}

/** A write of a variable in one session, when its current version is still `expectedVersion`. */
export interface SessionVariableWrite {
  readonly globalId: string;
  readonly owner: string;
  readonly name: string;
  readonly value: string;
  /** 0: the variable still holds its default (no value stored). */
  readonly expectedVersion: number;
  /** The bytes (UTF-8) of all values of the session after the write may not exceed this. */
  readonly maxSessionBytes: number;
}

/** What ssox:verifySession reads in one go: the hot path's read, and the caller's variables of the session. */
export interface CertificateSessionAndVariables extends CertificateAndSession {
  /** When the certificate's application first verified this local session with ssox:verifySession; null before. */
  readonly firstVerifiedAt: number | null;
  /**
   * The variables of the session the certificate's application may read (its own, and the readable
   * ones of others), defaults included, by owner then name; empty without a session.
   */
  readonly variables: readonly SessionVariableValue[];
}

export interface SessionVariableStore {
  /**
   * Inserts the declaration, or replaces the application's declaration of that name (its values
   * stay). False, with nothing changed, when it is new and the application has `maxDeclarations`
   * already, or the application does not exist.
   */
  declareSessionVariable(declaration: SessionVariableDeclaration, maxDeclarations: number): Promise<boolean>;
  /** The application's declarations by name (byte-wise). */
  listSessionVariableDeclarations(applicationId: string): Promise<SessionVariableDeclaration[]>;
  getSessionVariableDeclaration(applicationId: string, name: string): Promise<SessionVariableDeclaration | null>;
  /** Deletes the declaration with its values in every session; false when there was none. */
  removeSessionVariableDeclaration(applicationId: string, name: string): Promise<boolean>;
  /** The stored value of a variable in a session; null while it holds its default. */
  getSessionVariableValue(globalId: string, owner: string, name: string): Promise<SessionVariableValue | null>;
  /**
   * Compare and set: stores the value at version expectedVersion + 1 when the variable's version
   * is still expectedVersion, the session and the declaration exist, and the session stays within
   * maxSessionBytes; else changes nothing and resolves false. Of writers racing with the same
   * expectedVersion, on any number of nodes, at most one succeeds.
   */
  writeSessionVariable(write: SessionVariableWrite): Promise<boolean>;
  /**
   * Sets several values of one owner in a session whatever their versions (each one version up), all
   * or none: false, with nothing changed, when the session or a declaration is gone or the session
   * would exceed maxSessionBytes.
   */
  writeSessionVariables(
    globalId: string,
    owner: string,
    values: readonly { readonly name: string; readonly value: string }[],
    maxSessionBytes: number,
  ): Promise<boolean>;
  /** The bytes (UTF-8) of all values stored in the session. */
  sessionVariableBytes(globalId: string): Promise<number>;
  /** findCertificateAndSession with what ssox:verifySession answers besides: one statement, one round trip, one snapshot. */
  findCertificateSessionAndVariables(fingerprint: string, localIdHash: string): Promise<CertificateSessionAndVariables>;
  /** Records the first ssox:verifySession of the local session; true only for the call that recorded it. */
  markLocalSessionVerified(localIdHash: string, now: number): Promise<boolean>;
}
