// The changes of a user's page (docs/admin-console.md "Users"), each as its `ssod users` or `ssod
// sessions` command makes it, with the administrator as the actor: disable (confirmed: its sessions
// end) and enable, single sign-on on (confirmed: the local password is dropped) and off (a new local
// password), link and unlink (confirmed) a federated id, end one or all sessions and delete
// (confirmed, with what goes along).
import { SsoError } from '../../core/errors.js';
import { linkFederatedId, unlinkFederatedId } from '../../core/operator/identityProviders.js';
import {
  countUserSessions,
  endSessionOfUser,
  hashOperatorPassword,
  setUserDisabled,
  turnSingleSignOnOff,
  turnSingleSignOnOn,
  userDeletionFigures,
} from '../../core/operator/users.js';
import { Refusal } from '../../core/refusal.js';
import { endUserSessions } from '../../core/sessions.js';
import type { UserRecord } from '../../core/store/index.js';
import { deleteUser } from '../../core/users.js';
import { countText } from './html.js';
import { confirmed, redirectAfterChange, refusalShown, showConfirmation, type ConsoleRequest, type ConsoleRoute } from './kit.js';
import { DIRECTORY_WARNING, showUser, userOf } from './user.js';

/** Something said about `count` things: '1 live session', '3 live sessions'. */
function counted(count: number, one: string, many: string): string {
  return `${countText(count)} ${count === 1 ? one : many}`;
}

type Confirmation = Omit<Parameters<typeof showConfirmation>[1], 'back'>;

/**
 * A change of the user: without confirm=yes (when `ask` is given), its confirmation page; then the
 * change, a Refusal of the core (or the core's noSuchUser, a user removed meanwhile) shown as a
 * page, and after it the page `to` with the notice.
 */
async function change(
  request: ConsoleRequest,
  user: UserRecord,
  work: () => Promise<unknown>,
  done: {
    /** The notice's key, or what gives it once the change is made. */
    readonly notice: string | (() => string);
    readonly to?: string;
    readonly ask?: () => Confirmation | Promise<Confirmation>;
  },
): Promise<void> {
  const back = `/users/${user.id}`;
  if (done.ask !== undefined && !confirmed(request)) {
    showConfirmation(request, { ...(await done.ask()), back });
    return;
  }
  const went = await refusalShown(request, back, async () => {
    try {
      await work();
    } catch (error) {
      if (error instanceof SsoError) throw new Refusal(`user ${user.login} was not changed: ${error.message}`);
      throw error;
    }
  });
  if (went) redirectAfterChange(request, done.to ?? back, typeof done.notice === 'string' ? done.notice : done.notice());
}

/** A POST route under a user's page: the user of the path's id, or the 404 page. */
function userAction(action: string, handle: (request: ConsoleRequest, user: UserRecord) => Promise<void>): ConsoleRoute {
  return {
    method: 'POST',
    path: new RegExp(`^/users/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/${action}$`),
    async handle(request) {
      const user = await userOf(request);
      if (user !== null) await handle(request, user);
    },
  };
}

function field(request: ConsoleRequest, name: string): string {
  return request.form?.get(name) ?? '';
}

/** Disables or enables the user; a user in that state already is left as it is, and the page says so. */
async function setDisabled(request: ConsoleRequest, user: UserRecord, disabled: boolean, ask?: () => Promise<Confirmation>): Promise<void> {
  const outcome = { changed: false };
  await change(
    request,
    user,
    async () => {
      outcome.changed = (await setUserDisabled(request.services, user, disabled, request.actor)).changed;
    },
    { notice: () => (!outcome.changed ? 'unchanged' : disabled ? 'disabled' : 'enabled'), ...(ask !== undefined ? { ask } : {}) },
  );
}

function disable(request: ConsoleRequest, user: UserRecord): Promise<void> {
  return setDisabled(request, user, true, async () => {
    const sessions = await countUserSessions(request.services, user.id);
    return {
      title: 'Disable a user',
      what: `Disable user ${user.login}?`,
      consequences: [
        'It cannot sign in: its password is refused as a wrong one, until it is enabled again.',
        `Its ${counted(sessions, 'live session ends', 'live sessions end')} now: it is signed out of every application.`,
      ],
      button: `Disable ${user.login}`,
    };
  });
}

function enable(request: ConsoleRequest, user: UserRecord): Promise<void> {
  return setDisabled(request, user, false);
}

