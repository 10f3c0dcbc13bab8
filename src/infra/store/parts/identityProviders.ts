// SAML identity providers and federated links (docs/federation/saml.md): the statements, once for every
// engine, and the store's part; with the AuthnRequest ids and assertion ids the service provider keeps
// cluster-wide. The settings are stored as JSON text and checked again when read back
// (core/identityProviderSettings.ts).
import { FEDERATED_LINK_COLUMNS, IDENTITY_PROVIDER_COLUMNS, SAML_REQUEST_COLUMNS, USER_COLUMNS } from '../columns.js';
import { step, type Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import { lastTestDrop } from './lastTests.js';
import { parseIdentityProviderSettings } from '../../../core/identityProviderSettings.js';
import {
  DuplicateIdentityProviderError,
  type FederatedLink,
  type FederatedLinking,
  type IdentityProviderRecord,
  type IdentityProviderSettings,
  type IdentityProviderStore,
  type SamlRequestRecord,
  type StoredIdentityProvider,
  type UserRecord,
} from '../../../core/store/index.js';

type Name = { readonly name: string };

/** A row of the identity_providers table: the settings as the JSON text they are stored as. */
interface IdentityProviderRow {
  readonly name: string;
  readonly displayName: string;
  readonly settings: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

const listIdps = sql<object, IdentityProviderRow>(
  'list_identity_providers',
  (d) => `SELECT ${IDENTITY_PROVIDER_COLUMNS} FROM identity_providers ORDER BY ${d.bytewise('name')}`,
);
const getIdp = sql<Name, IdentityProviderRow>(
  'get_identity_provider',
  () => `SELECT ${IDENTITY_PROVIDER_COLUMNS} FROM identity_providers WHERE name = @name`,
);
/** ON CONFLICT: a name that is taken changes no row, on either engine, without an engine's error to tell apart. */
const insertIdp = sql<IdentityProviderRow>(
  'insert_identity_provider',
  () => `INSERT INTO identity_providers (name, display_name, settings, created_at, updated_at)
  VALUES (@name, @displayName, @settings, @createdAt, @updatedAt) ON CONFLICT (name) DO NOTHING`,
);
const updateIdp = sql<Omit<IdentityProviderRow, 'createdAt'>>(
  'update_identity_provider',
  () => 'UPDATE identity_providers SET display_name = @displayName, settings = @settings, updated_at = @updatedAt WHERE name = @name',
);
/** Deletes only an identity provider without links; the foreign key of federated_links.idp_name backs this up. */
const deleteUnlinkedIdp = sql<Name>(
  'delete_unlinked_identity_provider',
  () => 'DELETE FROM identity_providers WHERE name = @name AND NOT EXISTS (SELECT 1 FROM federated_links WHERE idp_name = @name)',
);
const deleteLinksOfIdp = sql<Name>('delete_links_of_identity_provider', () => 'DELETE FROM federated_links WHERE idp_name = @name');
const deleteIdp = sql<Name>('delete_identity_provider', () => 'DELETE FROM identity_providers WHERE name = @name');
const countLinks = sql<Name, { count: number }>(
  'count_federated_links',
  () => 'SELECT COUNT(*) AS count FROM federated_links WHERE idp_name = @name',
);
/**
 * Links only an existing user under an existing identity provider; a federated id or a user already
 * linked under it changes no row (ON CONFLICT without a target covers both unique keys).
 */
const insertLink = sql<FederatedLink>(
  'insert_federated_link',
  () => `INSERT INTO federated_links (idp_name, federated_id, user_id, created_at)
  SELECT @idpName::text, @federatedId::text, @userId::text, @createdAt::bigint
  WHERE EXISTS (SELECT 1 FROM users WHERE id = @userId::text) AND EXISTS (SELECT 1 FROM identity_providers WHERE name = @idpName::text)
  ON CONFLICT DO NOTHING`,
);
const linkOfFederatedId = sql<{ idpName: string; federatedId: string }, FederatedLink>(
  'get_federated_link',
  () => `SELECT ${FEDERATED_LINK_COLUMNS} FROM federated_links WHERE idp_name = @idpName AND federated_id = @federatedId`,
);
const linkOfUser = sql<{ idpName: string; userId: string }, FederatedLink>(
  'get_federated_link_of_user',
  () => `SELECT ${FEDERATED_LINK_COLUMNS} FROM federated_links WHERE idp_name = @idpName AND user_id = @userId`,
);
const deleteLink = sql<{ idpName: string; userId: string }, FederatedLink>(
  'delete_federated_link',
  () => `DELETE FROM federated_links WHERE idp_name = @idpName AND user_id = @userId RETURNING ${FEDERATED_LINK_COLUMNS}`,
);
const userOfFederatedId = sql<{ idpName: string; federatedId: string }, UserRecord>(
  'find_user_by_federated_id',
  () =>
    `SELECT ${USER_COLUMNS} FROM users WHERE id = (SELECT user_id FROM federated_links WHERE idp_name = @idpName AND federated_id = @federatedId)`,
);
const linksOfUser = sql<{ userId: string }, FederatedLink>(
  'list_federated_links_of_user',
  (d) => `SELECT ${FEDERATED_LINK_COLUMNS} FROM federated_links WHERE user_id = @userId ORDER BY ${d.bytewise('idp_name')}`,
);
const allLinks = sql<object, FederatedLink>(
  'list_federated_links',
  (d) => `SELECT ${FEDERATED_LINK_COLUMNS} FROM federated_links ORDER BY ${d.bytewise('idp_name')}, ${d.bytewise('federated_id')}`,
);

const insertSamlRequest = sql<SamlRequestRecord>(
  'insert_saml_request',
  () => 'INSERT INTO saml_requests (id, idp_name, relay_url, expires_at) VALUES (@id, @idpName, @relayUrl, @expiresAt)',
);
/** One DELETE … RETURNING: of concurrent takers, the one whose delete removed the row gets it. */
const takeSamlRequest = sql<{ id: string }, SamlRequestRecord>(
  'take_saml_request',
  () => `DELETE FROM saml_requests WHERE id = @id RETURNING ${SAML_REQUEST_COLUMNS}`,
);
/**
 * Inserts the assertion id, or takes over an expired row of the same id; a row still valid changes
 * nothing (0 rows: a replay). One statement, so two nodes cannot both see the id as new.
 */
const rememberAssertion = sql<{ issuer: string; id: string; expiresAt: number; now: number }>(
  'remember_saml_assertion',
  () => `INSERT INTO saml_assertions (issuer, id, expires_at) VALUES (@issuer, @id, @expiresAt)
  ON CONFLICT (issuer, id) DO UPDATE SET expires_at = excluded.expires_at WHERE saml_assertions.expires_at <= @now`,
);
const purgeSamlRequests = sql<{ now: number }>('purge_saml_requests', () => 'DELETE FROM saml_requests WHERE expires_at <= @now');
const purgeSamlAssertions = sql<{ now: number }>('purge_saml_assertions', () => 'DELETE FROM saml_assertions WHERE expires_at <= @now');

/** The settings texts read lately and what their checks made of them: settings, or why they cannot be used. */
const checkedTexts = new Map<string, IdentityProviderSettings | { readonly problem: string }>();
/** More texts than identity providers only while settings change; then the map starts again. */
const CHECKED_TEXTS_KEPT = 64;

/**
 * The stored settings text checked (core/identityProviderSettings.ts), once per text: those checks
 * depend on the text alone (what depends on the time is not among them), and every SAML sign-in and
 * every sign-in page reads the settings, each certificate of which the checks parse.
 */
function checkedSettings(text: string): IdentityProviderSettings | { readonly problem: string } {
  const known = checkedTexts.get(text);
  if (known !== undefined) return known;
  let checked: IdentityProviderSettings | { readonly problem: string };
  try {
    const settings = parseIdentityProviderSettings(JSON.parse(text));
    Object.freeze(settings.certificates);
    checked = Object.freeze(settings);
  } catch (error) {
    checked = {
      problem: error instanceof SyntaxError ? 'its settings are not JSON' : error instanceof Error ? error.message : String(error),
    };
  }
  if (checkedTexts.size >= CHECKED_TEXTS_KEPT) checkedTexts.clear();
  checkedTexts.set(text, checked);
  return checked;
}

/** A stored row as the core reads it: its settings checked, or why they cannot be used. */
export function storedIdentityProviderOf(row: IdentityProviderRow): StoredIdentityProvider {
  const { settings: text, ...rest } = row;
  const checked = checkedSettings(text);
  if ('problem' in checked) return { ...rest, settings: null, problem: checked.problem };
  return { ...rest, settings: checked } satisfies IdentityProviderRecord;
}

function rowOf(idp: IdentityProviderRecord): IdentityProviderRow {
  return {
    name: idp.name,
    displayName: idp.displayName,
    settings: JSON.stringify(idp.settings),
    createdAt: idp.createdAt,
    updatedAt: idp.updatedAt,
  };
}

function federatedLinkPart(x: Executor): Pick<IdentityProviderStore, 'linkFederatedId' | 'unlinkFederatedId'> {
  /** Why a link changed no row (or broke a foreign key in a race): read after the fact. */
  async function whyNotLinked(link: FederatedLink): Promise<FederatedLinking> {
    if ((await x.one(linkOfFederatedId, link)) !== null) return 'federatedIdTaken';
    if ((await x.one(linkOfUser, link)) !== null) return 'userLinked';
    return 'absent';
  }
  return {
    async linkFederatedId(link) {
      try {
        if ((await x.run(insertLink, link)) > 0) return 'linked';
      } catch (error) {
        // The user or the identity provider deleted by a concurrent transaction: the foreign key refuses.
        const why = await whyNotLinked(link);
        if (why === 'absent') return why;
        throw error;
      }
      return whyNotLinked(link);
    },
    unlinkFederatedId: (userId, idpName) => x.one(deleteLink, { userId, idpName }),
  };
}

function samlStatePart(
  x: Executor,
): Pick<IdentityProviderStore, 'insertSamlRequest' | 'takeSamlRequest' | 'rememberAssertion' | 'purgeSamlState'> {
  return {
    insertSamlRequest: async (request) => {
      await x.run(insertSamlRequest, request);
    },
    async takeSamlRequest(id, now) {
      const request = await x.one(takeSamlRequest, { id });
      return request !== null && request.expiresAt > now ? request : null;
    },
    rememberAssertion: async (issuer, id, expiresAt, now) => (await x.run(rememberAssertion, { issuer, id, expiresAt, now })) > 0,
    async purgeSamlState(now) {
      const results = await x.batch([step(purgeSamlRequests, { now }), step(purgeSamlAssertions, { now })]);
      return (results ?? []).reduce((total, result) => total + result.changes, 0);
    },
  };
}

export function identityProviderPart(x: Executor): IdentityProviderStore {
  const count = async (name: string): Promise<number> => (await x.one(countLinks, { name }))?.count ?? 0;
  return {
    listIdentityProviders: async () => (await x.all(listIdps, {})).map(storedIdentityProviderOf),
    getIdentityProvider: async (name) => {
      const row = await x.one(getIdp, { name });
      return row === null ? null : storedIdentityProviderOf(row);
    },
    async insertIdentityProvider(idp) {
      if ((await x.run(insertIdp, rowOf(idp))) === 0) throw new DuplicateIdentityProviderError(idp.name);
    },
    updateIdentityProvider: async (idp) => (await x.run(updateIdp, rowOf(idp))) > 0,
    async deleteIdentityProvider(name, { withLinks = false } = {}) {
      const deleted = async (): Promise<'deleted'> => {
        await lastTestDrop(x, 'identityProvider', name);
        return 'deleted';
      };
      if (withLinks) {
        const results = await x.batch([step(deleteLinksOfIdp, { name }), step(deleteIdp, { name })]);
        return (results?.[1]?.changes ?? 0) > 0 ? deleted() : 'absent';
      }
      try {
        if ((await x.run(deleteUnlinkedIdp, { name })) > 0) return await deleted();
      } catch (error) {
        // A link made by a concurrent transaction: the foreign key refuses the delete.
        const linked = await count(name);
        if (linked > 0) return { linked };
        throw error;
      }
      const linked = await count(name);
      return linked > 0 ? { linked } : 'absent';
    },
    countFederatedLinks: count,
    ...federatedLinkPart(x),
    findUserByFederatedId: (idpName, federatedId) => x.one(userOfFederatedId, { idpName, federatedId }),
    listFederatedLinksOfUser: (userId) => x.all(linksOfUser, { userId }),
    listFederatedLinks: () => x.all(allLinks, {}),
    ...samlStatePart(x),
  };
}
