// `ssod receiver`: the settings of a standalone ticket receiver for one DNS domain (docs/tickets.md
// "Receiver software"), from flags or SSOD_RECEIVER_* variables, checked before anything starts;
// then the server runs until SIGTERM or SIGINT.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { OptionError } from '../config/options.js';
import { keySetUrlProblem } from '../client/index.js';
import { startReceiver, type ReceiverSettings } from './server.js';

interface ReceiverFlags {
  readonly name?: string;
  readonly domain?: string;
  readonly ssodUrl?: string;
  readonly publicOrigin?: string;
  readonly keysUrl?: string;
  readonly caFile?: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly bind: string;
  readonly port: string;
  readonly stateDir?: string;
  readonly upstream?: string;
  readonly allowNext: readonly string[];
  readonly requireUser?: boolean;
}

const HELP = 'run `ssod receiver --help` for its settings';

function wrong(message: string): OptionError {
  return new OptionError(`${message}; ${HELP}`);
}

/** `--flag` and its variable SSOD_RECEIVER_FLAG. */
function setting(flag: string, arg: string, doc: string): Option {
  return new Option(`--${flag} <${arg}>`, doc).env(`SSOD_RECEIVER_${flag.toUpperCase().replace(/-/g, '_')}`);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw wrong(`--${flag} is required`);
  return value;
}

function readSetting(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw wrong(`cannot read --${flag} ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function urlSetting(text: string, flag: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === 'https:' || url.protocol === 'http:') return url;
  } catch {
    // said below
  }
  throw wrong(`--${flag} ${JSON.stringify(text)} must be an absolute http or https URL`);
}

function portSetting(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 0 || port > 65_535) throw wrong(`--port ${JSON.stringify(text)} must be a port number, 0 to 65535`);
  return port;
}

/** The flags checked and read into the server's settings; every problem is a one-line OptionError. */
export function receiverSettings(flags: ReceiverFlags): ReceiverSettings {
  const ssodUrl = urlSetting(required(flags.ssodUrl, 'ssod-url'), 'ssod-url');
  const keysUrl = flags.keysUrl === undefined ? null : urlSetting(flags.keysUrl, 'keys-url');
  const keysProblem = keysUrl === null ? null : keySetUrlProblem(keysUrl);
  if (keysProblem !== null) throw wrong(`--keys-url: ${keysProblem}`);
  const upstream = flags.upstream === undefined ? null : urlSetting(flags.upstream, 'upstream');
  for (const origin of flags.allowNext) urlSetting(origin, 'allow-next');
  return {
    name: required(flags.name, 'name'),
    domain: required(flags.domain, 'domain'),
    ssodUrl: ssodUrl.href,
    publicOrigin: required(flags.publicOrigin, 'public-origin'),
    keysUrl: keysUrl?.href ?? null,
    caPem: flags.caFile === undefined ? null : readSetting(flags.caFile, 'ca-file'),
    tlsCert: readSetting(required(flags.tlsCertFile, 'tls-cert-file'), 'tls-cert-file'),
    tlsKey: readSetting(required(flags.tlsKeyFile, 'tls-key-file'), 'tls-key-file'),
    bind: flags.bind,
    port: portSetting(flags.port),
    stateDir: required(flags.stateDir, 'state-dir'),
    upstream,
    allowNext: flags.allowNext,
    requireUser: flags.requireUser === true,
  };
}

function collect(value: string, previous: readonly string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  ];
}

const EXAMPLE = `
Example:
  ssod receiver --name billing-de --domain example.de --public-origin https://apps.example.de \\
    --ssod-url https://sso.example.com:1180/relay --keys-url https://sso.example.com:11443/tickets/keys \\
    --ca-file /var/lib/ssod/ca.crt --tls-cert-file apps.crt --tls-key-file apps.key \\
    --bind 0.0.0.0 --port 443 --state-dir /var/lib/ssod-receiver --upstream http://127.0.0.1:8080

The receiver answers <public origin>/.ssod/ticket and /.ssod/logout (register it in ssod with
\`ssod receivers add billing-de --domain example.de --url https://apps.example.de/.ssod/\`), and
passes every other request on to --upstream with the headers X-SSOD-User-Id and X-SSOD-Login
(percent-encoded beyond printable ASCII) when the SSOD_TICKET cookie is valid; the same headers
sent by the browser are removed. Every setting may also come from SSOD_RECEIVER_<SETTING>, for
example SSOD_RECEIVER_DOMAIN=example.de. Open Fusion SSO protocol extension: docs/tickets.md.
`;

/** Stops the server at SIGTERM or SIGINT, after the open requests (graceful). */
function stopOnSignals(stop: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`ssod receiver: ${signal}: stopping\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

export function receiverCommand(): Command {
  return new Command('receiver')
    .description(
      'Run a standalone ticket receiver for one DNS domain: signed logon tickets become its SSOD_TICKET cookie, in front of an upstream web server.',
    )
    .addOption(setting('name', 'NAME', "this receiver's name in ssod (`ssod receivers add NAME`)"))
    .addOption(setting('domain', 'DOMAIN', 'the DNS domain it serves, as configured in ssod'))
    .addOption(setting('ssod-url', 'URL', "ssod's relay URL (getSettings relayEndpointUrl): the tickets' issuer"))
    .addOption(setting('public-origin', 'ORIGIN', "this receiver's own https origin, inside the domain"))
    .addOption(setting('keys-url', 'URL', "ssod's key set (default /tickets/keys beside --ssod-url when that is https)"))
    .addOption(setting('ca-file', 'FILE', "PEM certificates trusted for --keys-url (for instance ssod's ca.crt)"))
    .addOption(setting('tls-cert-file', 'FILE', "PEM certificate of this receiver's HTTPS server"))
    .addOption(setting('tls-key-file', 'FILE', 'PEM private key of that certificate'))
    .addOption(setting('bind', 'ADDR', 'address to listen on').default('127.0.0.1'))
    .addOption(setting('port', 'N', 'port to listen on').default('8443'))
    .addOption(setting('state-dir', 'DIR', 'directory of the SQLite state (accepted tickets, logged-out sessions), kept across restarts'))
    .addOption(setting('upstream', 'URL', 'web server to pass every other request on to (without it, other paths are 404)'))
    .addOption(
      setting('allow-next', 'ORIGIN', 'another origin the ticket endpoint may return to (repeatable)').argParser(collect).default([]),
    )
    .addOption(
      new Option(
        '--require-user',
        'answer requests without a valid ticket (after asking ssod once) with 401 instead of passing them on anonymously',
      ).env('SSOD_RECEIVER_REQUIRE_USER'),
    )
    .addHelpText('after', EXAMPLE)
    .action(async (flags: ReceiverFlags) => {
      const running = await startReceiver(receiverSettings(flags));
      stopOnSignals(() => running.stop());
    });
}