function singleSignOnOn(request: ConsoleRequest, user: UserRecord): Promise<void> {
  const source = field(request, 'source');
  return change(request, user, () => turnSingleSignOnOn(request.services, user, source, request.actor), {
    notice: 'ssoOn',
    ask: () => ({
      title: 'Turn single sign-on on',
      what: `Check the password of ${user.login} by source ${source} from now on?`,
      consequences: ['Its local password is dropped: turning single sign-on off later needs a new one.', DIRECTORY_WARNING],
      button: 'Turn single sign-on on',
      fields: { source },
    }),
  });
}

async function singleSignOnOff(request: ConsoleRequest, user: UserRecord): Promise<void> {
  const password = field(request, 'password');
  const problem = (message: string) => showUser(request, user, { form: 'ssoOff', message }, 400);
  if (password !== field(request, 'password2')) return problem('The two passwords differ; type the new password twice.');
  let hash: string;
  try {
    hash = await hashOperatorPassword(request.services, password);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return problem(`Not changed: ${error.message}.`);
  }
  await change(request, user, () => turnSingleSignOnOff(request.services, user, hash, request.actor), { notice: 'ssoOff' });
}

async function link(request: ConsoleRequest, user: UserRecord): Promise<void> {
  const values = { idp: field(request, 'idp'), federatedId: field(request, 'federatedId') };
  if (values.federatedId === '') {
    const message = 'Give the federated id, exactly as the identity provider sends it.';
    return showUser(request, user, { form: 'link', message, values }, 400);
  }
  await change(request, user, () => linkFederatedId(request.services, user, values.idp, values.federatedId, false, request.actor), {
    notice: 'linked',
  });
}

function unlink(request: ConsoleRequest, user: UserRecord): Promise<void> {
  const idp = field(request, 'idp');
  return change(request, user, () => unlinkFederatedId(request.services, user, idp, request.actor), {
    notice: 'unlinked',
    ask: () => ({
      title: 'Unlink a federated id',
      what: `Unlink the federated id of ${user.login} under identity provider ${idp}?`,
      consequences: [`${user.login} can no longer sign in through ${idp} until an id is linked again.`],
      button: 'Unlink',
      fields: { idp },
    }),
  });
}

function endOne(request: ConsoleRequest, user: UserRecord): Promise<void> {
  const session = field(request, 'session');
  return change(request, user, () => endSessionOfUser(request.services, user, session, request.actor), {
    notice: 'sessionEnded',
    ask: () => ({
      title: 'End a session',
      what: `End session ${session} of ${user.login}?`,
      consequences: ['The user is signed out of every application this session reached (single logout).'],
      button: 'End the session',
      fields: { session },
    }),
  });
}

function endAll(request: ConsoleRequest, user: UserRecord): Promise<void> {
  return change(request, user, () => endUserSessions(request.services, user.id, request.actor), {
    notice: 'sessionsEnded',
    ask: async () => {
      const sessions = await countUserSessions(request.services, user.id);
      return {
        title: 'End all sessions',
        what: `End all sessions of ${user.login}?`,
        consequences: [`${counted(sessions, 'live session ends', 'live sessions end')}: the user is signed out of every application.`],
        button: `End ${counted(sessions, 'session', 'sessions')}`,
      };
    },
  });
}

function remove(request: ConsoleRequest, user: UserRecord): Promise<void> {
  return change(request, user, () => deleteUser(request.services, user, request.actor), {
    notice: 'deleted',
    to: '/users',
    ask: async () => {
      const figures = await userDeletionFigures(request.services, user);
      return {
        title: 'Delete a user',
        what: `Delete user ${user.login}? This cannot be undone.`,
        consequences: [
          `Its ${counted(figures.sessions, 'live session ends', 'live sessions end')}: it is signed out of every application.`,
          `Its ${counted(figures.links, 'federated id link is', 'federated id links are')} removed.`,
          'Its owner application no longer finds it; a new user of the same login would be another user.',
        ],
        button: `Delete ${user.login}`,
      };
    },
  });
}

export const USER_ACTION_ROUTES: readonly ConsoleRoute[] = [
  userAction('disable', disable),
  userAction('enable', enable),
  userAction('sso-on', singleSignOnOn),
  userAction('sso-off', singleSignOnOff),
  userAction('link', link),
  userAction('unlink', unlink),
  userAction('end-session', endOne),
  userAction('end-sessions', endAll),
  userAction('delete', remove),
];
