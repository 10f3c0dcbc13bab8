// The page kit of the admin console (docs/admin-console.md "The pages"): what a page's handler is
// given (the request, the signed-in administrator, the form), how it answers (a page in the layout, a
// redirect after a change with a notice, a confirmation before a destructive change, a refusal of
// the core shown as a page), and the building blocks of pages (tables, fields). A page module
// exports its routes, routes.ts lists them, and nav.ts its place in the navigation. The handlers call the core's operator use cases
// (src/core/operator/), as the command line does, with the administrator as the actor.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminSession } from '../../core/adminConsole.js';
import type { Actor } from '../../core/events.js';
import type { AdminKit } from '../../core/operator/admins.js';
import { Refusal } from '../../core/refusal.js';
import type { Services } from '../../core/services.js';
import { html, trusted, type Html, type HtmlValue } from './html.js';
import { sectionOf } from './nav.js';
import { csrfField, layout, sendPage, sendRedirect } from './pages.js';

/** One request to a page of the console, after the session, the origin and the CSRF token were checked. */
export interface ConsoleRequest {
  readonly services: Services;
  readonly kit: AdminKit;
  readonly viewer: AdminSession;
  /** Who the audit trail names for a change made here: `admin:NAME`. */
  readonly actor: Actor;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The path and query (the origin is the console's own). */
  readonly url: URL;
  /** What the route's pattern captured, percent-decoded. */
  readonly params: readonly string[];
  /** The form of a POST (its CSRF token checked); null for a GET. */
  readonly form: URLSearchParams | null;
}

export interface ConsoleRoute {
  readonly method: 'GET' | 'POST';
  /** A path, or a pattern whose groups are the params (anchored: `^/users/([^/]+)$`). */
  readonly path: string | RegExp;
  readonly handle: (request: ConsoleRequest) => Promise<void>;
}

/** The route that answers a method and a path, with its params; null for none (or a param that is not valid percent-encoding). */
export function routeOf(
  routes: readonly ConsoleRoute[],
  method: string,
  path: string,
): { readonly route: ConsoleRoute; readonly params: string[] } | null {
  for (const route of routes) {
    if (route.method !== method) continue;
    if (typeof route.path === 'string') {
      if (route.path === path) return { route, params: [] };
      continue;
    }
    const match = route.path.exec(path);
    if (match === null) continue;
    try {
      return { route, params: match.slice(1).map((part) => decodeURIComponent(part)) };
    } catch {
      return null;
    }
  }
  return null;
}

/** Answers with a page in the console's layout. */
export function showPage(
  request: ConsoleRequest,
  page: { readonly title: string; readonly main: Html; readonly status?: number; readonly section?: string },
): void {
  const current = page.section ?? sectionOf(request.url.pathname);
  sendPage(request.res, page.status ?? 200, layout(request.viewer, current, page.title, page.main.text));
}

/** After a change: back to a page (POST, redirect, GET), which shows `notice` (one of its fixed texts, by key). */
export function redirectAfterChange(request: ConsoleRequest, location: string, notice?: string): void {
  const target = notice === undefined ? location : `${location}${location.includes('?') ? '&' : '?'}done=${encodeURIComponent(notice)}`;
  sendRedirect(request.res, target);
}

/** The notice a page shows after a change: the text of the `done` key in `texts`, or nothing (an unknown key shows nothing). */
export function noticeOf(request: ConsoleRequest, texts: Readonly<Record<string, string>>): Html {
  const key = request.url.searchParams.get('done');
  if (key === null || !Object.hasOwn(texts, key)) return html``;
  return html`<p class="notice" role="status">${texts[key]}</p>`;
}

/** Whether a destructive form was confirmed (its confirmation page sends confirm=yes). */
export function confirmed(request: ConsoleRequest): boolean {
  return request.form?.get('confirm') === 'yes';
}

/**
 * The confirmation of a destructive change: what will happen, a button that sends the same form
 * again with confirm=yes, and a way back that changes nothing. Without script, this is the page the
 * first POST answers with.
 */
export function showConfirmation(
  request: ConsoleRequest,
  confirmation: {
    readonly title: string;
    /** One sentence: what is about to be done. */
    readonly what: string;
    /** What will follow from it, one line each (sessions ended, users deleted, …). */
    readonly consequences: readonly string[];
    /** The button's label ('Delete user alice'). */
    readonly button: string;
    /** Where "Cancel" goes. */
    readonly back: string;
    /** Other fields of the form to send again. */
    readonly fields?: Readonly<Record<string, string>>;
  },
): void {
  const hidden = Object.entries(confirmation.fields ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  const main = html`<div class="confirm">
    <p><strong>${confirmation.what}</strong></p>
    ${
      confirmation.consequences.length > 0
        ? html`<ul>
            ${confirmation.consequences.map((line) => html`<li>${line}</li>`)}
          </ul>`
        : ''
    }
    <form method="post" action="${request.url.pathname}">
      ${trusted(csrfField(request.viewer))}${hidden}<input type="hidden" name="confirm" value="yes" />
      <div class="actions">
        <button type="submit" class="danger">${confirmation.button}</button> <a href="${confirmation.back}">Cancel</a>
      </div>
    </form>
  </div>`;
  showPage(request, { title: confirmation.title, main });
}

/**
 * Runs a change; a Refusal of the core (a rule of the service, a name already taken, something
 * removed meanwhile) is shown as a 409 page with its message and a way back, and nothing changed.
 * Returns whether the change went through.
 */
export async function refusalShown(request: ConsoleRequest, back: string, change: () => Promise<void>): Promise<boolean> {
  try {
    await change();
    return true;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    showRefusal(request, error.message, back);
    return false;
  }
}

/** A refusal as a page: what was refused and why, and a way back. */
export function showRefusal(request: ConsoleRequest, message: string, back: string, status = 409): void {
  showPage(request, {
    title: 'Not done',
    status,
    main: html`<p class="alert" role="alert">${message}</p>
      <p><a href="${back}">Back</a></p>`,
  });
}

/** A page that has no such object (a user, an application removed meanwhile). */
export function showNotFound(request: ConsoleRequest, what: string, back: string): void {
  showPage(request, {
    title: 'Not found',
    status: 404,
    main: html`<p>${what}</p>
      <p><a href="${back}">Back</a></p>`,
  });
}

/** A table; `cells` are HTML (made with html``) or text. An empty list shows `empty` instead. */
export function table(headers: readonly string[], rows: readonly (readonly HtmlValue[])[], empty: string, caption?: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap">
    <table>
      ${
        caption !== undefined
          ? html`<caption>
              ${caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${headers.map((header) => html`<th scope="col">${header}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              ${row.map((cell) => html`<td>${cell}</td>`)}
            </tr> `,
        )}
      </tbody>
    </table>
  </div>`;
}

/** A form that changes something: POST to `action`, with the CSRF token. */
export function postForm(request: ConsoleRequest, action: string, body: HtmlValue, className?: string): Html {
  return html`<form method="post" action="${action}" ${className !== undefined ? html` class="${className}"` : ''}>
    ${trusted(csrfField(request.viewer))}${body}
  </form>`;
}

/** A labelled text field; `hint` is shown under the label and tied to the field. */
export function textField(field: {
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly hint?: string;
  readonly type?: 'text' | 'password' | 'url' | 'number' | 'search';
  readonly required?: boolean;
  readonly autocomplete?: string;
}): Html {
  const id = `field-${field.name}`;
  const hint = field.hint !== undefined ? html`<span class="hint" id="${id}-hint">${field.hint}</span>` : '';
  return html`<label for="${id}">${field.label}</label>${hint}<input
      type="${field.type ?? 'text'}"
      id="${id}"
      name="${field.name}"
      value="${field.value ?? ''}"
      ${field.required === true ? trusted(' required') : ''}${field.hint !== undefined ? html` aria-describedby="${id}-hint"` : ''}
      autocomplete="${field.autocomplete ?? 'off'}"
    />`;
}
