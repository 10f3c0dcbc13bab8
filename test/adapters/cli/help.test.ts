// Every command explains itself: the --help of `ssod` and of every command and subcommand shows at
// least one example. The commands are found by walking `ssod --help` through the real binary, so
// that a command added later is checked without listing it here. Its prose and options fit 100
// columns (the example commands are shown whole), and the options name one another by their flags.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPTION_SPECS, flagOf, type OptionName } from '../../../src/config/options.js';
import { runCli } from '../../helpers/cli.js';

/** The subcommands that a --help lists under "Commands:" (without commander's `help`). */
function subcommandsOf(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((match) => match[1] ?? '').filter((name) => name !== 'help');
}

test('--help of ssod and of every command and subcommand shows an example, through the binary', async () => {
  const checked: string[] = [];
  let level: string[][] = [[]];
  while (level.length > 0) {
    // One level at a time, its commands side by side: a few processes, not one per core.
    const helps = await Promise.all(level.map((words) => runCli([...words, '--help'])));
    const next: string[][] = [];
    helps.forEach((help, i) => {
      const words = level[i] ?? [];
      const name = ['ssod', ...words].join(' ');
      assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
      assert.match(help.stdout, /^Examples?:\n {2}.*\bssod\b/m, `${name} --help has no example`);
      // Everything but the example command lines, which are typed as they are, fits 100 columns.
      const prose = help.stdout.replace(/\nExamples?:\n(?: {2}.*\n)*/, '\n');
      const widest = Math.max(...prose.split('\n').map((line) => line.length));
      assert.ok(widest <= 100, `${name} --help is ${widest} columns wide:\n${help.stdout}`);
      checked.push(name);
      for (const sub of subcommandsOf(help.stdout)) next.push([...words, sub]);
    });
    level = next;
  }
  for (const name of [
    'ssod',
    'ssod serve',
    'ssod master-key',
    'ssod master-key generate',
    'ssod users create',
    'ssod settings set',
    'ssod audit',
  ])
    assert.ok(checked.includes(name), name);
  assert.ok(checked.length >= 35, `only ${checked.length} commands found`);
});

test('ssod serve --help names the other options by their flags, as an operator types them', async () => {
  const help = await runCli(['serve', '--help']);
  assert.equal(help.code, 0, help.stderr);
  // The --config line shows the camelCase form of a key on purpose; every other description names flags.
  const descriptions = help.stdout.split('\n  --').filter((option) => !option.startsWith('config '));
  for (const name of Object.keys(OPTION_SPECS) as OptionName[]) {
    if (!/[A-Z]/.test(name)) continue; // one word: the flag is the same word
    for (const text of descriptions) assert.doesNotMatch(text, new RegExp(`\\b${name}\\b`), `say ${flagOf(name)}, not ${name}:\n--${text}`);
  }
});
