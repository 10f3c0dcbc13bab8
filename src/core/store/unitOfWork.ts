// A unit of work: writes of several aggregates that the core puts together, run by the store in one
// transaction. The core decides what goes together (a new certificate retires the pending ones, the
// first use of a certificate retires the others, disabling a user ends its sessions); the engine
// only makes the unit atomic. A unit is data, not a callback, so that SQLite runs it as one
// synchronous better-sqlite3 transaction with no await inside (begun IMMEDIATE), and PostgreSQL as
// one transaction that locks the rows it must order first (an application's, for its certificates).
// The hot path takes no unit: findCertificateAndSession and touchSession stay one statement each;
// and when a session is over stays one set-wise purge, whose cutoff the core computes
// (core/sessions.ts sessionCutoff). A part that brings new writes adds its union member here.
import type { CertificateWrite } from './applications.js';
import type { GroupWrite } from './groups.js';
import type { SessionWrite } from './sessions.js';
import type { UserWrite } from './users.js';

export type Write = CertificateWrite | UserWrite | SessionWrite | GroupWrite;

/** A write of a unit; `required`: the unit stands only if this write changes a row. */
export type UnitStep = Write & { readonly required?: boolean };

export interface UnitOfWorkStore {
  /**
   * Runs the steps in order in one transaction and resolves true; when a `required` step changes
   * no row, nothing of the unit is kept and it resolves false.
   */
  apply(unit: readonly UnitStep[]): Promise<boolean>;
}
