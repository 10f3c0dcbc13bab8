// docs/PROTOCOL.md and docs/CONFIGURATION.md are generated from the operation and option tables
// (`npm run docs`); a test fails when the committed files differ, so the docs cannot drift.
import { writeFileSync } from 'node:fs';
import { OPTION_SPECS, defaultText, envOf, flagOf, optionNames } from '../config/options.js';
import { SETTINGS_REFRESH_MS } from '../core/liveSettings.js';
import { FAULTS, FAULT_CODES, type FaultCode } from '../adapters/soap/faults.js';
import { OPERATIONS } from '../adapters/soap/operations/index.js';
import type { Operation } from '../adapters/soap/operations/types.js';

const COMMON_FAULTS: readonly FaultCode[] = ['FailedAuthentication', 'internalError'];

function operationSection(operation: Operation): string {
  const inputs =
    operation.input.length === 0
      ? 'none'
      : operation.input
          .map(
            (f) =>
              `| \`${f.name}\` | ${f.type} | ${f.optional ? 'optional' : 'required'}${f.allowEmpty ? ', may be empty' : ''} | ${f.doc} |`,
          )
          .join('\n');
  const outputs =
    operation.output.length === 0
      ? 'none (an empty response element)'
      : operation.output
          .map(
            (f) =>
              `| \`${f.name}\` | ${f.shape === 'list' ? 'list of `a`' : f.shape === 'repeated' ? 'repeated' : 'single'}${f.optional ? ', optional' : ''} | ${f.doc} |`,
          )
          .join('\n');
  const faults = [...new Set([...operation.faults, ...COMMON_FAULTS])].map((code) => `\`sso:${code}\``).join(', ');
  return [
    `### ${operation.name} (section ${operation.section})`,
    '',
    operation.summary,
    '',
    `Who may call: ${operation.access === 'guest' ? 'anyone, guests included (no client certificate)' : 'a registered application (client certificate)'}.`,
    '',
    'Input:',
    '',
    operation.input.length === 0 ? 'none' : '| field | type | presence | meaning |\n| --- | --- | --- | --- |\n' + inputs,
    '',
    'Output:',
    '',
    operation.output.length === 0 ? outputs : '| field | shape | meaning |\n| --- | --- | --- |\n' + outputs,
    '',
    `Faults: ${faults}.`,
    '',
  ].join('\n');
}

const RELAY_SECTION = `## The SSO Relay (section 2)

\`GET http://HOST:RELAY_PORT/relay\` (getSettings \`relayEndpointUrl\`; \`https\` with \`--relay-tls on\`). Every request names a \`url\` to send the
browser back to; it must be an absolute http(s) URL whose origin (scheme, host, explicit port, compared after
normalization) is the \`url\` of a registered application. Anything else, or two \`url\` parameters, is an HTTP
400 page with no redirect. Every reply carries \`Cache-Control: no-store\` and \`Referrer-Policy: no-referrer\`.

| command | request | reply |
| --- | --- | --- |
| set global cookie (§2.2.1) | \`/relay?token=T&url=U\`, T the relayToken of authenticate | 302 to U; with a valid token, \`Set-Cookie: sid=…; Max-Age=…; Path=/; HttpOnly; SameSite=Lax\` (over HTTPS the cookie is \`__Host-sid\`, plus \`Secure\`). An unknown, used or expired token: 302 to U with no cookie. A token of another user than the browser's live cookie: HTTP 200, a page that asks the person to stay or continue as that user (below). |
| get global session (§2.2.2) | \`/relay?url=U\` with the \`sid\` (\`__Host-sid\`) cookie | 302 to U with \`ssosid=<local session id of U's application>\` added to its query (the same id on every call), or \`ssosid=none\`. An \`ssosid\` already in U is removed; the new one goes before the fragment. |

A relay token is single use and lives 60 seconds. The cookie value is fresh random on every exchange and never
the token. The relay's visit renews the session's idle timer as verifySession does.

Beyond the protocol, the page that asks before a switch to another user (docs/SECURITY.md, case F48) is answered
by \`POST /relay\` (\`application/x-www-form-urlencoded\`: \`url\`, \`confirm\`, \`choice\` = \`stay\` or \`switch\`) from
that page only: 302 to U, with the new cookie after \`switch\`; a forged, repeated or expired answer is a 403 page.
`;

