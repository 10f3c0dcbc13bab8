// `ssod master-key generate FILE`: the key that seals the private keys kept in a PostgreSQL store
// (infra/keys/masterKey.ts). Every node of an installation reads the same file.
import { Command } from 'commander';
import { generateMasterKeyFile } from '../../infra/keys/masterKey.js';

const EXAMPLE =
  'Examples:\n  ssod master-key generate /etc/ssod/master.key\n' +
  '  ssod serve --store postgres://ssod@db.example.com/ssod --master-key-file /etc/ssod/master.key\n';

export function masterKeyCommand(): Command {
  const command = new Command('master-key')
    .description('The master key that seals the private keys kept in a PostgreSQL store.')
    .addHelpText('after', `\n${EXAMPLE}`);
  command
    .command('generate')
    .addHelpText('after', `\n${EXAMPLE}`)
    .argument('<FILE>', 'where to write it; an existing file is never overwritten')
    .description('Write a new random master key to FILE, readable by its owner only.')
    .action(async (file: string) => {
      const key = await generateMasterKeyFile(file);
      console.log(`wrote master key ${key.id} to ${file}`);
      console.log(
        'Keep it secret and backed up: without it the CA in the store cannot be opened. Give every node the same file with --master-key-file.',
      );
    });
  return command;
}
