// On Session Start callbacks (docs/groups.md): the statements, once for every engine, and the
// store's part for the callbacks, what each session was started for, and the claims of the calls
// (core/store/sessionStart.ts). A claim is one atomic insert or one compare-and-set, so that of any
// number of nodes exactly one holds it.
import { SESSION_START_CALL_COLUMNS, SESSION_START_CALLBACK_COLUMNS, SESSION_START_COLUMNS } from '../columns.js';
import type { Executor } from '../executor.js';
import { sql } from '../sql/statement.js';
import type {
  SessionStartCallbackRecord,
  SessionStartCallRecord,
  SessionStartClaim,
  SessionStartOutcome,
  SessionStartRecord,
  SessionStartStore,
} from '../../../core/store/index.js';

type ApplicationId = { readonly applicationId: string };
type CallKey = { readonly globalId: string; readonly applicationId: string };

const setCallback = sql<SessionStartCallbackRecord>(
  'set_session_start_callback',
  () => `INSERT INTO session_start_callbacks (application_id, url, policy, ca_pem, updated_at)
  VALUES (@applicationId, @url, @policy, @caPem::text, @updatedAt)
  ON CONFLICT (application_id) DO UPDATE SET url = excluded.url, policy = excluded.policy, ca_pem = excluded.ca_pem,
    updated_at = excluded.updated_at`,
);
const deleteCallback = sql<ApplicationId>(
  'delete_session_start_callback',
  () => 'DELETE FROM session_start_callbacks WHERE application_id = @applicationId',
);
const getCallback = sql<ApplicationId, SessionStartCallbackRecord>(
  'get_session_start_callback',
  () => `SELECT ${SESSION_START_CALLBACK_COLUMNS} FROM session_start_callbacks WHERE application_id = @applicationId`,
);
const listCallbacks = sql<object, SessionStartCallbackRecord>(
  'list_session_start_callbacks',
  (d) => `SELECT ${SESSION_START_CALLBACK_COLUMNS} FROM session_start_callbacks ORDER BY ${d.bytewise('application_id')}`,
);
const applicationIdsOfUrl = sql<{ url: string }, { id: string }>(
  'list_application_ids_of_url',
  (d) => `SELECT id FROM applications WHERE url = @url ORDER BY ${d.bytewise('id')}`,
);
/** Only for a session that exists: a start recorded after its session ended changes nothing. */
const recordStart = sql<SessionStartRecord>(
  'record_session_start',
  () => `INSERT INTO session_starts (global_id, started_for, group_name, created_at)
  SELECT @globalId, @startedFor, @groupName::text, @createdAt WHERE EXISTS (SELECT 1 FROM global_sessions WHERE id = @globalId)
  ON CONFLICT (global_id) DO NOTHING`,
);
const getStart = sql<{ globalId: string }, SessionStartRecord>(
  'get_session_start',
  () => `SELECT ${SESSION_START_COLUMNS} FROM session_starts WHERE global_id = @globalId`,
);
/** A claim only while the session and the application exist (no foreign-key error for a session ended meanwhile). */
const insertClaim = sql<Omit<SessionStartClaim, 'staleBefore'>>(
  'insert_session_start_claim',
  () => `INSERT INTO session_start_calls (global_id, application_id, claimed_at, claimed_by, finished_at, outcome)
  SELECT @globalId, @applicationId, @claimedAt, @claimedBy, NULL, NULL
  WHERE EXISTS (SELECT 1 FROM global_sessions WHERE id = @globalId) AND EXISTS (SELECT 1 FROM applications WHERE id = @applicationId)
  ON CONFLICT (global_id, application_id) DO NOTHING`,
);
/** Takes over an unfinished claim no younger than staleBefore: of several nodes, one changes the row. */
const takeOverClaim = sql<SessionStartClaim>(
  'take_over_session_start_claim',
  () => `UPDATE session_start_calls SET claimed_at = @claimedAt, claimed_by = @claimedBy
  WHERE global_id = @globalId AND application_id = @applicationId AND finished_at IS NULL AND claimed_at <= @staleBefore`,
);
const finishClaim = sql<CallKey & { claimedBy: string; finishedAt: number; outcome: SessionStartOutcome }>(
  'finish_session_start_claim',
  () => `UPDATE session_start_calls SET finished_at = @finishedAt, outcome = @outcome
  WHERE global_id = @globalId AND application_id = @applicationId AND claimed_by = @claimedBy AND finished_at IS NULL`,
);
const getCall = sql<CallKey, SessionStartCallRecord>(
  'get_session_start_call',
  () => `SELECT ${SESSION_START_CALL_COLUMNS} FROM session_start_calls WHERE global_id = @globalId AND application_id = @applicationId`,
);
const deleteLocalSessionsOf = sql<{ globalId: string; baseUrl: string }>(
  'delete_local_sessions_of',
  () => 'DELETE FROM local_sessions WHERE global_id = @globalId AND base_url = @baseUrl',
);

export function sessionStartPart(x: Executor): SessionStartStore {
  return {
    setSessionStartCallback: async (record) => {
      await x.run(setCallback, record);
    },
    deleteSessionStartCallback: async (applicationId) => (await x.run(deleteCallback, { applicationId })) > 0,
    getSessionStartCallback: (applicationId) => x.one(getCallback, { applicationId }),
    listSessionStartCallbacks: () => x.all(listCallbacks, {}),
    listApplicationIdsOfUrl: async (url) => (await x.all(applicationIdsOfUrl, { url })).map((row) => row.id),
    recordSessionStart: async (record) => {
      await x.run(recordStart, record);
    },
    getSessionStart: (globalId) => x.one(getStart, { globalId }),
    async claimSessionStartCall(claim) {
      const { staleBefore: _staleBefore, ...fresh } = claim;
      if ((await x.run(insertClaim, fresh)) > 0) return { claimed: true, takenOver: false };
      if ((await x.run(takeOverClaim, claim)) > 0) return { claimed: true, takenOver: true };
      return { claimed: false, call: await x.one(getCall, { globalId: claim.globalId, applicationId: claim.applicationId }) };
    },
    finishSessionStartCall: async (call) => (await x.run(finishClaim, call)) > 0,
    getSessionStartCall: (globalId, applicationId) => x.one(getCall, { globalId, applicationId }),
    deleteLocalSessionsOf: (globalId, baseUrl) => x.run(deleteLocalSessionsOf, { globalId, baseUrl }),
  };
}
