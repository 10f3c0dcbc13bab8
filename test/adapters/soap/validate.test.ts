// Input validation against an operation's declared fields: the spec's examples pass, and every
// bad field of the catalog's cases A9 and A10 (docs/SECURITY.md) is sso:invalidParameter with a short reason naming it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ProtocolFault, SSO_NS } from '../../../src/adapters/soap/faults.js';
import { applicationFields, applicationIdField, loginField, userIdField } from '../../../src/adapters/soap/operations/fields.js';
import type { FieldSpec, Operation } from '../../../src/adapters/soap/operations/types.js';
import { parseEnvelope } from '../../../src/adapters/soap/envelope.js';
import { validateInput } from '../../../src/adapters/soap/validate.js';
import { parseXml, type XmlElement } from '../../../src/infra/xml.js';
import { declaredOperation } from '../../helpers/operations.js';

const VECTORS = new URL('../../../../test/vectors/protocol/', import.meta.url);

function operationWith(name: string, input: readonly FieldSpec[]): Operation {
  return declaredOperation({ name, input });
}

// Field lists as the spec's operations declare them (src/operations/), built from the shared fields.
const registerApplication = operationWith('registerApplication', applicationFields(false));
const updateApplication = operationWith('updateApplication', [
  applicationIdField,
  ...applicationFields(true),
  { name: 'certificate', type: 'string', optional: true, allowEmpty: true, maxLength: 0, doc: 'empty: issue a new one' },
]);
const authenticate = operationWith('authenticate', [
  { ...loginField, optional: true },
  { ...userIdField, optional: true },
  { name: 'password', type: 'string', optional: true, allowEmpty: true, maxLength: 65_536, doc: 'password' },
  { name: 'baseUrl', type: 'baseUrl', optional: true, doc: 'base url' },
]);
const probe = operationWith('probe', [
  { name: 'text', type: 'string', doc: 'required text' },
  { name: 'id', type: 'uuid', optional: true, doc: 'a uuid' },
  { name: 'link', type: 'url', optional: true, doc: 'a url' },
  { name: 'short', type: 'string', optional: true, maxLength: 3, doc: 'at most 3' },
]);

function operationElement(name: string, fields: string): XmlElement {
  return parseXml(`<sso:${name} xmlns:sso="${SSO_NS}">${fields}</sso:${name}>`);
}

function vectorOperation(file: string): XmlElement {
  return parseEnvelope(readFileSync(new URL(file, VECTORS), 'utf8'), 'application/soap+xml').operation;
}

/** Asserts invalidParameter with a reason matching `reason`, short and without the raw input. */
function assertInvalid(operation: Operation, element: XmlElement, reason: RegExp): void {
  assert.throws(
    () => validateInput(operation, element),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolFault, String(error));
      assert.equal(error.code, 'invalidParameter');
      assert.match(error.message, reason);
      assert.ok(error.message.length < 160, error.message);
      return true;
    },
  );
}

describe('validateInput: the spec examples', () => {
  test('protocol §5.1 registerApplication', () => {
    const input = validateInput(registerApplication, vectorOperation('01-registerApplication.xml'));
    assert.deepEqual(
      { ...input },
      {
        name: 'plesk',
        displayName: 'Plesk for Unix',
        version: '8.2',
        capabilities: '',
        url: 'https://plesk.example.com:8443/',
        restorePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/restore_password/',
        changePasswordUrl: 'https://plesk.example.com:8443/plesk/$uid/change_password/',
      },
    );
    assert.equal(Object.getPrototypeOf(input), null);
  });

  test('protocol §5.2 updateApplication: an empty certificate is the empty string, absent fields undefined', () => {
    const input = validateInput(updateApplication, vectorOperation('02-updateApplication.xml'));
    assert.equal(input.certificate, '');
    assert.equal(input.applicationId, 'b0c1127f-bea4-4327-a032-3e8a79afcc6a');
    assert.equal(input.capabilities, 'ui-integration');
    assert.equal(input.name, undefined);
    assert.equal('name' in input, false);
  });

  test('protocol §5.17 authenticate', () => {
    const input = validateInput(authenticate, vectorOperation('17-authenticate.xml'));
    assert.deepEqual({ ...input }, { login: 'user@example.com', password: 'l2345', baseUrl: 'https://plesk.example.com:8443/' });
  });

  test('the order of the fields is not enforced', () => {
    const input = validateInput(
      authenticate,
      operationElement('authenticate', '<sso:baseUrl>http://a.example:80/</sso:baseUrl><sso:login>x</sso:login>'),
    );
    assert.deepEqual({ ...input }, { baseUrl: 'http://a.example:80/', login: 'x' });
  });
});

