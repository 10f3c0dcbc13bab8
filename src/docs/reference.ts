// docs/PROTOCOL.md, docs/EXTENSIONS.md and docs/CONFIGURATION.md are generated from the operation
// and option tables (`npm run docs`); a test fails when the committed files differ, so the docs
// cannot drift.
import { writeFileSync } from 'node:fs';
import { OPTION_SPECS, defaultText, envOf, flagOf, optionNames } from '../config/options.js';
import { SETTINGS_REFRESH_MS } from '../core/liveSettings.js';
import { FAULTS, FAULT_CODES, NAMESPACE_PREFIX, SSO_NS, SSOX_NS, type FaultCode } from '../adapters/soap/faults.js';
import { EXTENSION_OPERATIONS, OPERATIONS } from '../adapters/soap/operations/index.js';
import { fieldNamespace, qualifiedName, type FieldSpec, type Operation, type OutputSpec } from '../adapters/soap/operations/types.js';

const COMMON_FAULTS: readonly FaultCode[] = ['FailedAuthentication', 'internalError'];

function inputRows(fields: readonly FieldSpec[], name: (field: FieldSpec) => string): string {
  return fields
    .map(
      (f) => `| \`${name(f)}\` | ${f.type} | ${f.optional ? 'optional' : 'required'}${f.allowEmpty ? ', may be empty' : ''} | ${f.doc} |`,
    )
    .join('\n');
}

/** A protocol operation's inputs of another namespace (ssox): documented in docs/EXTENSIONS.md, named in PROTOCOL.md. */
function extensionInputs(operation: Operation): FieldSpec[] {
  return operation.input.filter((field) => fieldNamespace(operation, field) !== operation.namespace);
}

