// The test vectors at the end of docs/tickets.md: the key is the one of RFC 8037 appendix A.1, the
// kid its thumbprint, every JWS signs again byte for byte with jose (Ed25519 is deterministic), and
// verifies with the SDK and with PyJWT, a verifier written by others.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, CompactSign, importJWK, type CompactJWSHeaderParameters, type JWK } from 'jose';
import { localTicketKeys, verifyLogoutToken, verifyTicket } from '../../src/client/index.js';
import { TOOLS, skipWithout } from '../helpers/tools.js';

const DOC = fileURLToPath(new URL('../../../docs/tickets.md', import.meta.url));
const RFC_8037_D = 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A';
const RFC_8037_X = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';

/** The code blocks of each `###` subsection of "## Test vectors", by its title. */
function vectors(): Map<string, string[]> {
  const text = readFileSync(DOC, 'utf8');
  const section = text.slice(text.indexOf('\n## Test vectors'));
  const found = new Map<string, string[]>();
  for (const part of section.split('\n### ').slice(1)) {
    const title = part.slice(0, part.indexOf('\n')).trim();
    found.set(
      title,
      [...part.matchAll(/```[a-z]*\n([\s\S]*?)\n```/g)].map((match) => match[1] ?? ''),
    );
  }
  return found;
}

function blocks(title: string, count: number): string[] {
  const found = vectors().get(title);
  assert.equal(found?.length, count, `docs/tickets.md "Test vectors" has no "${title}" with ${count} code blocks`);
  return found;
}

interface Signed {
  readonly header: CompactJWSHeaderParameters;
  readonly claims: Record<string, unknown>;
  readonly jws: string;
}

function signed(title: string): Signed {
  const [header = '', claims = '', jws = ''] = blocks(title, 3);
  return {
    header: JSON.parse(header) as CompactJWSHeaderParameters,
    claims: JSON.parse(claims) as Record<string, unknown>,
    jws: jws.trim(),
  };
}

/** PyJWT decodes the token with the public key of the JWK: the claims it verified, as JSON. */
function pyjwt(token: string, jwk: JWK): Promise<Record<string, unknown>> {
  const script = [
    'import json, sys, jwt',
    'from jwt.algorithms import OKPAlgorithm',
    'key = OKPAlgorithm.from_jwk(sys.argv[2])',
    "claims = jwt.decode(sys.argv[1], key, algorithms=['EdDSA'], audience='example.de', issuer='https://sso.example.com:1180/relay', options={'verify_exp': False})",
    'print(json.dumps(claims))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', script, token, JSON.stringify(jwk)], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`PyJWT refused the token: ${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

describe('docs/tickets.md test vectors', () => {
  const [privateText = ''] = blocks('The key', 1);
  const [keySetText = ''] = blocks('The key set', 1);
  const privateJwk = JSON.parse(privateText) as JWK;
  const keySet = JSON.parse(keySetText) as { keys: JWK[] };
  const publicJwk = keySet.keys[0] ?? {};

  test('the key is RFC 8037 A.1, and the key set publishes its public half under its RFC 7638 thumbprint', async () => {
    assert.deepEqual(privateJwk, { kty: 'OKP', crv: 'Ed25519', d: RFC_8037_D, x: RFC_8037_X });
    const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC_8037_X });
    assert.deepEqual(keySet, { keys: [{ kty: 'OKP', crv: 'Ed25519', x: RFC_8037_X, kid, alg: 'EdDSA', use: 'sig' }] });
  });

  for (const title of ['A ticket', 'A logout token']) {
    test(`${title}: the JWS is its header and claims signed again with jose, byte for byte`, async () => {
      const { header, claims, jws } = signed(title);
      const key = await importJWK(privateJwk, 'EdDSA');
      const again = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader(header).sign(key);
      assert.equal(again, jws);
      assert.equal(header.kid, publicJwk.kid);
    });

    test(`${title}: PyJWT verifies it with the public key of the key set`, { skip: skipWithout([TOOLS.pyjwt]) }, async () => {
      const { claims, jws } = signed(title);
      assert.deepEqual(await pyjwt(jws, publicJwk), claims);
    });
  }

  test('verifyTicket accepts the ticket at its time, and verifyLogoutToken the logout token', async () => {
    const ticket = signed('A ticket');
    const logout = signed('A logout token');
    const options = { keys: localTicketKeys(keySet), issuer: 'https://sso.example.com:1180/relay', domain: 'example.de' };
    const user = await verifyTicket(ticket.jws, { ...options, now: () => ((ticket.claims.iat as number) + 60) * 1000 });
    assert.equal(user.login, 'alice');
    assert.equal(user.ticketId, ticket.claims.jti);
    const order = await verifyLogoutToken(logout.jws, { ...options, now: () => ((logout.claims.iat as number) + 1) * 1000 });
    assert.equal(order.sessionHandle, user.sessionHandle);
  });
});