describe('validateInput: field types', () => {
  test('a uuid is accepted in either case and returned lower-cased', () => {
    const input = validateInput(
      probe,
      operationElement('probe', '<sso:text>t</sso:text><sso:id>B0C1127F-BEA4-4327-A032-3E8A79AFCC6A</sso:id>'),
    );
    assert.equal(input.id, 'b0c1127f-bea4-4327-a032-3e8a79afcc6a');
  });

  test('A10: non-UUID ids are invalidParameter', () => {
    for (const id of [
      '1',
      'b0c1127fbea44327a0323e8a79afcc6a',
      '{b0c1127f-bea4-4327-a032-3e8a79afcc6a}',
      'urn:uuid:b0c1127f-bea4-4327-a032-3e8a79afcc6a',
      ' b0c1127f-bea4-4327-a032-3e8a79afcc6a',
      'g0c1127f-bea4-4327-a032-3e8a79afcc6a',
      "' OR 1=1 --",
    ]) {
      assertInvalid(probe, operationElement('probe', `<sso:text>t</sso:text><sso:id>${id.replace('<', '&lt;')}</sso:id>`), /^id /);
    }
  });

  test('a base URL is normalized (docs/DECISIONS.md "URLs")', () => {
    const input = validateInput(
      authenticate,
      operationElement('authenticate', '<sso:login>x</sso:login><sso:baseUrl>HTTPS://Plesk.Example.com</sso:baseUrl>'),
    );
    assert.equal(input.baseUrl, 'https://plesk.example.com:443/');
  });

  test('A10: a base URL with a path, query, user info or another scheme is invalidParameter', () => {
    for (const url of [
      'https://a.example:8443/path',
      'https://a.example/?q=1',
      'https://u@a.example/',
      'ftp://a.example/',
      'javascript:alert(1)',
      'a.example',
    ]) {
      assertInvalid(
        authenticate,
        operationElement('authenticate', `<sso:login>x</sso:login><sso:baseUrl>${url}</sso:baseUrl>`),
        /^baseUrl /,
      );
    }
  });

  test('a url is an absolute http(s) URL, returned as given', () => {
    const url = 'https://Plesk.example.com:8443/plesk/$uid/restore_password/?a=1&amp;b=2';
    assert.equal(
      validateInput(probe, operationElement('probe', `<sso:text>t</sso:text><sso:link>${url}</sso:link>`)).link,
      url.replace('&amp;', '&'),
    );
  });

  test('A10: javascript:, relative, scheme-less and spaced urls are invalidParameter', () => {
    for (const url of [
      'javascript:alert(1)',
      '/relative',
      '//evil.example/',
      'http:evil.example',
      'https://a.example/a b',
      'ftp://a.example/',
      'https:///x',
      'data:text/html,x',
      'https://a.example\\@evil.example/',
      'https://bank.example@evil.example/',
    ]) {
      assertInvalid(probe, operationElement('probe', `<sso:text>t</sso:text><sso:link>${url}</sso:link>`), /^link /);
    }
  });

  test('strings are never trimmed (a password keeps its spaces)', () => {
    const input = validateInput(
      authenticate,
      operationElement('authenticate', '<sso:login>x</sso:login><sso:password>  two  words\t\n</sso:password>'),
    );
    assert.equal(input.password, '  two  words\t\n');
  });

  test('A10: control characters in a string are invalidParameter', () => {
    // XML 1.0 cannot carry them, so the element is built by hand (defence in depth).
    const element: XmlElement = {
      ns: SSO_NS,
      local: 'probe',
      attributes: new Map(),
      text: '',
      children: [{ ns: SSO_NS, local: 'text', attributes: new Map(), children: [], text: 'a\u0000b' }],
    };
    assertInvalid(probe, element, /^text must not contain control characters/);
  });
});

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