function outputShape(output: OutputSpec): string {
  switch (output.shape ?? 'single') {
    case 'list':
      return 'list of `a`';
    case 'repeated':
      return 'repeated';
    case 'records':
      return `repeated, each with ${(output.fields ?? []).map((field) => `\`${field}\``).join(', ')}`;
    case 'single':
      return 'single';
  }
}

function operationSection(operation: Operation): string {
  // The protocol's own fields; an extension's are all its own (in its namespace).
  const fields = operation.input.filter((field) => fieldNamespace(operation, field) === operation.namespace);
  const inputs = fields.length === 0 ? 'none' : inputRows(fields, (field) => field.name);
  const outputs =
    operation.output.length === 0
      ? 'none (an empty response element)'
      : operation.output.map((f) => `| \`${f.name}\` | ${outputShape(f)}${f.optional ? ', optional' : ''} | ${f.doc} |`).join('\n');
  const faults = [...new Set([...operation.faults, ...COMMON_FAULTS])].map((code) => `\`sso:${code}\``).join(', ');
  const extensions = extensionInputs(operation);
  const heading =
    operation.section === null
      ? `### ${qualifiedName(operation.namespace, operation.name)}`
      : `### ${operation.name} (section ${operation.section})`;
  return [
    heading,
    '',
    operation.summary,
    '',
    `Who may call: ${operation.access === 'guest' ? 'anyone, guests included (no client certificate)' : 'a registered application (client certificate)'}.`,
    '',
    'Input:',
    '',
    fields.length === 0 ? 'none' : '| field | type | presence | meaning |\n| --- | --- | --- | --- |\n' + inputs,
    '',
    ...(extensions.length === 0
      ? []
      : [
          `Beyond the protocol (docs/EXTENSIONS.md): ${extensions.map((field) => `\`${qualifiedName(fieldNamespace(operation, field), field.name)}\``).join(', ')}.`,
          '',
        ]),
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
    `WSDL: \`GET https://HOST:SOAP_PORT/soap?wsdl\`. Namespace of every operation element: \`${SSO_NS}\`.`,
    'Elements are matched by namespace and local name (any prefix, or a default namespace); their order is free;',
    'an unknown, repeated or misplaced element is `sso:invalidParameter`. The `SOAPAction` header is never read.',
    '',
    `ssod's own additions live beside the protocol in the namespace \`${SSOX_NS}\` and leave all of this unchanged: docs/EXTENSIONS.md.`,
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

/** A protocol operation with ssox inputs: the inputs, in the table of the protocol's reference. */
function extendedInputsSection(operation: Operation): string {
  return [
    `### ${operation.name} (section ${operation.section ?? '-'})`,
    '',
    '| element | type | presence | meaning |',
    '| --- | --- | --- | --- |',
    inputRows(extensionInputs(operation), (field) => qualifiedName(fieldNamespace(operation, field), field.name)),
    '',
  ].join('\n');
}

const EXTENSIONS_EXAMPLE = `\`\`\`xml
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
  <soap:Body>
    <sso:authenticate xmlns:sso="${SSO_NS}" xmlns:ssox="${SSOX_NS}">
      <sso:login>jane@example.com</sso:login>
      <sso:password>secret</sso:password>
      <sso:baseUrl>https://panel.example.com:8443/</sso:baseUrl>
      <ssox:originatingIp>203.0.113.7</ssox:originatingIp>
    </sso:authenticate>
  </soap:Body>
</soap:Envelope>
\`\`\``;

export function extensionsReference(): string {
  const extended = OPERATIONS.filter((operation) => extensionInputs(operation).length > 0);
  return [
    `# Extensions (${SSOX_NS})`,
    '',
    '<!-- Generated from src/adapters/soap/operations by `npm run docs`; do not edit by hand. -->',
    '',
    'What ssod adds to the SOAP API of the Open Fusion SSO protocol (docs/PROTOCOL.md). The protocol itself stays exactly as',
    `it is: its operations, its WSDL (\`GET /soap?wsdl\`), its faults and the relay; an application written for the protocol`,
    `sees no difference. The additions live in their own namespace, \`${SSOX_NS}\` (prefix \`${NAMESPACE_PREFIX[SSOX_NS]}\` here):`,
    '',
    `- **Operations of ssod**: elements in \`${SSOX_NS}\`, POSTed to the same endpoint (\`https://HOST:SOAP_PORT/soap\`) with the same`,
    "  client certificates, the same SOAP 1.1 and 1.2 rules and the same faults: the protocol's codes, in the protocol's",
    `  namespace (\`sso:invalidParameter\`, ...; docs/PROTOCOL.md "Faults"). Their fields and replies are in \`${SSOX_NS}\`.`,
    `- **Extension inputs of protocol operations**: where a protocol operation takes one more input, it is an optional element in`,
    `  \`${SSOX_NS}\` among the operation's children, after the protocol's fields (the order is not enforced, as for the`,
    "  protocol's fields). Only the elements listed below are accepted, each where it is listed; any other element is",
    '  `sso:invalidParameter`, as in the protocol.',
    `- **WSDL**: \`GET https://HOST:SOAP_PORT/soap?wsdl=ext\` serves a second WSDL 1.1 document, target namespace \`${SSOX_NS}\`,`,
    '  with the operations of ssod and the protocol operations that take extension inputs, declared with them (SOAP 1.1 and',
    "  1.2 ports at the same endpoint). A client generated from it calls both kinds; python3-zeep and PHP's SoapClient read it.",
    '',
    '## Extension inputs of protocol operations',
    '',
    ...extended.map(extendedInputsSection),
    'A guest may give `ssox:originatingIp` as well as an application with a certificate: it decides nothing in ssod.',
    'Brute-force protection always counts the address of the connection, which a caller cannot choose, never this one; the',
    "address is only forwarded to the user's delegated source (docs/FEDERATION.md), which may use it in its own decision.",
    'A value that is not an IPv4 or IPv6 address (node:net `isIP`), or an IPv6 address with a zone (`%eth0`), is `sso:invalidParameter`.',
    '',
    'Example (SOAP 1.2):',
    '',
    EXTENSIONS_EXAMPLE,
    '',
    '## Operations of ssod',
    '',
    ...EXTENSION_OPERATIONS.map(operationSection),
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
  writeFileSync(`${dir}/EXTENSIONS.md`, extensionsReference());
  writeFileSync(`${dir}/CONFIGURATION.md`, configurationReference());
}