export function protocolReference(): string {
  const faultRows = FAULT_CODES.map((code) => {
    const status12 = FAULTS[code].soap12Code === 'Sender' ? 400 : 500;
    return `| \`sso:${code}\` | env:${FAULTS[code].soap12Code} | ${status12} | 500 | ${FAULTS[code].description} |`;
  }).join('\n');
  return [
    '# Protocol reference',
    '',
    '<!-- Generated from src/operations by `npm run docs`; do not edit by hand. -->',
    '',
    'The SOAP API of the Open Fusion SSO protocol as ssod implements it (sections are numbered as in the protocol). Endpoint: `POST https://HOST:SOAP_PORT/soap`',
    '(SOAP 1.1 with `Content-Type: text/xml`, SOAP 1.2 with `application/soap+xml`; the reply uses the version of the request).',
    'WSDL: `GET https://HOST:SOAP_PORT/soap?wsdl`. Namespace of every operation element: `http://swsoft.com/schemas/sso/1`.',
    'Elements are matched by namespace and local name (any prefix, or a default namespace); their order is free;',
    'an unknown, repeated or misplaced element is `sso:invalidParameter`. The `SOAPAction` header is never read.',
    '',
    '## Faults',
    '',
    'SOAP 1.2: `env:Code/env:Value` is the SOAP code below, `env:Subcode/env:Value` the `sso:` code, and `env:Detail` holds',
    'an element named after the code. SOAP 1.1: `faultcode` is the `sso:` code. A malformed or hostile envelope',
    '(not XML, a DOCTYPE, a wrong structure) is a plain `env:Sender` (1.2) or `env:Client` (1.1) fault with no `sso:` code;',
    'an unknown envelope namespace is `VersionMismatch`, a header with `mustUnderstand` is `MustUnderstand`.',
    '',
    '| code | SOAP 1.2 code | HTTP (1.2) | HTTP (1.1) | meaning |',
    '| --- | --- | --- | --- | --- |',
    faultRows,
    '',
    'Every operation may also fail with `sso:FailedAuthentication` (a client certificate was presented that is not a',
    'current certificate of a registered application: it never falls back to guest) and `sso:internalError`.',
    '',
    '## Operations',
    '',
    ...OPERATIONS.map(operationSection),
    RELAY_SECTION,
  ].join('\n');
}

export function configurationReference(): string {
  const rows = optionNames().map((name) => {
    const spec: { readonly default: string | number; readonly arg: string; readonly doc: string; readonly scope?: string } =
      OPTION_SPECS[name];
    const scope = spec.scope === 'service' ? 'service' : 'node';
    return `| \`${flagOf(name)} ${spec.arg}\` | \`${envOf(name)}\` | \`${name}\` | \`${defaultText(name)}\` | ${scope} | ${spec.doc} |`;
  });
  return [
    '# Configuration reference',
    '',
    '<!-- Generated from src/config/options.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every option of `ssod serve` can be given as a flag, as an environment variable, or as a key of a JSON config file',
    '(`--config FILE` or `SSOD_CONFIG`). Precedence: flag over environment over config file over default.',
    'A config key is the flag without its dashes (`"data-dir"`) or the camelCase name of the table (`"dataDir"`).',
    'An unknown flag, environment variable starting with `SSOD_`, or config key is an error that names the closest known one, and so is a value out of range.',
    '',
    'A **node** option belongs to one ssod process. A **service** setting belongs to the whole SSO service: it is kept',
    'in the store, so every node uses the same value. Given to `ssod serve` (flag, environment or config file), a service',
    'setting is written to the store when the server starts; otherwise the store keeps what was set last, or the default.',
    `A running server re-reads the service settings every ${SETTINGS_REFRESH_MS / 1000} seconds, so a change reaches it without a restart;`,
    'only the SOAP listener waits for the next start to move to the address of a new `mode`.',
    '',
    '| flag | environment | config key | default | scope | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

/** `node dist/src/docs/reference.js DIR` writes the generated references into DIR. */
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const dir = process.argv[2] ?? 'docs';
  writeFileSync(`${dir}/PROTOCOL.md`, protocolReference());
  writeFileSync(`${dir}/CONFIGURATION.md`, configurationReference());
}
