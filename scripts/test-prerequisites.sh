#!/usr/bin/env bash
# What the test suite needs besides npm packages, installed or started when this machine allows it
# (Debian packages as root, the local PostgreSQL cluster), otherwise one line naming what is missing
# and the command that installs it, and exit 1 before anything runs. Run by `npm test`.
set -uo pipefail

url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
packages=()
/usr/bin/python3 -c 'import zeep' 2>/dev/null || packages+=(python3-zeep)   # a third-party SOAP client
/usr/bin/python3 -c 'import jwt, cryptography' 2>/dev/null || packages+=(python3-jwt python3-cryptography) # a third-party JWS verifier (ticket test vectors)
[ -x /usr/bin/chromium ] || packages+=(chromium)                             # browser journeys
command -v openssl >/dev/null 2>&1 || packages+=(openssl)                    # TLS interop checks
command -v curl >/dev/null 2>&1 || packages+=(curl)                          # the README's curl walk-through
command -v mkfs.ext4 >/dev/null 2>&1 || packages+=(e2fsprogs)                # a data directory that turns read-only
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql) # several nodes, restart test
[ -x /usr/bin/systemd-analyze ] || packages+=(systemd)                        # verifies deploy/ssod.service
[ -x /usr/sbin/slapd ] || packages+=(slapd)                                   # a real LDAP directory (delegated sources)
command -v ldapadd >/dev/null 2>&1 || packages+=(ldap-utils)                  # loads the test directory
command -v php >/dev/null 2>&1 || packages+=(php-cli)                         # PHP's SoapServer as an LJAuthenticate service
php -r 'exit(class_exists("SoapServer") ? 0 : 1);' 2>/dev/null || packages+=(php-soap)
# A real SAML identity provider: SimpleSAMLphp 1.19 run by PHP 8.2's built-in server (php -S), never
# by a web server. PHP with its XML and mbstring extensions is listed first so that apt picks the CLI
# PHP for simplesamlphp; the package still depends on "apache2 | httpd", which the tests never start.
command -v php8.2 >/dev/null 2>&1 || packages+=(php8.2-cli)
php8.2 -r 'exit(extension_loaded("dom") && extension_loaded("xml") ? 0 : 1);' 2>/dev/null || packages+=(php8.2-xml)
php8.2 -r 'exit(extension_loaded("mbstring") ? 0 : 1);' 2>/dev/null || packages+=(php8.2-mbstring)
[ -d /usr/share/simplesamlphp/www ] || packages+=(simplesamlphp)

if ((${#packages[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test prerequisites: installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${packages[@]}"; } >/dev/null ||
      { echo "test prerequisites: apt-get could not install ${packages[*]}" >&2; exit 1; }
  else
    echo "test prerequisites: missing ${packages[*]}; install with: sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
    exit 1
  fi
fi

if ! pg_isready -q -d "$url" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "test prerequisites: starting the local PostgreSQL cluster"
    for version in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start 2>/dev/null
    done
    for _ in $(seq 1 30); do pg_isready -q -d "$url" && break; sleep 1; done
  fi
  if ! pg_isready -q -d "$url" 2>/dev/null; then
    echo "test prerequisites: no PostgreSQL answers at $url; start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start (or set TEST_POSTGRES_URL)" >&2
    exit 1
  fi
fi
