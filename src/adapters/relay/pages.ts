// The page kit of the relay listener: every page ssod shows a person (its sign-in page, the relay's
// question before a switch of account, every refusal) is rendered here, with one look and one set of
// headers. A page is server-rendered HTML that loads nothing and runs nothing: its one stylesheet is
// inlined and allowed by its hash, so the Content-Security-Policy needs no 'unsafe-inline'.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Origin } from '../../core/urls.js';
import { escapeHtml } from '../http/http.js';
import type { Language } from '../http/language.js';
import type { Messages, Notice } from './messages.js';

/** What every answer of the relay listener carries: nothing cached, no Referer to the application. */
export const RELAY_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' } as const;

/** Markup that is already safe to put in a page; anything else is text, escaped where it goes in. */
export class Html {
  readonly markup: string;
  constructor(markup: string) {
    this.markup = markup;
  }
}

type Fragment = string | Html | readonly Html[];

function markupOf(value: Fragment): string {
  if (typeof value === 'string') return escapeHtml(value);
  return value instanceof Html ? value.markup : value.map((part) => part.markup).join('');
}

/** A template of markup: each value is escaped as text unless it is Html already. */
export function markup(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  return new Html(strings.reduce((out, part, i) => out + part + (i < values.length ? markupOf(values[i] ?? '') : ''), ''));
}

/** A message as markup: its text escaped, each `{name}` replaced by the value's markup. */
export function fill(text: string, values: Readonly<Record<string, Html>> = {}): Html {
  return new Html(escapeHtml(text).replace(/\{(\w+)\}/g, (whole, name: string) => values[name]?.markup ?? whole));
}

/** How a person reads an application's address: its host, and its port when it is not the scheme's own. */
export function displayAddress(origin: Origin): string {
  const usual = origin.scheme === 'https' ? 443 : 80;
  return origin.port === usual ? origin.host : `${origin.host}:${origin.port}`;
}

const STYLE = [
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}',
  'main{max-width:30rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #d8dbe2;border-radius:8px}',
  '@media (max-width:32rem){main{margin:0;border-width:0 0 1px;border-radius:0;padding:1.5rem 1rem}}',
  'main>:last-child{margin-bottom:0}',
  'h1{font-size:1.4rem;margin:0 0 1rem}',
  'h2{font-size:1rem;margin:1.8rem 0 .5rem}',
  'a{color:#1f4fb5}',
  ':focus-visible{outline:3px solid #1d2330;outline-offset:2px}',
  '.who{font-weight:600;overflow-wrap:anywhere}',
  '.warn{background:#fff6e0;border-left:4px solid #d99a00;padding:.6rem .8rem}',
  '.error{background:#fdecea;border-left:4px solid #b3261e;color:#8c1d18;padding:.6rem .8rem;margin:0 0 1rem}',
  'form{display:flex;flex-wrap:wrap;gap:.8rem;margin:1.5rem 0 1rem}',
  '.fields{flex-direction:column;gap:.3rem}',
  'label{font-weight:600}',
  'label:not(:first-of-type){margin-top:.7rem}',
  'input{font:inherit;padding:.55rem .7rem;border:1px solid #6b7280;border-radius:6px;width:100%;box-sizing:border-box;color:inherit}',
  'input[aria-invalid=true]{border-color:#b3261e}',
  'button{font:inherit;padding:.6rem 1.1rem;border-radius:6px;border:1px solid #2456c7;cursor:pointer}',
  '.fields button{margin-top:1.2rem;align-self:flex-start}',
  '.primary{background:#2456c7;color:#fff}',
  '.secondary{background:#fff;color:#2456c7}',
  '.next{color:#5a6170;font-size:.9rem;overflow-wrap:anywhere}',
  'ul{padding-left:1.2rem}',
].join('');
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** An application's origin as a CSP source: host-source has no syntax for an IPv6 literal, so that one is allowed by its scheme. */
function cspSource(origin: Origin): string {
  return origin.host.startsWith('[') ? `${origin.scheme}:` : `${origin.scheme}://${origin.host}:${origin.port}`;
}

/**
 * The headers of every page: it loads nothing but its own style, runs nothing, cannot be framed
 * (clickjacking its buttons) and posts only to the relay listener. A form's answer redirects on to
 * the application (through the receivers of logon tickets when there are any, hops.ts), and a
 * browser checks form-action on those redirects too, so a page with a form names their origins as well.
 */
export function pageHeaders(language: Language, formRedirectsTo: readonly Origin[] = []): Record<string, string> {
  const formAction = ["'self'", ...new Set(formRedirectsTo.map(cspSource))].join(' ');
  return {
    ...RELAY_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Language': language,
    'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
  };
}

export interface Page {
  readonly language: Language;
  readonly title: string;
  readonly body: Html;
  /** Where a form of the page redirects to once answered: the application, and the receivers of logon tickets on the way (pageHeaders). */
  readonly formRedirectsTo?: readonly Origin[];
}

export function renderPage(page: Page): string {
  return markup`<!doctype html>
<html lang="${page.language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title}</title><style>${new Html(STYLE)}</style></head>
<body><main>
<h1>${page.title}</h1>
${page.body}
</main></body></html>
`.markup;
}

export function sendPage(
  res: ServerResponse,
  status: number,
  page: Page,
  headers: Readonly<Record<string, string | readonly string[]>> = {},
): void {
  const body = renderPage(page);
  res.writeHead(status, {
    ...pageHeaders(page.language, page.formRedirectsTo),
    ...headers,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A link back to an application, by its address. */
export function backLink(messages: Messages, origin: Origin): Html {
  return markup`<p><a href="${origin.baseUrl}">${fill(messages.backTo, { address: markup`<bdi>${displayAddress(origin)}</bdi>` })}</a></p>`;
}

/** A page that says one thing, with a way back when there is one. */
export function noticePage(language: Language, notice: Notice, wayBack: Html | null = null): Page {
  return {
    language,
    title: notice.title,
    body: markup`<p>${notice.text}</p>${wayBack ?? ''}`,
  };
}
