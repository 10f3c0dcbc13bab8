// On Session Start callbacks (docs/groups.md "On Session Start callbacks"): who is called when a
// session starts and when a member first reaches it, in what order, exactly once per (session,
// application) across nodes, and what a failure does under each policy.
//
// Exactly once rests on a claim row per call (core/store/sessionStart.ts): the node that inserts it
// calls; a node that finds a claim younger than CLAIM_TAKEOVER_MS waits for its outcome; an older
// unfinished claim is taken over (its node died). The call is made inline, before the request that
// started the session (or created the member's local session) answers; the events session.started
// and session.joined carry the same work for the outbox (SessionStartCatchUp), so that the call is
// made by another node when the one that should have made it dies first.
import { randomUUID } from 'node:crypto';
import { SsoError } from './errors.js';
import { publish, type Actor, type EventContext, type StoredEvent } from './events.js';
import type { Subscriber } from './outbox.js';
import type { Services } from './services.js';
import type { SessionStartCallbackRecord, SessionStartOutcome, SessionStartPolicy, Store } from './store/index.js';
import { checkCaPem } from './sourceSettings.js';
import { signerAt } from './ticketKeys.js';
import { relayEndpointUrl } from './urls.js';

/** An unfinished claim older than this is taken over: its node is taken for dead (docs/groups.md). */
export const CLAIM_TAKEOVER_MS = 30_000;
/** How often a node waiting for another's call looks at its claim. */
const WAIT_STEP_MS = 200;
/** How long a node keeps the callbacks it read (a registration is followed within 5 s). */
export const CALLBACKS_MAX_AGE_MS = 5000;
/** A request lives this long: `exp` = `iat` + 60 s. */
export const SESSION_START_TOKEN_LIFETIME_S = 60;
/** The most of a reply read; a longer one is a failure. */
export const MAX_SESSION_START_REPLY_BYTES = 16 * 1024;
/** The `typ` of the request's JWS header. */
export const SESSION_START_TOKEN_TYPE = 'ssod-session-start+jwt';
/** A variable name as docs/groups.md declares it. */
const VARIABLE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Why an application is called: the provider of the session's group, the starting application, a member at its first visit. */
export type CallOrder = 'provider' | 'starting' | 'firstVisit';

/** A group as the session-start rules need it: its name and its provider (core/store/groups.ts GroupMembership). */
interface Membership {
  readonly groupName: string;
  readonly providerId: string;
}

/** A session as the callbacks see it. */
export interface StartingSession {
  readonly globalId: string;
  readonly userId: string;
}

/** What a session was started for, recorded at its start. */
export interface StartPlan extends StartingSession {
  readonly startedFor: string;
  readonly group: Membership | null;
}

// ---------------------------------------------------------------------------------------------
// Registration

/** Checks a callback URL: https, a host, no user info, no fragment, at most 2048 characters. */
export function checkCallbackUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SsoError('invalidParameter', 'url: not a URL; give an https URL such as https://app.example.com/ssod/session-start.');
  }
  if (url.protocol !== 'https:') throw new SsoError('invalidParameter', 'url: the callback URL must be https; give an https:// URL.');
  if (url.username !== '' || url.password !== '')
    throw new SsoError('invalidParameter', 'url: the URL holds a user name or password; give it without them.');
  if (url.hash !== '' || text.includes('#'))
    throw new SsoError('invalidParameter', 'url: the URL holds a fragment (#…); give it without one.');
  if (url.hostname === '') throw new SsoError('invalidParameter', 'url: the URL names no host; give an https URL with a host name.');
  if (text.length > 2048) throw new SsoError('invalidParameter', 'url: the URL is over 2048 characters; give a shorter one.');
  return url.href;
}

/** A policy name, or invalidParameter. */
export function checkPolicy(text: string): SessionStartPolicy {
  if (text === 'continue' || text === 'fail') return text;
  throw new SsoError('invalidParameter', 'policy: give continue or fail.');
}

interface CachedCallbacks {
  readonly readAt: number;
  readonly callbacks: Promise<readonly SessionStartCallbackRecord[]>;
}
const callbackCache = new WeakMap<Store, CachedCallbacks>();

