// deploy/ssod.service: systemd accepts it, and the choices the docs promise are in it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OPTION_SPECS } from '../../src/config/options.js';
import { CLI } from '../helpers/cli.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const UNIT = fileURLToPath(new URL('../../../deploy/ssod.service', import.meta.url));
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const INSTALLED_BINARY = '/usr/local/bin/ssod';

/** The unit's `Key=value` lines of [Service], in order (a key may repeat). */
function serviceSettings(text: string): Array<[string, string]> {
  const section = text.split(/^\[/m).find((part) => part.startsWith('Service]')) ?? '';
  return section
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

const unitText = readFileSync(UNIT, 'utf8');
const settings = serviceSettings(unitText);
const setting = (key: string): string | undefined => settings.find(([name]) => name === key)?.[1];

test(
  'systemd-analyze verify accepts the unit, with ExecStart pointing at the built ssod',
  {
    skip: skipWithout([TOOLS.systemdAnalyze]),
  },
  async () => {
    // verify refuses an ExecStart binary that does not exist, and this machine has no installed ssod:
    // check a copy of the unit that runs the ssod built from this checkout instead.
    assert.ok(unitText.includes(`ExecStart=${INSTALLED_BINARY} serve`), 'the unit runs the installed ssod');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-unit-'));
    try {
      const copy = path.join(dir, 'ssod.service');
      writeFileSync(copy, unitText.replace(`ExecStart=${INSTALLED_BINARY} `, `ExecStart=${process.execPath} ${CLI} `));
      const result = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(SYSTEMD_ANALYZE, ['verify', '--man=no', copy], (error, stdout, stderr) => {
          resolve({ code: typeof error?.code === 'number' ? error.code : error === null ? 0 : -1, output: stdout + stderr });
        });
      });
      assert.equal(result.output.trim(), '', 'no warnings');
      assert.equal(result.code, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('the unit runs ssod as its own user on an owner-only state directory', () => {
  assert.equal(setting('User'), 'ssod');
  assert.equal(setting('StateDirectory'), 'ssod');
  assert.equal(setting('StateDirectoryMode'), '0700', 'ssod refuses a data directory others may write and warns when they may read it');
  assert.match(setting('ExecStart') ?? '', / --data-dir \/var\/lib\/ssod$/);
});

test('systemd stops ssod with SIGTERM and waits longer than its shutdown grace', () => {
  assert.equal(setting('KillSignal'), 'SIGTERM');
  assert.equal(setting('KillMode'), 'mixed', 'the primary stops its own workers');
  assert.equal(setting('Restart'), 'on-failure');
  assert.ok(Number(setting('TimeoutStopSec')) > OPTION_SPECS.shutdownGrace.default, 'TimeoutStopSec above the default --shutdown-grace');
});

test('the unit is hardened, but leaves V8 its writable and executable memory', () => {
  for (const [key, value] of [
    ['NoNewPrivileges', 'yes'],
    ['ProtectSystem', 'strict'],
    ['ProtectHome', 'yes'],
    ['PrivateTmp', 'yes'],
    ['PrivateDevices', 'yes'],
    ['ProtectKernelTunables', 'yes'],
    ['ProtectKernelModules', 'yes'],
    ['ProtectKernelLogs', 'yes'],
    ['ProtectControlGroups', 'yes'],
    ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
    ['CapabilityBoundingSet', ''],
    ['SystemCallFilter', '@system-service'],
  ] as const) {
    assert.equal(setting(key), value, key);
  }
  assert.equal(setting('MemoryDenyWriteExecute'), undefined, 'V8 compiles code at run time');
});
