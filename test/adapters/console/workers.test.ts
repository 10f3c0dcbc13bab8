// The admin console under `ssod serve --workers 2` (docs/admin-console.md "Turning it on"): every
// worker listens on the console's port (node:cluster shares it), and a session made through one
// worker is accepted on every new connection, whichever worker takes it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ADMIN_PASSWORD, consoleRequest, sessionCookieOf, totpCode } from '../../helpers/adminConsole.js';
import { runCli } from '../../helpers/cli.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/ports.js';
import { startServe, type ServeProcess } from '../../helpers/process.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ssod-console-workers-'));
let serve: ServeProcess | null = null;
after(async () => {
  serve?.child.kill('SIGTERM');
  await serve?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

test('--workers 2: both workers serve the console, and a session works on every connection', async () => {
  const adminPort = await freePort();
  serve = await startServe(dataDir, [
    '--workers',
    '2',
    '--admin-port',
    String(adminPort),
    '--argon2-memory-kib',
    '8192',
    '--argon2-iterations',
    '1',
  ]);
  const running = serve;
  await eventually(
    () => (running.output().match(/"msg":"ssod started"[^\n]*"adminConsole":"https:\/\/127\.0\.0\.1:\d+\/"/g) ?? []).length >= 2,
    {
      timeoutMs: 20_000,
      what: 'both workers started with the console',
    },
  );
  const added = await runCli(['admins', 'add', 'ops', '--password-stdin', '--data-dir', dataDir], { input: `${ADMIN_PASSWORD}\n` });
  assert.equal(added.code, 0, added.stderr);
  const secret = /^TOTP secret:\s+([A-Z2-7]+)$/m.exec(added.stdout)?.[1] ?? '';
  const target = { caPem: serve.caPem, adminPort };
  const signedIn = await consoleRequest(target, '/signin', {
    form: { name: 'ops', password: ADMIN_PASSWORD, code: totpCode(secret, Date.now()) },
  });
  assert.equal(signedIn.status, 303);
  const cookie = sessionCookieOf(signedIn);
  assert.ok(cookie !== null);
  for (let i = 0; i < 8; i += 1) assert.equal((await consoleRequest(target, '/', { cookie })).status, 200, `connection ${i}`);
});
