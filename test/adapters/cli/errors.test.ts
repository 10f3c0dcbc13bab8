// One error style through the real binary: `ssod: <what went wrong>; <what to do>` on one line of
// stderr, exit status 2 for a command used wrongly and 1 for one that failed, with suggestions for
// close misspellings, and listen errors that name the address and what to do.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UNPRIVILEGED_ID, runCli, runUnprivileged, type CliResult } from '../../helpers/cli.js';
import { freshInstallation } from '../../helpers/installation.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'ssod-errors-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The one line of stderr, checked against the style; stdout stays empty. */
function oneLine(result: CliResult, status: number): string {
  assert.equal(result.code, status, result.stderr);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^ssod: [^\n]+; [^\n]+\n$/);
  return result.stderr;
}

test('an unknown subcommand is said to be one, with the subcommands, not "too many arguments"', async () => {
  const said = oneLine(await runCli(['users', 'frobnicate']), 2);
  assert.match(said, /^ssod: unknown command 'frobnicate' for `ssod users`; the commands of `ssod users` are: list, show, create, /);
  assert.doesNotMatch(said, /too many/);
  assert.match(oneLine(await runCli(['users', 'lst']), 2), /unknown command 'lst' for `ssod users` \(did you mean list\?\)/);
  assert.match(
    oneLine(await runCli(['userz']), 2),
    /unknown command 'userz' for `ssod` \(did you mean users\?\); the commands of `ssod` are: serve, /,
  );
  assert.match(
    oneLine(await runCli(['master-key', 'generat']), 2),
    /\(did you mean generate\?\); the commands of `ssod master-key` are: generate/,
  );
});