/** Every registered callback, read from the store at most CALLBACKS_MAX_AGE_MS ago (at once after a change made here). */
export async function registeredCallbacks(services: Pick<Services, 'store' | 'now'>): Promise<readonly SessionStartCallbackRecord[]> {
  const now = services.now();
  const cached = callbackCache.get(services.store);
  if (cached !== undefined && now - cached.readAt < CALLBACKS_MAX_AGE_MS && now >= cached.readAt) return cached.callbacks;
  const callbacks = services.store.listSessionStartCallbacks();
  callbackCache.set(services.store, { readAt: now, callbacks });
  callbacks.catch(() => callbackCache.delete(services.store));
  return callbacks;
}

/**
 * Registers the application's callback (an empty url removes it); the caller's own application
 * (ssox:setSessionStartCallback) or the operator's word (`ssod applications callback`).
 */
export async function setSessionStartCallback(
  services: Pick<Services, 'store' | 'now' | 'log' | 'eventPublished'>,
  applicationId: string,
  wanted: { readonly url: string; readonly policy: string; readonly caPem?: string | null },
  actor: Actor,
): Promise<SessionStartCallbackRecord | null> {
  if ((await services.store.getApplication(applicationId)) === null) throw new SsoError('invalidParameter', 'No such application.');
  const policy = checkPolicy(wanted.policy === '' ? 'continue' : wanted.policy);
  if (wanted.url === '') {
    const removed = await services.store.deleteSessionStartCallback(applicationId);
    callbackCache.delete(services.store);
    if (removed)
      await publish(services, { type: 'application.sessionStartCallbackChanged', actor, applicationId, url: null, policy: null });
    return null;
  }
  const record = {
    applicationId,
    url: checkCallbackUrl(wanted.url),
    policy,
    caPem: wanted.caPem === undefined || wanted.caPem === null ? null : checkCaPem(wanted.caPem),
    updatedAt: services.now(),
  };
  await services.store.setSessionStartCallback(record);
  callbackCache.delete(services.store);
  await publish(services, { type: 'application.sessionStartCallbackChanged', actor, applicationId, url: record.url, policy });
  return record;
}

// ---------------------------------------------------------------------------------------------
// Groups

/** The group of an application with its provider, or null for an ungrouped one (docs/groups.md "Groups"). */
async function membershipOf(services: Pick<Services, 'store'>, applicationId: string): Promise<Membership | null> {
  const membership = await services.store.groupOfApplication(applicationId);
  return membership === null ? null : { groupName: membership.groupName, providerId: membership.providerId };
}

/** The application a session is started for at `baseUrl`: the caller when it is registered there, else the first registered there. */
export async function startingApplication(
  services: Pick<Services, 'store' | 'now'>,
  baseUrl: string | null,
  callerId: string | null = null,
): Promise<string | null> {
  if (baseUrl === null || (await registeredCallbacks(services)).length === 0) return null;
  const ids = await services.store.listApplicationIdsOfUrl(baseUrl);
  return callerId !== null && ids.includes(callerId) ? callerId : (ids[0] ?? null);
}

// ---------------------------------------------------------------------------------------------
// The calls

/** This node's name in the claims: one per store (two in-process nodes of a test are two nodes). */
const nodeNames = new WeakMap<Store, string>();
function nodeName(store: Store): string {
  let name = nodeNames.get(store);
  if (name === undefined) {
    name = randomUUID();
    nodeNames.set(store, name);
  }
  return name;
}

/** The request's `jti`: the same for every try of one (session, application), so that a receiver drops a repeat. */
export function sessionStartJti(globalId: string, applicationId: string): string {
  return `${globalId}:${applicationId}`;
}

interface Call {
  readonly callback: SessionStartCallbackRecord;
  readonly order: CallOrder;
}

/** `iss`: the relay URL, as in logon tickets (core/tickets.ts ticketIssuer), so that one key set and issuer verify both. */
function issuer(services: Pick<Services, 'options' | 'settings'>): string {
  return relayEndpointUrl(services.settings.current().hostname, services.options.relayPort, services.options.relayTls === 'on');
}

