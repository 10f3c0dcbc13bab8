// Every operator command explains itself: its --help shows at least one example. The command
// modules are walked in-process (the binary's --help prints the same text; test/cli/settings.test.ts
// runs it through the binary), so that a subcommand added later is checked without listing it here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { applicationsCommand } from '../../src/cli/applications.js';
import { backupCommand, restoreCommand } from '../../src/cli/backup.js';
import { hostnameCommand } from '../../src/cli/hostname.js';
import { integrationCommand } from '../../src/cli/integration.js';
import { modeCommand } from '../../src/cli/mode.js';
import { sessionsCommand } from '../../src/cli/sessions.js';
import { exportCommand, importCommand } from '../../src/cli/transfer.js';
import { usersCommand } from '../../src/cli/users.js';
import { runCli } from '../helpers/cli.js';

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

function* walk(command: Command, path: readonly string[] = []): Generator<[string, Command]> {
  const here = [...path, command.name()];
  yield [here.join(' '), command];
  for (const sub of command.commands) yield* walk(sub, here);
}

test('--help of every operator command shows an example', async () => {
  const roots = [modeCommand, hostnameCommand, integrationCommand, applicationsCommand, usersCommand, sessionsCommand, backupCommand, restoreCommand, exportCommand, importCommand];
  let checked = 0;
  for (const root of roots) {
    for (const [name, command] of walk(root())) {
      assert.match(helpOf(command), /^Examples?:\n {2}.*\bssod /m, name);
      checked += 1;
    }
  }
  assert.equal(checked, 24);
  const binary = await runCli(['users', 'create', '--help']);
  assert.equal(binary.code, 0);
  assert.match(binary.stdout, /--password-stdin/);
});
