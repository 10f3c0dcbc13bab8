// The settings page (`/settings`, docs/admin-console.md "Settings"): every service setting with its
// value, its default and what it means, and a page per setting to change it or return it to its
// default, as `ssod settings` does (core/operator/settings.ts, core/settings.ts). hostname and mode
// are shown with the command that changes them: changing the host name re-issues the server
// certificate with the CA's key, and a new mode takes a restart and acknowledgements of its own.
import { OPTION_SPECS, OptionError, formatOptionValue, isSettingName, type SettingName } from '../../config/options.js';
import { countLiveSessions } from '../../core/operator/sessions.js';
import { SETTINGS_REFRESH_MS } from '../../core/liveSettings.js';
import { checkSettingChanges, ownCommandOf, showSettings, type SettingEntry } from '../../core/operator/settings.js';
import { Refusal } from '../../core/refusal.js';
import { changeSettings } from '../../core/settings.js';
import { countText, html, type Html } from './html.js';
import {
  confirmed,
  noticeOf,
  postForm,
  redirectAfterChange,
  showConfirmation,
  showNotFound,
  showPage,
  showRefusal,
  table,
  textField,
  type ConsoleRequest,
  type ConsoleRoute,
} from './kit.js';

const SETTINGS_PATH = '/settings';
const FOLLOW = `Running servers use it within ${SETTINGS_REFRESH_MS / 1000} seconds; no restart is needed.`;

const NOTICES = {
  changed: `The setting was changed. ${FOLLOW}`,
  reset: `The setting is back to its default. ${FOLLOW}`,
};

function settingPath(name: string): string {
  return `${SETTINGS_PATH}/${encodeURIComponent(name)}`;
}

function valueText(value: SettingEntry['value']): string {
  const text = formatOptionValue(value);
  return text === '' ? '(none)' : text;
}

/** What a value may be, from the option table, as a field's hint. */
function valueHint(name: SettingName): string {
  const spec: { kind: string; min?: number; max?: number; values?: readonly string[]; optional?: boolean; arg: string } =
    OPTION_SPECS[name];
  const empty = spec.optional === true ? ' Empty for none.' : '';
  // No thousands separators: the value is typed without them.
  const unit = /^[A-Z]{2,}$/.test(spec.arg) ? ` of ${spec.arg.toLowerCase()}` : '';
  if (spec.kind === 'integer') return `A whole number${unit}, ${spec.min ?? 0} to ${spec.max ?? 0}.`;
  if (spec.kind === 'enum') return `One of: ${(spec.values ?? []).join(', ')}.`;
  if (spec.kind === 'list') return `Comma-separated, any of: ${(spec.values ?? []).join(', ')}; empty for none.`;
  if (spec.kind === 'url') return `An absolute http or https URL.${empty}`;
  return `Text.${empty}`;
}

/** What a new value does to the sessions that are live now, with their count; null when it does nothing to them. */
function liveEffect(name: SettingName, liveSessions: number): string | null {
  const sessions = `${countText(liveSessions)} live session${liveSessions === 1 ? '' : 's'}`;
  if (name === 'sessionTimeout') return `It applies at once to the ${sessions}: those idle longer than the new value end.`;
  if (name === 'sessionLifetime') return `It applies to sessions started from then on; the ${sessions} keep the end they were given.`;
  return null;
}

function stateBadge(entry: SettingEntry): Html {
  return entry.stored ? html`<span class="badge ok">set</span>` : html`<span class="badge">default</span>`;
}

async function list(request: ConsoleRequest): Promise<void> {
  const entries = await showSettings(request.services);
  const rows = entries.map((entry) => [
    html`<a href="${settingPath(entry.name)}">${entry.name}</a>`,
    // Plain text, not .mono: a short value such as 127.0.0.1 must not break anywhere.
    html`${valueText(entry.value)} ${stateBadge(entry)}`,
    entry.default === '' ? '(none)' : entry.default,
    entry.doc,
  ]);
  showPage(request, {
    title: 'Settings',
    main: html`${noticeOf(request, NOTICES)}
      <p class="note">The settings of the whole service, kept in the store: every node follows a change. Open a setting to change it.</p>
      ${table(['Setting', 'Value', 'Default', 'Meaning'], rows, 'No settings.')}`,
  });
}

/** The setting the path names, or null after a 404 page (nothing is changed). */
async function entryOf(request: ConsoleRequest): Promise<SettingEntry | null> {
  const name = request.params[0] ?? '';
  const entry = isSettingName(name) ? (await showSettings(request.services)).find((known) => known.name === name) : undefined;
  if (entry === undefined) showNotFound(request, 'There is no setting with this name.', SETTINGS_PATH);
  return entry ?? null;
}