/** The signed request (docs/groups.md "The request"); null when no ticket-signing key can sign now. */
async function signRequest(services: Services, plan: StartPlan, call: Call): Promise<string | null> {
  const user = await services.store.getUser(plan.userId);
  const now = services.now();
  const key = signerAt(await services.tickets.keys(), now);
  if (key === null) return null;
  const iat = Math.floor(now / 1000);
  return services.tickets.sign(key, SESSION_START_TOKEN_TYPE, {
    iss: issuer(services),
    aud: call.callback.url,
    iat,
    exp: iat + SESSION_START_TOKEN_LIFETIME_S,
    jti: sessionStartJti(plan.globalId, call.callback.applicationId),
    sid: plan.globalId,
    sub: plan.userId,
    login: user?.login ?? '',
    app: call.callback.applicationId,
    started_for: plan.startedFor,
    ...(plan.group === null ? {} : { group: plan.group.groupName }),
    order: call.order,
  });
}

/** The variables of a reply (docs/groups.md "The reply"), or why the reply is a failure. */
export function replyVariables(reply: {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}): { readonly variables: Readonly<Record<string, string>> } | { readonly failure: string } {
  if (reply.status !== 200)
    return { failure: reply.status >= 300 && reply.status < 400 ? `redirect refused (HTTP ${reply.status})` : `HTTP ${reply.status}` };
  if (reply.body.length === 0) return { variables: {} };
  if (!/^application\/json\s*(?:;|$)/i.test(reply.contentType)) return { failure: 'the reply is not application/json' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return { failure: 'the reply is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { failure: 'the reply is not a JSON object' };
  const given = (parsed as Record<string, unknown>).variables;
  if (given === undefined) return { variables: {} };
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return { failure: 'variables is not an object' };
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (!VARIABLE_NAME.test(name)) return { failure: 'a variable name is not valid' };
    if (typeof value !== 'string') return { failure: `variable ${name} is not a string` };
    variables[name] = value;
  }
  return { variables };
}

/**
 * Sets the called application's initial values from the reply: core/sessionVariables.ts
 * setInitialVariables (docs/groups.md "Session variables"), as the server wired it. Without it no
 * variable can be set, so any is refused, as an unknown variable is.
 */
async function setReplyVariables(
  services: Services,
  globalId: string,
  applicationId: string,
  variables: Readonly<Record<string, string>>,
): Promise<void> {
  if (Object.keys(variables).length === 0) return;
  if (services.setInitialVariables === undefined) throw new SsoError('invalidParameter', 'session variables cannot be set on this node');
  await services.setInitialVariables(services, globalId, applicationId, variables);
}

/** A call cut short because this node stops: it has no outcome, and its claim is left for another node to take over. */
const STOPPING = Symbol('stopping');

/** One call: sign, POST, read the reply, set its variables; the failure's reason, or null when it was delivered. */
async function callOnce(services: Services, plan: StartPlan, call: Call): Promise<string | null | typeof STOPPING> {
  const caller = services.sessionStartCaller;
  if (caller === undefined) return 'no callback caller on this node';
  const token = await signRequest(services, plan, call);
  if (token === null) return 'no ticket-signing key can sign now: run ssod tickets rotate --now';
  const reply = await caller.call({ url: call.callback.url, caPem: call.callback.caPem, token });
  if (!reply.ok) return reply.stopping === true ? STOPPING : reply.reason;
  const read = replyVariables(reply);
  if ('failure' in read) return read.failure;
  try {
    await setReplyVariables(services, plan.globalId, call.callback.applicationId, read.variables);
  } catch (error) {
    if (error instanceof SsoError) return `variables refused: ${error.message}`;
    throw error;
  }
  return null;
}

/** Makes the call as the claim holder and records its outcome; a failure is logged and audited. */
async function callAndRecord(services: Services, plan: StartPlan, call: Call, owner: string): Promise<SessionStartOutcome> {
  const { callback } = call;
  const reason = await callOnce(services, plan, call);
  if (reason === STOPPING) {
    // As if this node had died: the claim stays unfinished, another node repeats the call after the takeover time.
    services.log.warn('session start callback cut short: the server stops; another node repeats it', {
      applicationId: callback.applicationId,
      sid: plan.globalId,
    });
    return 'failed';
  }
  const outcome: SessionStartOutcome = reason === null ? 'delivered' : callback.policy === 'fail' ? 'refused' : 'failed';
  const finished = await services.store.finishSessionStartCall({
    globalId: plan.globalId,
    applicationId: callback.applicationId,
    claimedBy: owner,
    finishedAt: services.now(),
    outcome,
  });
  const fields = { applicationId: callback.applicationId, sid: plan.globalId, order: call.order, policy: callback.policy };
  if (reason === null) {
    services.log.info('session start callback delivered', fields);
  } else {
    services.log.warn('session start callback failed', { ...fields, reason });
    await publish(services, {
      type: 'session.startCallbackFailed',
      actor: `application:${callback.applicationId}`,
      userId: plan.userId,
      globalId: plan.globalId,
      applicationId: callback.applicationId,
      order: call.order,
      policy: callback.policy,
      reason,
    });
  }
  if (finished) return outcome;
  // Another node took the claim over meanwhile (this one was taken for dead): its outcome counts.
  return (await services.store.getSessionStartCall(plan.globalId, callback.applicationId))?.outcome ?? outcome;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));