test('options, arguments and settings used wrongly exit with 2 and say where the usage is', async () => {
  assert.match(
    oneLine(await runCli(['users', '--jsn']), 2),
    /^ssod: unknown option '--jsn' \(did you mean --json\?\); run `ssod users --help` for its usage/,
  );
  assert.match(
    oneLine(await runCli(['applications', 'show']), 2),
    /^ssod: missing required argument .*; run `ssod applications show --help` for its usage/,
  );
  assert.match(
    oneLine(await runCli(['mode', 'single-panel', 'extra']), 2),
    /^ssod: too many arguments for 'mode'.*; run `ssod mode --help`/,
  );
  assert.match(
    oneLine(await runCli(['settings', 'set', 'sesionTimeout', '5']), 2),
    /^ssod: unknown setting "sesionTimeout" \(did you mean sessionTimeout\?\); the settings are: /,
  );
  assert.match(oneLine(await runCli(['serve', '--soap-port', 'many']), 2), /^ssod: soapPort \(from --soap-port\) must be a whole number/);
  assert.match(
    oneLine(await runCli(['users'], { env: { SSOD_DATADIR: scratch } }), 2),
    /unknown environment variable SSOD_DATADIR \(did you mean SSOD_DATA_DIR\?\)/,
  );
  const bare = await runCli([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: ssod /);
});

test('a command that fails exits with 1; help and version with 0', async () => {
  assert.match(
    oneLine(await runCli(['users', '--data-dir', path.join(scratch, 'none')]), 1),
    /^ssod: no ssod store at .*none.*; give the installation's --data-dir/,
  );
  const help = await runCli(['users', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: ssod users /);
  assert.equal((await runCli(['--version'])).code, 0);
  assert.match((await runCli(['--help'])).stdout, /Exit status: 0 success, 1 the command failed, 2 the command was used wrongly/);
});

test('a port in use and an address not on this machine: one line with the address, the port and what to do', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  try {
    const taken = oneLine(
      await runCli(['serve', '--data-dir', path.join(scratch, 'taken'), '--soap-port', String(port), '--log-level', 'error']),
      1,
    );
    assert.match(
      taken,
      new RegExp(
        `^ssod: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use.*; stop what holds it .*or choose another port \\(--soap-port, --relay-port\\)`,
      ),
    );
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, never an address of this machine.
  const absent = oneLine(
    await runCli([
      'serve',
      '--data-dir',
      path.join(scratch, 'absent'),
      '--bind',
      '192.0.2.1',
      '--relay-port',
      '0',
      '--soap-port',
      '0',
      '--log-level',
      'error',
    ]),
    1,
  );
  assert.match(
    absent,
    /^ssod: cannot listen on 192\.0\.2\.1: 192\.0\.2\.1 is not an address of this machine; give --bind one of its addresses/,
  );
});

test('a port below 1024 without the privilege: one line with the port and what to do', async (t) => {
  if (Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')) < 1024) {
    t.skip('this machine lets any user listen on a port below 1024 (net.ipv4.ip_unprivileged_port_start)');
    return;
  }
  const dataDir = path.join(scratch, 'low-port');
  mkdirSync(dataDir, { mode: 0o700 });
  chownSync(dataDir, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
  chmodSync(scratch, 0o755);
  const said = oneLine(
    await runUnprivileged(['serve', '--data-dir', dataDir, '--relay-port', '80', '--soap-port', '0', '--log-level', 'error']),
    1,
  );
  assert.match(said, /^ssod: cannot listen on 127\.0\.0\.1:80: a port below 1024 needs privileges; choose a port from 1024 up/);
});

test('config file keys are the option names that --help shows (data-dir) or camelCase; a misspelt one names the closest', async () => {
  const installation = await freshInstallation();
  try {
    const config = (name: string, content: Record<string, unknown>): string => {
      const file = path.join(scratch, name);
      writeFileSync(file, JSON.stringify(content));
      return file;
    };
    for (const key of ['data-dir', 'dataDir']) {
      const listed = await runCli(['users', '--json', '--config', config(`${key}.json`, { [key]: installation.dataDir })]);
      assert.equal(listed.code, 0, `${key}: ${listed.stderr}`);
      assert.deepEqual(JSON.parse(listed.stdout), { users: [], next: null });
    }
    const typo = config('typo.json', { 'data-dri': installation.dataDir });
    for (const command of [['users'], ['serve', '--soap-port', '0', '--relay-port', '0']]) {
      assert.match(
        oneLine(await runCli([...command, '--config', typo]), 2),
        /^ssod: unknown option "data-dri" in config file \S+typo\.json \(did you mean data-dir\?\); the keys are the option names of `ssod serve --help`/,
      );
    }
  } finally {
    await installation.remove();
  }
});

test('refusals across the commands: one line, what went wrong, then what to do after "; "; 2 when used wrongly, 1 when refused', async () => {
  const installation = await freshInstallation();
  try {
    const existing = path.join(scratch, 'existing');
    mkdirSync(existing);
    writeFileSync(path.join(scratch, 'not-an-export.json'), '{"format":"ssod-export","version":3}');
    const cases: [string[], number, RegExp][] = [
      [['locks', 'clear'], 2, /^ssod: name the one lock to clear; give exactly one of KEY/],
      [['locks', 'clear', 'login:nobody'], 1, /^ssod: no failures or lock recorded for login:nobody; `ssod locks` lists/],
      [['sessions', 'end'], 2, /^ssod: name the sessions to end; give one session id/],
      [
        ['settings', 'set', 'hostname', 'sso.example.com'],
        1,
        /^ssod: hostname is not changed with `ssod settings`; use `ssod hostname NAME`/,
      ],
      [['tickets', 'revoke', 'nope'], 1, /^ssod: no ticket key "nope"; the keys are: /],
      [
        ['tickets', 'revoke', '-3oFZ7Fz1kY2hJ0G7aQ4M0sKZ9v8yQn5Jp1hX2c6r7Ws'],
        2,
        /^ssod: unknown option '-3oFZ7Fz1kY2hJ0G7aQ4M0sKZ9v8yQn5Jp1hX2c6r7Ws'; an argument that begins with "-" goes after `--`: `ssod tickets revoke -- -3oFZ/,
      ],
      [['backup', existing], 1, /^ssod: \S+existing exists; give a new directory for the backup$/m],
      [['ca', '--out', path.join(scratch, 'not-an-export.json')], 1, /exists; choose another --out, or --force to overwrite it$/m],
      [
        ['import', path.join(scratch, 'not-an-export.json')],
        1,
        /^ssod: \S+not-an-export\.json: sources: must be an array; correct it there, or give a file in the format that `ssod export` writes$/m,
      ],
      [
        ['sources', 'add', 'x', '--web-service', 'https://a.example/', '--search-base', 'dc=x'],
        2,
        /^ssod: --search-base is for an LDAP source, not a web service; leave it out$/m,
      ],
      [
        ['sources', 'add', 'x', '--ldap', 'ldap://ldap.example.com', '--search-base', 'dc=x'],
        1,
        /would send passwords in the clear; use StartTLS/,
      ],
      [['receivers', 'add', 'BAD', '--domain', 'example.de', '--url', 'https://a.example.de/'], 1, /is not valid; use lower-case letters/],
      [['mode', 'multiple-panels'], 1, /which applications on other hosts cannot reach; set the name/],
      [['applications', 'show', 'nope'], 1, /^ssod: no application with id "nope"; `ssod applications list` shows the ids/],
      [['users', 'sso', 'on', 'nobody', '--source', 'x'], 1, /^ssod: no user with id or login "nobody"; /],
    ];
    for (const [args, status, message] of cases) {
      assert.match(oneLine(await installation.run(args), status), message, args.join(' '));
    }
  } finally {
    await installation.remove();
  }
});
