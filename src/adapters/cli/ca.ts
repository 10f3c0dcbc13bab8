// `ssod ca`: the certificate authority's certificate, with its SHA-256 fingerprint, for whoever must
// trust ssod (curl --cacert, an application's CA file). It is public, but the server serves it only
// over the HTTPS it signs; this command gives it from the installation, and the fingerprint lets a
// copy fetched any other way be checked (`openssl x509 -noout -fingerprint -sha256`).
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Options } from '../../config/options.js';
import { CA_CERT_FILE } from '../../infra/dataFiles.js';
import { storedCaCertificate } from '../../core/operator/certificates.js';
import type { StoreServices } from '../../core/services.js';
import { CliError, action, print, storeCommand, type StoreFlags } from './common.js';
import { withStore, type InstallationAccess } from './installation.js';

interface CaFlags extends StoreFlags {
  readonly out?: string;
  readonly force?: boolean;
}

/** The CA certificate: the data directory's file (SQLite), or the store's copy (PostgreSQL; public, so no master key). */
async function caCertificatePem(services: StoreServices, options: Options): Promise<string> {
  if (services.store.engine === 'postgres') {
    const pem = await storedCaCertificate(services);
    if (pem === null)
      throw new CliError('no certificate authority in this PostgreSQL store yet; start a node on it once with `ssod serve`');
    return pem;
  }
  const file = path.join(options.dataDir, CA_CERT_FILE);
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; give the installation's --data-dir, or restore its CA files with \`ssod restore\``,
    );
  }
}

async function caAction(access: InstallationAccess, flags: CaFlags): Promise<void> {
  await withStore(access, flags, async (services, options) => {
    const pem = await caCertificatePem(services, options);
    const certificate = new X509Certificate(pem);
    const shown = {
      subject: certificate.subject.replaceAll('\n', ', '),
      notAfter: new Date(certificate.validTo).toISOString(),
      sha256Fingerprint: certificate.fingerprint256,
      certificatePem: certificate.toString(),
      file: flags.out ?? null,
    };
    if (flags.out !== undefined) {
      try {
        await writeFile(flags.out, shown.certificatePem, { flag: flags.force === true ? 'w' : 'wx', mode: 0o644 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new CliError(
          code === 'EEXIST'
            ? `${flags.out} exists; choose another --out, or --force to overwrite it`
            : `cannot write ${flags.out} (${code ?? String(error)}); give an --out in a directory that this user may write`,
        );
      }
    }
    // Without --out the PEM goes to stdout after two comment lines, which openssl, curl and
    // Node skip as they skip those of a CA bundle: `ssod ca > ca.pem` gives a usable file.
    print(flags, shown, () =>
      [
        `# ssod certificate authority: ${shown.subject}, valid until ${shown.notAfter}`,
        `# SHA-256 Fingerprint=${shown.sha256Fingerprint}`,
        flags.out === undefined
          ? shown.certificatePem
          : `Wrote ${flags.out}; check any other copy with: openssl x509 -noout -fingerprint -sha256 -in FILE`,
      ].join('\n'),
    );
  });
}

export function caCommand(access: InstallationAccess): Command {
  return storeCommand('ca', "Print the certificate authority's certificate (PEM) with its SHA-256 fingerprint: what clients must trust.")
    .option('--out <FILE>', 'write the PEM to FILE (mode 0644: it is public) and print only the fingerprint')
    .option('--force', 'overwrite FILE if it exists')
    .addHelpText(
      'after',
      '\nExamples:\n  ssod ca --data-dir /var/lib/ssod --out ca.pem\n  openssl x509 -noout -fingerprint -sha256 -in ca.pem   # the same SHA-256 Fingerprint=\n',
    )
    .action(action((flags: CaFlags) => caAction(access, flags)));
}