/**
 * The call made exactly once across nodes: claimed and made here, or the outcome of the node that
 * made it (waited for while its claim is fresh), or taken over from a node that died. `gone` when
 * the session (or the application) no longer exists.
 */
async function ensureCall(services: Services, plan: StartPlan, call: Call): Promise<SessionStartOutcome | 'gone'> {
  const owner = nodeName(services.store);
  // Most visits find the call made: one read, no write.
  const made = await services.store.getSessionStartCall(plan.globalId, call.callback.applicationId);
  if (made?.outcome !== undefined && made.outcome !== null) return made.outcome;
  for (;;) {
    const now = services.now();
    const claim = await services.store.claimSessionStartCall({
      globalId: plan.globalId,
      applicationId: call.callback.applicationId,
      claimedBy: owner,
      claimedAt: now,
      staleBefore: now - CLAIM_TAKEOVER_MS,
    });
    if (claim.claimed) {
      if (claim.takenOver)
        services.log.warn('session start callback taken over from a node that did not finish it', { sid: plan.globalId });
      return callAndRecord(services, plan, call, owner);
    }
    if (claim.call === null) return 'gone';
    if (claim.call.outcome !== null) return claim.call.outcome;
    await pause(Math.min(WAIT_STEP_MS, claim.call.claimedAt + CLAIM_TAKEOVER_MS - now + 1));
  }
}

/** The calls of a session's start, in order: the provider's (when it is not the starting application), then the starting application's. */
async function startCalls(services: Pick<Services, 'store' | 'now'>, plan: StartPlan): Promise<Call[]> {
  const callbacks = await registeredCallbacks(services);
  const find = (id: string): SessionStartCallbackRecord | undefined => callbacks.find((callback) => callback.applicationId === id);
  const calls: Call[] = [];
  const provider = plan.group?.providerId;
  if (provider !== undefined && provider !== plan.startedFor) {
    const callback = find(provider);
    if (callback !== undefined) calls.push({ callback, order: 'provider' });
  }
  const starting = find(plan.startedFor);
  if (starting !== undefined) calls.push({ callback: starting, order: 'starting' });
  return calls;
}

/**
 * Before session.started is published: records what the session was started for, when any
 * callback is registered (otherwise nothing is written, and members reaching it later are not
 * called). Null when there is nothing to call.
 */
export async function prepareSessionStart(
  services: Pick<Services, 'store' | 'now'>,
  session: StartingSession,
  startedFor: string | null,
): Promise<StartPlan | null> {
  if (startedFor === null || (await registeredCallbacks(services)).length === 0) return null;
  const group = await membershipOf(services, startedFor);
  await services.store.recordSessionStart({
    globalId: session.globalId,
    startedFor,
    groupName: group?.groupName ?? null,
    createdAt: services.now(),
  });
  return { ...session, startedFor, group };
}

/**
 * The calls of a session's start (provider, then starting application), before the sign-in
 * completes. False when one failed under the policy fail: the caller ends the session
 * (endRefusedSession) and fails the sign-in.
 */
export async function runStartCallbacks(services: Services, plan: StartPlan | null): Promise<boolean> {
  if (plan === null) return true;
  for (const call of await startCalls(services, plan)) {
    const outcome = await ensureCall(services, plan, call);
    if (outcome === 'refused' || outcome === 'gone') return false;
  }
  return true;
}

