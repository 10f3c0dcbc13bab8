// The "help desk" example: a page in a third DNS domain that knows nothing of single sign-on. It
// listens on 127.0.0.1 only, behind `ssod receiver`, which verifies the domain's SSOD_TICKET cookie on
// every request and passes the user on in X-SSOD-User-Id and X-SSOD-Login (docs/tickets.md, "Receiver
// software"); the receiver removes those headers from what a browser sends, so the page may trust them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const HELPDESK = { title: 'Help Desk', color: '#9c4221', host: 'help.example.fr.test', port: 8083 } as const;

export interface RunningHelpdesk {
  /** Where `ssod receiver --upstream` sends the requests: http://127.0.0.1:PORT. */
  readonly upstream: string;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function headerOf(req: http.IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function page(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${HELPDESK.title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1a202c; }
  header { background: ${HELPDESK.color}; color: #fff; padding: 14px 32px; font-size: 20px; font-weight: 600; }
  main { max-width: 480px; margin: 40px auto; background: #fff; padding: 24px 32px; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
  .muted { color: #718096; font-size: 14px; }
</style></head>
<body><header>${HELPDESK.title}</header><main>${body}</main></body></html>`;
}

/** The help desk's only page: who the receiver says the visitor is, or that nobody is signed in. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, signInUrl: string): void {
  const login = headerOf(req, 'x-ssod-login');
  const userId = headerOf(req, 'x-ssod-user-id');
  const body =
    login === null || userId === null
      ? `<h1>Help Desk</h1><p id="anonymous">You are not signed in.</p>
<p><a href="${escapeHtml(signInUrl)}">Sign in</a> once, and every application knows you.</p>`
      : `<h1>Help Desk</h1><p>Signed in as <strong id="login">${escapeHtml(login)}</strong></p>
<p class="muted">User id <code id="user-id">${escapeHtml(userId)}</code>, known from the signed logon ticket of this domain: no call to ssod.</p>`;
  const html = page(body);
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(html),
  });
  res.end(html);
}

/** Starts the help desk on 127.0.0.1 (`port` 0: any free port); `signInUrl` is where its link sends a visitor without a session. */
export async function listenHelpdesk(port: number, signInUrl: string): Promise<RunningHelpdesk> {
  const server = http.createServer((req, res) => answer(req, res, signInUrl));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    upstream: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
