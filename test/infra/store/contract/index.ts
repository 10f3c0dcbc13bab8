// THE Store contract suite (STYLE: one store contract, many engines): every engine runs exactly
// these tests, which follow the doc comments of src/core/store/, one file per part of the port.
// Each test opens a fresh store.
import { describe, test } from 'node:test';
import { adminsContract } from './admins.js';
import { applicationsContract } from './applications.js';
import { auditContract } from './audit.js';
import { groupsContract } from './groups.js';
import { identityProvidersContract } from './identityProviders.js';
import { keyMaterialContract } from './keyMaterial.js';
import { lastTestsContract } from './lastTests.js';
import { lifecycleContract } from './lifecycle.js';
import { outboxContract } from './outbox.js';
import { sessionsContract } from './sessions.js';
import { sessionStartContract } from './sessionStart.js';
import { sessionVariablesContract } from './sessionVariables.js';
import { settingsContract } from './settings.js';
import { sourcesContract } from './sources.js';
import { throttleContract } from './throttle.js';
import { ticketsContract } from './tickets.js';
import { unitOfWorkContract } from './unitOfWork.js';
import { usersContract } from './users.js';
import type { Store } from '../../../../src/core/store/index.js';

export { seedOwnedUser, sessionParts } from './fixtures.js';

export function runStoreContract(engineName: 'sqlite' | 'postgres', open: () => Promise<Store>, variant = ''): void {
  /** A test on a fresh store, closed afterwards whatever happens. */
  function storeTest(name: string, body: (store: Store) => Promise<void>): void {
    test(name, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  }

  describe(`Store contract: ${engineName}${variant}`, () => {
    describe('the store itself', () => lifecycleContract(storeTest, engineName));
    describe('applications and certificates (protocol §4.2)', () => applicationsContract(storeTest));
    describe('users', () => usersContract(storeTest));
    describe('delegated sources', () => sourcesContract(storeTest));
    describe('SAML identity providers, federated links, AuthnRequest and assertion ids', () => identityProvidersContract(storeTest));
    describe('sessions, relay tokens and cookies', () => sessionsContract(storeTest));
    describe('session variables', () => sessionVariablesContract(storeTest));
    describe('service settings', () => settingsContract(storeTest));
    describe('brute-force throttle', () => throttleContract(storeTest));
    describe('audit trail', () => auditContract(storeTest));
    describe('key material shared by every node', () => keyMaterialContract(storeTest));
    describe('signed logon tickets: keys, receivers, grants', () => ticketsContract(storeTest));
    describe('units of work', () => unitOfWorkContract(storeTest));
    describe('the last test of each source and identity provider', () => lastTestsContract(storeTest));
    describe('application groups', () => groupsContract(storeTest));
    describe('On Session Start callbacks: callbacks, session starts, claims', () => sessionStartContract(storeTest));
    describe('browser sessions started without a relay token, and the outbox of domain events', () => outboxContract(storeTest));
    describe('the admin console: administrators, recovery codes, console sessions', () => adminsContract(storeTest));
  });
}