/** Ends a session whose start a callback refused (policy fail). */
export async function endRefusedSession(services: Services, session: StartingSession, actor: Actor): Promise<void> {
  if ((await services.store.getGlobalSession(session.globalId)) === null) return;
  await services.store.deleteGlobalSession(session.globalId);
  await publish(services, {
    type: 'session.ended',
    actor,
    userId: session.userId,
    globalId: session.globalId,
    reason: 'startCallbackFailed',
  });
}

/** The plan of a session recorded at its start, with its group's provider now; null when none was recorded. */
async function recordedPlan(services: Pick<Services, 'store'>, session: StartingSession): Promise<StartPlan | null> {
  const start = await services.store.getSessionStart(session.globalId);
  if (start === null) return null;
  if (start.groupName === null) return { ...session, startedFor: start.startedFor, group: null };
  // The session's group as it was at the start; its provider as it is now (none when the group is gone).
  const provider = (await services.store.listGroupMembers(start.groupName)).find((member) => member.role === 'provider');
  return { ...session, startedFor: start.startedFor, group: { groupName: start.groupName, providerId: provider?.applicationId ?? '' } };
}

/** Whether the application is of the session's set now: its group, or the default set (no group) for an ungrouped session. */
async function inSet(services: Pick<Services, 'store'>, applicationId: string, groupName: string | null): Promise<boolean> {
  return ((await services.store.groupOfApplication(applicationId))?.groupName ?? null) === groupName;
}

/**
 * A member reaches the session (its local session for `baseUrl` was created, or is visited again):
 * the call of each application registered at that url, made before that request answers, or its
 * outcome when it was made (waited for while another node makes it). False when one failed under
 * the policy fail: the member's local session is deleted, and it stays out of the session.
 */
export async function runReachCallbacks(services: Services, session: StartingSession, baseUrl: string): Promise<boolean> {
  const callbacks = await registeredCallbacks(services);
  if (callbacks.length === 0) return true;
  const members = await services.store.listApplicationIdsOfUrl(baseUrl);
  const calls = callbacks.filter((callback) => members.includes(callback.applicationId));
  if (calls.length === 0) return true;
  const plan = await recordedPlan(services, session);
  if (plan === null) return true;
  let admitted = true;
  for (const callback of calls) {
    // Applications of another set that share the url never reach this session (the relay refuses them).
    if (!(await inSet(services, callback.applicationId, plan.group?.groupName ?? null))) continue;
    const order: CallOrder =
      callback.applicationId === plan.group?.providerId
        ? 'provider'
        : callback.applicationId === plan.startedFor
          ? 'starting'
          : 'firstVisit';
    const outcome = await ensureCall(services, plan, { callback, order });
    if (outcome === 'refused') admitted = false;
  }
  if (!admitted) await services.store.deleteLocalSessionsOf(session.globalId, baseUrl);
  return admitted;
}

// ---------------------------------------------------------------------------------------------
// The outbox: catching up the calls of a node that died

/**
 * The subscriber that makes, on any node, the calls whose node died between the event and the
 * outcome: the claims make sure a call that was made (or is being made) is not made again.
 */
export class SessionStartCatchUp implements Subscriber {
  readonly name = 'sessionStart';
  /** Sessions that started before a first start of this subscriber were called inline, or had no callbacks. */
  readonly startAtEnd = true;
  readonly #services: () => Services;

  /** `services` is read at each event: the server's services once its listeners are bound (the issuer names the real port). */
  constructor(services: () => Services) {
    this.#services = services;
  }

  async deliver(_context: EventContext, stored: StoredEvent): Promise<void> {
    const { event } = stored;
    const services = this.#services();
    if (event.type === 'session.started') {
      const plan = await recordedPlan(services, { globalId: event.globalId, userId: event.userId });
      if (!(await runStartCallbacks(services, plan)) && plan !== null) await endRefusedSession(services, plan, 'guest');
    } else if (event.type === 'session.joined') {
      await runReachCallbacks(services, { globalId: event.globalId, userId: event.userId }, event.baseUrl);
    }
  }
}
