// examples/run through the real script: a port already taken stops it with one line naming the
// port and its variable, and whatever ends it (that failure, SIGTERM, Ctrl-C) it leaves nothing in
// the temporary directory, where it keeps a CA key.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';

const RUN = fileURLToPath(new URL('../../examples/run.js', import.meta.url));

interface Run {
  readonly code: Promise<number | null>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  kill(signal: NodeJS.Signals): void;
}

/** examples/run with its temporary directory in `tmp`, every port free (0) unless given, and other variables as given. */
function startRun(tmp: string, ports: Readonly<Record<string, number | string>> = {}): Run {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp,
    SSO_SOAP_PORT: '0',
    SSO_RELAY_PORT: '0',
    PANEL_PORT: '0',
    BILLING_PORT: '0',
    HELPDESK_PORT: '0',
    HELPDESK_UPSTREAM_PORT: '0',
    SSO_RELAY_HOST: '127.0.0.1',
  };
  for (const [name, port] of Object.entries(ports)) env[name] = String(port);
  const child = spawn(process.execPath, [RUN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return {
    code: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    stdout: () => stdout,
    stderr: () => stderr,
    kill: (signal) => child.kill(signal),
  };
}

/** Resolves once the script says it is ready; rejects if it exits first. */
async function ready(run: Run): Promise<void> {
  let exited = false;
  void run.code.then(() => (exited = true));
  await eventually(
    () => {
      if (exited) throw new Error(`examples/run exited: ${run.stderr()}`);
      return run.stdout().includes('Ctrl-C stops everything');
    },
    { timeoutMs: 60_000, what: 'examples/run ready' },
  );
}

function holdPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

describe('examples/run', () => {
  let tmp: string;
  let held: net.Server;
  let heldPort: number;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ssod-run-test-'));
    held = await holdPort();
    heldPort = (held.address() as net.AddressInfo).port;
  });
  after(() => {
    held.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const variable of ['SSO_SOAP_PORT', 'SSO_RELAY_PORT', 'PANEL_PORT', 'BILLING_PORT', 'HELPDESK_PORT', 'HELPDESK_UPSTREAM_PORT']) {
    test(`a taken ${variable} stops it with one line naming the port and what to do, and leaves nothing behind`, async () => {
      const run = startRun(tmp, { [variable]: heldPort });
      assert.equal(await run.code, 1, run.stderr());
      const lines = run.stderr().trimEnd().split('\n');
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0] ?? '', new RegExp(`^examples/run: port ${heldPort} is in use; .*ssod serve.* set ${variable} to a free port$`));
      assert.deepEqual(readdirSync(tmp), []);
    });
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal} stops everything and removes the temporary directory with its CA key`, async () => {
      const run = startRun(tmp);
      await ready(run);
      const [dir] = readdirSync(tmp);
      assert.match(dir ?? '', /^ssod-demo-/);
      assert.ok(readdirSync(path.join(tmp, dir ?? '')).includes('ca.key'));
      run.kill(signal);
      assert.equal(await run.code, 0, run.stderr());
      assert.equal(run.stderr(), '');
      assert.deepEqual(readdirSync(tmp), []);
    });
  }

  test('DEMO_LAYOUT=group: panel and billing as one application group, stopped as cleanly', async () => {
    const run = startRun(tmp, { DEMO_LAYOUT: 'group' });
    await ready(run);
    assert.match(
      run.stdout(),
      /^Billing +http:\/\/billing\.test:\d+\/ \(with the panel, group hosting: the shared session variable customer\)$/m,
    );
    assert.doesNotMatch(run.stdout(), /Help Desk/);
    run.kill('SIGTERM');
    assert.equal(await run.code, 0, run.stderr());
    assert.equal(run.stderr(), '');
    assert.deepEqual(readdirSync(tmp), []);
  });
});
