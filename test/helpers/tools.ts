// The programs the tests use besides npm packages, each from a Debian package that
// scripts/test-prerequisites.sh installs before `npm test` runs anything. The rule is the same for
// every test that needs one: run on its own (`node --test FILE`) on a machine without it, the test
// is skipped with one line naming the package that brings it; under `npm test` (scripts/run-tests.sh
// sets TEST_REQUIRE_TOOLS=1) or on CI, where the prerequisites were installed, a missing program is
// a broken machine and the test runs and fails. So no test fails for a missing program while another
// skips for the same one.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

export interface Tool {
  /** What the skip line calls it. */
  readonly name: string;
  /** The Debian packages that bring it, as scripts/test-prerequisites.sh installs them. */
  readonly packages: string;
  /** Whether this machine has it (checked once). */
  present(): boolean;
}

/** Whether the program runs and exits 0. */
function runs(file: string, args: readonly string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

function tool(name: string, packages: string, check: () => boolean): Tool {
  let known: boolean | undefined;
  return { name, packages, present: () => (known ??= check()) };
}

// Debian's python3: a python3 earlier on the PATH (pyenv) may lack the Debian modules.
const PYTHON = '/usr/bin/python3';

/** Debian's chromium; CHROMIUM_PATH points elsewhere (and shows what happens when it is missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const TOOLS = {
  zeep: tool('python3-zeep (a third-party SOAP client)', 'python3-zeep', () => runs(PYTHON, ['-c', 'import zeep'])),
  pyjwt: tool('PyJWT (a third-party JWS verifier)', 'python3-jwt python3-cryptography', () =>
    runs(PYTHON, ['-c', 'import jwt, cryptography']),
  ),
  chromium: tool(`chromium (${CHROMIUM})`, 'chromium', () => existsSync(CHROMIUM)),
  openssl: tool('openssl', 'openssl', () => runs('openssl', ['version'])),
  curl: tool('curl', 'curl', () => runs('curl', ['--version'])),
  mkfsExt4: tool('mkfs.ext4', 'e2fsprogs', () => runs('mkfs.ext4', ['-V'])),
  systemdAnalyze: tool('systemd-analyze', 'systemd', () => existsSync('/usr/bin/systemd-analyze')),
  openLdap: tool('OpenLDAP (slapd, ldapadd)', 'slapd ldap-utils', () => existsSync('/usr/sbin/slapd') && existsSync('/usr/bin/ldapadd')),
  phpSoap: tool("PHP's SoapServer", 'php-cli php-soap', () => runs('php', ['-r', 'exit(class_exists("SoapServer") ? 0 : 1);'])),
  simpleSamlPhp: tool(
    'SimpleSAMLphp under PHP 8.2',
    'php8.2-cli php8.2-xml php8.2-mbstring simplesamlphp',
    () =>
      existsSync('/usr/share/simplesamlphp/www') &&
      runs('php8.2', ['-r', 'exit(extension_loaded("dom") && extension_loaded("mbstring") ? 0 : 1);']),
  ),
  postgresServer: tool("PostgreSQL's server programs (initdb)", 'postgresql', () => {
    try {
      return readdirSync('/usr/lib/postgresql').some((version) => existsSync(`/usr/lib/postgresql/${version}/bin/initdb`));
    } catch {
      return false;
    }
  }),
} as const;

/** Whether a missing program fails the tests that need it (under `npm test`, on CI) rather than skipping them. */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TEST_REQUIRE_TOOLS === '1' || (env.CI !== undefined && env.CI !== '');
}

/**
 * The `skip` of a test or describe that needs these programs: false when all are here, or when they
 * are required (the test then runs and fails); otherwise the one line that names what is missing
 * and how to install it.
 */
export function skipWithout(tools: readonly Tool[], env: NodeJS.ProcessEnv = process.env): string | false {
  const missing = tools.filter((needed) => !needed.present());
  if (missing.length === 0 || toolsRequired(env)) return false;
  const names = missing.map((needed) => needed.name).join(', ');
  const packages = missing.map((needed) => needed.packages).join(' ');
  return `${names} not installed: sudo apt-get install -y --no-install-recommends ${packages} (npm test installs it)`;
}