function changeForms(request: ConsoleRequest, entry: SettingEntry, typed: { value: string; message?: string } | undefined): Html {
  const own = ownCommandOf(entry.name);
  if (own !== undefined)
    return html`<p>${entry.name} is not changed here; it has a command of its own: ${own}.</p>
      ${typed?.message !== undefined ? html`<p class="alert" role="alert">${typed.message}</p>` : ''}`;
  return html`${postForm(
    request,
    settingPath(entry.name),
    html`<h2>Change</h2>
      ${typed?.message !== undefined ? html`<p class="alert" role="alert">${typed.message}</p>` : ''}
      ${textField({ name: 'value', label: 'New value', value: typed?.value ?? formatOptionValue(entry.value), hint: valueHint(entry.name) })}
      <button type="submit">Save</button>`,
    'stack',
  )}
  ${
    entry.stored
      ? postForm(
          request,
          `${settingPath(entry.name)}/reset`,
          html`<button type="submit" class="secondary">Reset to the default (${entry.default === '' ? 'none' : entry.default})</button>`,
        )
      : ''
  }`;
}

/** One setting's page; `typed`: a value sent back with why it was refused (status 400). */
async function showSetting(request: ConsoleRequest, entry: SettingEntry, typed?: { value: string; message: string }): Promise<void> {
  const effect = liveEffect(entry.name, await countLiveSessions(request.services, request.services.now()));
  showPage(request, {
    title: entry.name,
    status: typed === undefined ? 200 : 400,
    section: SETTINGS_PATH,
    main: html`${noticeOf(request, NOTICES)}
      <dl class="details">
        <dt>Value</dt>
        <dd><span class="mono">${valueText(entry.value)}</span> ${stateBadge(entry)}</dd>
        <dt>Default</dt>
        <dd class="mono">${entry.default === '' ? '(none)' : entry.default}</dd>
        <dt>Meaning</dt>
        <dd>${entry.doc}</dd>
        ${
          effect !== null
            ? html`<dt>Live sessions</dt>
                <dd>${effect}</dd>`
            : ''
        }
      </dl>
      ${changeForms(request, entry, typed)}
      <p><a href="${SETTINGS_PATH}">Back to the settings</a></p>`,
  });
}

async function edit(request: ConsoleRequest): Promise<void> {
  const entry = await entryOf(request);
  if (entry !== null) await showSetting(request, entry);
}

/** Checks the value as `ssod settings set` does, writes it, and has this node follow at once. */
async function change(request: ConsoleRequest): Promise<void> {
  const entry = await entryOf(request);
  if (entry === null) return;
  const value = request.form?.get('value') ?? '';
  try {
    await changeSettings(request.services, checkSettingChanges({ [entry.name]: value }, 'the form'), request.actor);
  } catch (error) {
    if (!(error instanceof OptionError) && !(error instanceof Refusal)) throw error;
    await showSetting(request, entry, { value, message: error.message });
    return;
  }
  await request.services.settings.refresh();
  redirectAfterChange(request, settingPath(entry.name), 'changed');
}

async function reset(request: ConsoleRequest): Promise<void> {
  const entry = await entryOf(request);
  if (entry === null) return;
  let changes: ReturnType<typeof checkSettingChanges>;
  try {
    changes = checkSettingChanges({ [entry.name]: null });
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    showRefusal(request, error.message, settingPath(entry.name));
    return;
  }
  if (!confirmed(request)) {
    const effect = liveEffect(entry.name, await countLiveSessions(request.services, request.services.now()));
    showConfirmation(request, {
      title: 'Reset a setting',
      what: `Return ${entry.name} to its default?`,
      consequences: [
        `${entry.name} goes from ${valueText(entry.value)} to ${entry.default === '' ? '(none)' : entry.default}.`,
        ...(effect === null ? [] : [effect]),
        FOLLOW,
      ],
      button: `Reset ${entry.name}`,
      back: settingPath(entry.name),
    });
    return;
  }
  await changeSettings(request.services, changes, request.actor);
  await request.services.settings.refresh();
  redirectAfterChange(request, settingPath(entry.name), 'reset');
}

export const SETTINGS_ROUTES: readonly ConsoleRoute[] = [
  { method: 'GET', path: SETTINGS_PATH, handle: list },
  { method: 'GET', path: /^\/settings\/([^/]+)$/, handle: edit },
  { method: 'POST', path: /^\/settings\/([^/]+)$/, handle: change },
  { method: 'POST', path: /^\/settings\/([^/]+)\/reset$/, handle: reset },
];
