// The admin console's pages (docs/admin-console.md "The pages"), rendered on the server: the page
// kit (the headers every answer carries, the layout with its header and navigation), the sign-in
// page in the languages of ssod's own sign-in page, the overview and the refusal pages. Every value
// shown is escaped; the one style sheet and the one script (progressive: every page works without it) are served by ssod.
import type { ServerResponse } from 'node:http';
import { escapeHtml } from '../http/http.js';
import type { Language } from '../http/language.js';
import { NAVIGATION } from './nav.js';
import { SCRIPT_PATH } from './script.js';
import { STYLE_PATH } from './style.js';

/** What every answer of the console carries. */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Strict-Transport-Security': 'max-age=31536000',
};

/** The texts of the sign-in page, one table per language. */
interface SignInTexts {
  readonly title: string;
  readonly subtitle: string;
  readonly heading: string;
  readonly name: string;
  readonly password: string;
  readonly code: string;
  readonly codeHint: string;
  readonly submit: string;
  readonly failed: string;
}

const SIGN_IN_TEXTS: Readonly<Record<Language, SignInTexts>> = {
  en: {
    title: 'Sign in · ssod admin console',
    subtitle: 'admin console',
    heading: 'Sign in to the admin console',
    name: 'Name',
    password: 'Password',
    code: 'Code',
    codeHint: 'The 6-digit code of your authenticator app, or one of your recovery codes.',
    submit: 'Sign in',
    failed: 'The name, password or code is wrong.',
  },
  de: {
    title: 'Anmelden · ssod-Verwaltungskonsole',
    subtitle: 'Verwaltungskonsole',
    heading: 'Bei der Verwaltungskonsole anmelden',
    name: 'Name',
    password: 'Passwort',
    code: 'Code',
    codeHint: 'Der 6-stellige Code Ihrer Authenticator-App oder einer Ihrer Wiederherstellungscodes.',
    submit: 'Anmelden',
    failed: 'Name, Passwort oder Code ist falsch.',
  },
  fr: {
    title: 'Connexion · console d’administration ssod',
    subtitle: 'console d’administration',
    heading: 'Connexion à la console d’administration',
    name: 'Nom',
    password: 'Mot de passe',
    code: 'Code',
    codeHint: 'Le code à 6 chiffres de votre application d’authentification, ou l’un de vos codes de récupération.',
    submit: 'Se connecter',
    failed: 'Le nom, le mot de passe ou le code est incorrect.',
  },
};

/** Sends a page with the console's headers. */
export function sendPage(res: ServerResponse, status: number, html: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, {
    ...CONSOLE_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    ...headers,
  });
  res.end(html);
}

/** A redirect with the console's headers. */
export function sendRedirect(res: ServerResponse, location: string, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(303, { ...CONSOLE_HEADERS, Location: location, 'Content-Length': 0, ...headers });
  res.end();
}

function document(language: Language, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${STYLE_PATH}">
<script src="${SCRIPT_PATH}" defer></script>
</head>
<body>
${body}
</body>
</html>
`;
}

/** Who is signed in, as the layout shows them, with the token that their forms carry. */
export interface Viewer {
  readonly adminName: string;
  readonly csrf: string;
}

/** The hidden field that carries the session's CSRF token in every form. */
export function csrfField(viewer: Viewer): string {
  return `<input type="hidden" name="csrf" value="${escapeHtml(viewer.csrf)}">`;
}

/** A page after sign-in: the header (ssod, the administrator, sign out), the navigation, and `main`. */
export function layout(viewer: Viewer, current: string, title: string, main: string): string {
  const nav = NAVIGATION.map(
    (section) => `<li><a href="${section.path}"${section.path === current ? ' aria-current="page"' : ''}>${section.title}</a></li>`,
  ).join('');
  return document(
    'en',
    `${title} · ssod admin console`,
    `<header class="top">
<a class="brand" href="/">ssod <span>admin console</span></a>
<div class="who"><span>Signed in as <strong>${escapeHtml(viewer.adminName)}</strong></span>
<form method="post" action="/signout">${csrfField(viewer)}<button type="submit">Sign out</button></form></div>
</header>
<nav aria-label="Sections"><ul>${nav}</ul></nav>
<main id="main">
<h1>${escapeHtml(title)}</h1>
${main}
</main>`,
  );
}

/** The sign-in form; `failed`: the one message of every refusal, and the name typed again. */
export function signInPage(language: Language, state: { readonly failed: boolean; readonly name: string }): string {
  const t = SIGN_IN_TEXTS[language];
  return document(
    language,
    t.title,
    `<header class="top"><span class="brand">ssod <span>${escapeHtml(t.subtitle)}</span></span></header>
<main id="main">
<div class="panel">
<h1>${escapeHtml(t.heading)}</h1>
${state.failed ? `<p class="alert" role="alert">${escapeHtml(t.failed)}</p>` : ''}
<form method="post" action="/signin">
<label for="name">${escapeHtml(t.name)}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(state.name)}"${state.name === '' ? ' autofocus' : ''}>
<label for="password">${escapeHtml(t.password)}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required${state.name !== '' ? ' autofocus' : ''}>
<label for="code">${escapeHtml(t.code)}</label>
<span class="hint" id="code-hint">${escapeHtml(t.codeHint)}</span>
<input type="text" id="code" name="code" autocomplete="one-time-code" autocapitalize="none" spellcheck="false" aria-describedby="code-hint">
<button type="submit">${escapeHtml(t.submit)}</button>
</form>
</div>
</main>`,
  );
}

/** A page of its own for a refusal or a missing page, with a way back. */
export function messagePage(title: string, text: string, viewer: Viewer | null): string {
  const main = `<p>${escapeHtml(text)}</p>\n<p><a href="/">Back to the overview</a></p>`;
  if (viewer !== null) return layout(viewer, '', title, main);
  return document(
    'en',
    `${title} · ssod admin console`,
    `<header class="top"><span class="brand">ssod <span>admin console</span></span></header>
<main id="main"><h1>${escapeHtml(title)}</h1>
${main}
</main>`,
  );
}