describe('validateInput: xsi:nil, as node-soap and SOAP::Lite send an optional argument without a value', () => {
  test('xsi:nil="true" or "1" on an optional field means absent, whatever prefix binds the namespace', () => {
    const nils = [
      `<sso:id xmlns:xsi="${XSI}" xsi:nil="true"/>`,
      `<sso:id xmlns:i="${XSI}" i:nil="1"></sso:id>`,
      `<sso:id xmlns:xsi="${XSI}" xsi:nil=" true "/>`,
    ];
    for (const nil of nils) {
      const input = validateInput(probe, operationElement('probe', `<sso:text>t</sso:text>${nil}`));
      assert.deepEqual({ ...input }, { text: 't' }, nil);
      assert.equal('id' in input, false, nil);
    }
  });

  test('a nil field that allows the empty string is absent, not empty: updateApplication keeps its certificate', () => {
    const id = '<sso:applicationId>b0c1127f-bea4-4327-a032-3e8a79afcc6a</sso:applicationId>';
    const input = validateInput(
      updateApplication,
      operationElement('updateApplication', `${id}<sso:certificate xmlns:xsi="${XSI}" xsi:nil="true"/>`),
    );
    assert.equal(input.certificate, undefined);
  });

  test('xsi:nil="false" or "0" is an ordinary value', () => {
    const input = validateInput(
      probe,
      operationElement(
        'probe',
        `<sso:text xmlns:xsi="${XSI}" xsi:nil="false">t</sso:text><sso:short xmlns:xsi="${XSI}" xsi:nil="0">abc</sso:short>`,
      ),
    );
    assert.deepEqual({ ...input }, { text: 't', short: 'abc' });
    assertInvalid(
      probe,
      operationElement('probe', `<sso:text>t</sso:text><sso:id xmlns:xsi="${XSI}" xsi:nil="false"/>`),
      /^id must not be empty/,
    );
  });

  test('a whole SOAP 1.1 envelope as node-soap writes it: xsi bound on the Envelope, nil in the Body', () => {
    const raw = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="${XSI}" xmlns:tns="${SSO_NS}"><soap:Body><tns:authenticate><tns:login>alice@example.com</tns:login><tns:userId xsi:nil="true"></tns:userId><tns:password>pw</tns:password><tns:baseUrl xsi:nil="true"/></tns:authenticate></soap:Body></soap:Envelope>`;
    const input = validateInput(authenticate, parseEnvelope(raw, 'text/xml; charset=utf-8').operation);
    assert.deepEqual({ ...input }, { login: 'alice@example.com', password: 'pw' });
  });

  test('a nil required field is invalidParameter naming it', () => {
    assertInvalid(probe, operationElement('probe', `<sso:text xmlns:xsi="${XSI}" xsi:nil="true"/>`), /^text is required and cannot be nil/);
  });

  test('a nil field with content, or with a value that is not a boolean, is invalidParameter', () => {
    assertInvalid(
      probe,
      operationElement('probe', `<sso:text>t</sso:text><sso:short xmlns:xsi="${XSI}" xsi:nil="true">abc</sso:short>`),
      /^short is nil but has content/,
    );
    assertInvalid(
      probe,
      operationElement('probe', `<sso:text>t</sso:text><sso:short xmlns:xsi="${XSI}" xsi:nil="true"><sso:x/></sso:short>`),
      /^short is nil but has content/,
    );
    assertInvalid(
      probe,
      operationElement('probe', `<sso:text>t</sso:text><sso:short xmlns:xsi="${XSI}" xsi:nil="yes"/>`),
      /^short has an xsi:nil that is not true or false/,
    );
  });

  test('a nil field given twice, or beside a value, is still given twice', () => {
    assertInvalid(
      probe,
      operationElement(
        'probe',
        `<sso:text>t</sso:text><sso:id xmlns:xsi="${XSI}" xsi:nil="true"/><sso:id xmlns:xsi="${XSI}" xsi:nil="true"/>`,
      ),
      /^id is given more than once/,
    );
  });

  test('nil in another namespace, or in none, is not xsi:nil', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text>t</sso:text><sso:id nil="true"/>'), /^id must not be empty/);
    assertInvalid(
      probe,
      operationElement('probe', '<sso:text>t</sso:text><sso:id xmlns:x="urn:other" x:nil="true"/>'),
      /^id must not be empty/,
    );
  });
});

describe('validateInput: section A of the catalog (docs/SECURITY.md)', () => {
  test('A9: __proto__, constructor and prototype elements are invalidParameter; no prototype changes', () => {
    const before = Object.getOwnPropertyNames(Object.prototype);
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
      assertInvalid(
        authenticate,
        operationElement('authenticate', `<sso:login>x</sso:login><sso:${name}><sso:polluted>yes</sso:polluted></sso:${name}>`),
        new RegExp(`Unknown element sso:${name}`),
      );
    }
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype), before);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('A9: a field named like a prototype member, if ever declared, is stored as plain data', () => {
    const odd = operationWith('odd', [{ name: '__proto__', type: 'string', doc: 'odd' }]);
    const input = validateInput(odd, operationElement('odd', '<sso:__proto__>value</sso:__proto__>'));
    assert.equal(Object.getPrototypeOf(input), null);
    assert.equal(Object.getOwnPropertyDescriptor(input, '__proto__')?.value, 'value');
  });

  test('A10: extra elements are invalidParameter', () => {
    assertInvalid(
      probe,
      operationElement('probe', '<sso:text>t</sso:text><sso:admin>1</sso:admin>'),
      /Unknown element sso:admin in sso:probe/,
    );
  });

  test('A10: a field of another namespace, or of none, is invalidParameter', () => {
    assertInvalid(
      probe,
      parseXml(`<sso:probe xmlns:sso="${SSO_NS}"><x:text xmlns:x="urn:x">t</x:text></sso:probe>`),
      /Unknown element text \(namespace urn:x\)/,
    );
    assertInvalid(
      probe,
      parseXml(`<sso:probe xmlns:sso="${SSO_NS}"><text>t</text></sso:probe>`),
      /Unknown element text \(namespace none\)/,
    );
  });

  test('A10: a field given twice is invalidParameter', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text>a</sso:text><sso:text>b</sso:text>'), /^text is given more than once/);
  });

  test('A10: a missing required field is invalidParameter', () => {
    assertInvalid(probe, operationElement('probe', '<sso:id>b0c1127f-bea4-4327-a032-3e8a79afcc6a</sso:id>'), /^text is required/);
  });

  test('A10: an empty required field is invalidParameter', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text/>'), /^text must not be empty/);
    assertInvalid(
      registerApplication,
      operationElement('registerApplication', '<sso:name></sso:name><sso:displayName/><sso:version/>'),
      /^name must not be empty/,
    );
  });

  test('A10: an empty optional field without allowEmpty is invalidParameter; with allowEmpty it is ""', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text>t</sso:text><sso:id/>'), /^id must not be empty/);
    assert.equal(validateInput(authenticate, operationElement('authenticate', '<sso:login>x</sso:login><sso:password/>')).password, '');
  });

  test('A10: over-long strings are invalidParameter (declared and default limits)', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text>t</sso:text><sso:short>abcd</sso:short>'), /^short is too long/);
    assertInvalid(probe, operationElement('probe', `<sso:text>${'x'.repeat(256)}</sso:text>`), /^text is too long/);
    assert.equal(validateInput(probe, operationElement('probe', `<sso:text>${'x'.repeat(255)}</sso:text>`)).text?.length, 255);
    assertInvalid(
      updateApplication,
      operationElement(
        'updateApplication',
        '<sso:applicationId>b0c1127f-bea4-4327-a032-3e8a79afcc6a</sso:applicationId><sso:certificate>x</sso:certificate>',
      ),
      /^certificate is too long/,
    );
  });

  test('A10: lengths count characters, not UTF-16 units', () => {
    assert.equal(validateInput(probe, operationElement('probe', '<sso:text>t</sso:text><sso:short>😀😀😀</sso:short>')).short, '😀😀😀');
    assertInvalid(probe, operationElement('probe', '<sso:text>t</sso:text><sso:short>😀😀😀😀</sso:short>'), /^short is too long/);
  });

  test('A10: a field holding elements, or an operation holding text, is invalidParameter', () => {
    assertInvalid(probe, operationElement('probe', '<sso:text><sso:inner/></sso:text>'), /^text must hold text only/);
    assertInvalid(probe, operationElement('probe', 'loose<sso:text>t</sso:text>'), /must hold elements, not text/);
  });

  test('A10: a Body element that is not this operation is invalidParameter', () => {
    assertInvalid(probe, operationElement('other', '<sso:text>t</sso:text>'), /not sso:probe/);
  });

  test('A10: a reason quotes at most a short piece of an unknown name', () => {
    const name = 'n'.repeat(250);
    assertInvalid(probe, operationElement('probe', `<sso:${name}/>`), /^Unknown element sso:n{60}\.\.\. in sso:probe\.$/);
  });
});
