// `ssod migrate-store`: moves a single-node installation (SQLite store and the CA files of its data
// directory) into PostgreSQL, so that several nodes can serve it (README "From one node to many").
// Safe while the single node runs: it reads one consistent snapshot and writes nothing there.
import path from 'node:path';
import { Command } from 'commander';
import { checkAuthority } from '../../infra/keys/authority.js';
import { dataDirPlace, MATERIAL_NAMES, requireMasterKey, sealedRecord, storePlace } from '../../infra/keys/material.js';
import type { MasterKey } from '../../infra/keys/masterKey.js';
import { dataDirTicketKeys, sealedKeyName, sealedTicketKeys } from '../../infra/keys/tickets.js';
import { copySqliteToPostgres } from '../../infra/store/copy.js';
import { storeLocation } from '../../infra/store/location.js';
import { openPostgresStore, redactedUrl } from '../../infra/store/postgres.js';
import type { KeyMaterialRecord } from '../../core/store/index.js';

interface MigrateFlags {
  readonly from: string;
  readonly to: string;
  readonly masterKeyFile?: string;
  readonly dataDir?: string;
  readonly overwrite?: boolean;
}

/** The key material of the data directory, sealed: the CA (required) and the others when present. */
async function sealedMaterialOf(dataDir: string, masterKey: MasterKey): Promise<KeyMaterialRecord[]> {
  const place = dataDirPlace(dataDir);
  await checkAuthority(place);
  const records: KeyMaterialRecord[] = [];
  for (const name of MATERIAL_NAMES) {
    const { keyPem, certificatePem } = await place.read(name);
    if (keyPem !== null && certificatePem !== null) records.push(sealedRecord(masterKey, name, { keyPem, certificatePem }, Date.now()));
  }
  return records;
}

/** Reads the key material back from PostgreSQL and opens it with the master key: what every node will do. */
async function verifyMaterial(url: string, masterKey: MasterKey, dataDir: string): Promise<void> {
  const store = await openPostgresStore(url, { poolSize: 1 });
  try {
    const copied = storePlace(store, masterKey, Date.now);
    const original = dataDirPlace(dataDir);
    if ((await checkAuthority(copied)) !== (await checkAuthority(original)))
      throw new Error("the CA read back from PostgreSQL differs from the data directory's");
    for (const name of MATERIAL_NAMES) {
      const [back, source] = [await copied.read(name), await original.read(name)];
      if (back.keyPem !== source.keyPem || back.certificatePem !== source.certificatePem)
        throw new Error(`the ${name} key material read back from PostgreSQL differs`);
    }
    const [sealed, files] = [sealedTicketKeys(masterKey), dataDirTicketKeys(dataDir)];
    for (const key of await store.listTicketKeys()) {
      if ((await sealed.load(key)) !== (await files.load(key))) throw new Error(`ticket key ${key.kid} read back from PostgreSQL differs`);
    }
  } finally {
    await store.close();
  }
}

async function migrate(flags: MigrateFlags): Promise<void> {
  const from = storeLocation(flags.from, flags.dataDir ?? './data');
  if (from.engine !== 'sqlite') throw new Error('--from must name the SQLite store: sqlite:PATH');
  const to = storeLocation(flags.to, '');
  if (to.engine !== 'postgres') throw new Error('--to must be a postgres://… or postgresql://… URL');
  const dataDir = flags.dataDir ?? path.dirname(from.path);
  const masterKey = await requireMasterKey(flags.masterKeyFile ?? process.env.SSOD_MASTER_KEY_FILE ?? '');
  const keyMaterial = await sealedMaterialOf(dataDir, masterKey);

  const ticketKeyFiles = dataDirTicketKeys(dataDir);
  const sealTicketKey = async (kid: string): Promise<string> =>
    masterKey.seal(await ticketKeyFiles.load({ kid, sealedKey: null }), sealedKeyName(kid));
  const counts = await copySqliteToPostgres(from.path, to.url, { overwrite: flags.overwrite === true, keyMaterial, sealTicketKey });
  await verifyMaterial(to.url, masterKey, dataDir);

  console.log(`copied sqlite:${from.path}, the CA and the ticket keys of ${dataDir} to ${redactedUrl(to.url)}; row counts verified:`);
  const width = Math.max(...counts.map((c) => c.table.length));
  for (const { table, rows } of counts) console.log(`  ${table.padEnd(width)}  ${rows}`);
  console.log(`private keys sealed with master key ${masterKey.id}.`);
  console.log(
    `Next: start every node with --store <the same URL> --master-key-file <that file>. Sessions and writes made on the SQLite node after this copy are not in it: stop that node and copy again with --overwrite when you switch.`,
  );
}

export function migrateStoreCommand(): Command {
  return new Command('migrate-store')
    .description(
      'Copy a single-node installation into PostgreSQL: every table of the SQLite store (applications, certificates, users with their password hashes, live sessions) and the CA and ticket-signing keys of its data directory, sealed with the master key; then verify the counts. The SQLite node may keep running.',
    )
    .requiredOption('--from <STORE>', 'the SQLite store, sqlite:PATH (sqlite: alone is ssod.db in --data-dir)')
    .requiredOption('--to <URL>', 'the PostgreSQL store, postgres://… or postgresql://…')
    .option('--master-key-file <FILE>', 'the master key every node will use (also SSOD_MASTER_KEY_FILE)')
    .option('--data-dir <DIR>', 'the data directory holding ca.key and ca.crt (default: the directory of the SQLite file)')
    .option('--overwrite', 'replace what the target holds; without it a target holding any row is refused')
    .addHelpText(
      'after',
      '\nExample:\n  ssod master-key generate /etc/ssod/master.key\n  ssod migrate-store --from sqlite:/var/lib/ssod/ssod.db --to postgres://ssod@db.example.com/ssod --master-key-file /etc/ssod/master.key\n',
    )
    .action(migrate);
}
