// Session variables (docs/groups.md "Session variables") over real TLS: the ssox operations that
// declare, read and write them, the read and write rules between applications, the version rule,
// the limits, and ssox:verifySession with firstVisit and the readable variables.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findApplication } from '../../../../src/core/applications.js';
import { addGroupMember, createGroup } from '../../../../src/core/operator/groups.js';
import {
  call,
  registerApp,
  relayGet,
  SSOX_NS,
  startTestServer,
  type RegisteredApp,
  type SoapReply,
  type TestServer,
} from '../../../helpers/server.js';

const PANEL = 'https://panel.example.com:8443/';
const BILLING = 'https://billing.example.com:443/';
const SHOP = 'https://shop.example.com:443/';
const NO_SUCH_APP = '00000000-0000-4000-8000-00000000abcd';

type Fields = Readonly<Record<string, string | undefined>>;

describe('session variables', () => {
  let ts: TestServer;
  let panel: RegisteredApp;
  let billing: RegisteredApp;
  let shop: RegisteredApp;
  let userId: string;

  const ssox = (app: RegisteredApp | null, name: string, fields: Fields = {}): Promise<SoapReply> =>
    call(ts, name, fields, { namespace: SSOX_NS, ...(app === null ? {} : { credentials: app.credentials }) });

  const declare = async (
    app: RegisteredApp,
    name: string,
    options: Partial<Record<'defaultValue' | 'maxLength' | 'readable' | 'writable', string>> = {},
  ) => {
    const reply = await ssox(app, 'declareSessionVariable', {
      name,
      defaultValue: '',
      maxLength: '100',
      readable: 'false',
      writable: 'false',
      ...options,
    });
    return reply;
  };
  const declared = async (...args: Parameters<typeof declare>) => {
    const reply = await declare(...args);
    assert.equal(reply.status, 200, reply.body);
  };

  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  /** A new global session: panel's local session id (it signed in), billing's and shop's (through the relay). */
  const signIn = async (): Promise<{ panel: string; billing: string; shop: string }> => {
    const reply = await call(ts, 'authenticate', { login: 'alice', password: 'wonderland', baseUrl: PANEL });
    const token = reply.field('relayToken') ?? '';
    const cookie = ((await relayGet(ts, q({ token, url: PANEL }))).headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
    const sessionFor = async (url: string) =>
      new URL((await relayGet(ts, q({ url }), cookie)).headers.location ?? '').searchParams.get('ssosid') ?? '';
    return { panel: reply.field('sessionId') ?? '', billing: await sessionFor(BILLING), shop: await sessionFor(SHOP) };
  };

  const get = (app: RegisteredApp, sessionId: string, name: string, owner?: string) =>
    ssox(app, 'getSessionVariable', { sessionId, owner, name });
  const set = (app: RegisteredApp, sessionId: string, name: string, value: string, version: string, owner?: string) =>
    ssox(app, 'setSessionVariable', { sessionId, owner, name, value, version });

  before(async () => {
    ts = await startTestServer({ argon2MemoryKib: 8192, argon2Iterations: 1 });
    panel = await registerApp(ts, PANEL, 'panel');
    billing = await registerApp(ts, BILLING, 'billing');
    shop = await registerApp(ts, SHOP, 'shop');
    userId =
      (await call(ts, 'createUser', { login: 'alice', password: 'wonderland' }, { credentials: panel.credentials })).field('userId') ?? '';
    await declared(panel, 'theme', { defaultValue: 'light', readable: 'true' });
    await declared(panel, 'secret', { defaultValue: 'hidden' });
    await declared(panel, 'cart', { defaultValue: '[]', maxLength: '4096', writable: 'true' });
  });
  after(() => ts.close());

  test('variables: declare, list (own only), replace and remove; writable implies readable', async () => {
    await declared(shop, 'b.one', { defaultValue: 'x', maxLength: '5', writable: '1' });
    await declared(shop, 'a_two', { defaultValue: 'y', maxLength: '7' });
    await declared(shop, 'a_two', { defaultValue: 'z', maxLength: '9', readable: 'true' });
    const list = await ssox(shop, 'listSessionVariableDeclarations');
    assert.equal(list.status, 200, list.body);
    assert.deepEqual(list.all('name'), ['a_two', 'b.one']);
    assert.deepEqual(list.all('defaultValue'), ['z', 'x']);
    assert.deepEqual(list.all('maxLength'), ['9', '5']);
    assert.deepEqual(list.all('readable'), ['true', 'true']);
    assert.deepEqual(list.all('writable'), ['false', 'true']);
    assert.equal((await ssox(shop, 'removeSessionVariable', { name: 'a_two' })).status, 200);
    assert.equal((await ssox(shop, 'removeSessionVariable', { name: 'a_two' })).fault, 'invalidParameter');
    assert.deepEqual((await ssox(shop, 'listSessionVariableDeclarations')).all('name'), ['b.one']);
    assert.equal((await ssox(null, 'listSessionVariableDeclarations')).fault, 'permissionDenied');
  });

  test('variables: the limits of a declaration are invalidParameter naming the limit', async () => {
    const limit = async (reply: Promise<SoapReply>, pattern: RegExp) => {
      const answered = await reply;
      assert.equal(answered.fault, 'invalidParameter', answered.body);
      assert.match(answered.field('Text') ?? answered.body, pattern);
    };
    await limit(declare(billing, 'bad name'), /1 to 64 characters/);
    await limit(declare(billing, 'x'.repeat(65)), /too long|1 to 64/);
    await limit(declare(billing, 'zero', { maxLength: '0' }), /maxLength: 1 to 4096/);
    await limit(declare(billing, 'big', { maxLength: '4097' }), /maxLength: 1 to 4096/);
    await limit(declare(billing, 'neg', { maxLength: '-1' }), /maxLength/);
    await limit(declare(billing, 'flag', { readable: 'yes' }), /readable must be true or false/);
    await limit(declare(billing, 'long', { defaultValue: 'abcdef', maxLength: '5' }), /defaultValue: longer than the maxLength/);
    for (let i = 0; i < 32; i += 1) await declared(billing, `v${String(i)}`);
    await limit(declare(billing, 'v32'), /at most 32 session variables/);
    await declared(billing, 'v31', { defaultValue: 'replacing is no 33rd' });
    for (let i = 0; i < 32; i += 1) assert.equal((await ssox(billing, 'removeSessionVariable', { name: `v${String(i)}` })).status, 200);
  });

  test('variables: an unpublished variable is permissionDenied to others', async () => {
    const session = await signIn();
    assert.equal((await get(billing, session.billing, 'secret', panel.id)).fault, 'permissionDenied');
    assert.equal((await set(billing, session.billing, 'secret', 'x', '0', panel.id)).fault, 'permissionDenied');
    // Readable is not writable.
    const theme = await get(billing, session.billing, 'theme', panel.id);
    assert.deepEqual([theme.field('value'), theme.field('version')], ['light', '0']);
    assert.equal((await set(billing, session.billing, 'theme', 'dark', '0', panel.id)).fault, 'permissionDenied');
    // Writable: another application writes it, the owner reads what it wrote.
    assert.equal((await set(billing, session.billing, 'cart', '["book"]', '0', panel.id)).field('version'), '1');
    const cart = await get(panel, session.panel, 'cart');
    assert.deepEqual([cart.field('value'), cart.field('version')], ['["book"]', '1']);
    // The owner always reads and writes its own, by its id or by an empty owner.
    assert.equal((await get(panel, session.panel, 'secret', panel.id)).field('value'), 'hidden');
    assert.equal((await set(panel, session.panel, 'secret', 'kept', '0', '')).field('version'), '1');
    // What is not declared, or an owner that is no application, is invalidParameter.
    assert.equal((await get(billing, session.billing, 'nothing', panel.id)).fault, 'invalidParameter');
    assert.equal((await get(billing, session.billing, 'theme', NO_SUCH_APP)).fault, 'invalidParameter');
    assert.equal((await get(billing, session.billing, 'theme')).fault, 'invalidParameter', 'billing declared no theme of its own');
  });

  test('variables: a session the caller may not verify is noSuchSession, and a guest is permissionDenied', async () => {
    const session = await signIn();
    // billing may not verify panel's local session (case F37), so it may not touch its variables through it.
    assert.equal((await get(billing, session.panel, 'theme', panel.id)).fault, 'noSuchSession');
    assert.equal((await set(billing, session.panel, 'cart', 'x', '0', panel.id)).fault, 'noSuchSession');
    assert.equal((await get(panel, `${PANEL}00`, 'theme')).fault, 'noSuchSession');
    assert.equal((await ssox(null, 'getSessionVariable', { sessionId: session.panel, name: 'theme' })).fault, 'permissionDenied');
    assert.equal((await ssox(null, 'verifySession', { sessionId: session.panel })).fault, 'permissionDenied');
    await call(ts, 'closeSession', { sessionId: session.panel });
    assert.equal((await get(panel, session.panel, 'theme')).fault, 'noSuchSession');
    assert.equal((await ssox(panel, 'verifySession', { sessionId: session.panel })).fault, 'noSuchSession');
  });

  test('variables: a lost update is refused with the version rule', async () => {
    const session = await signIn();
    // Both read version 0; the first write wins, the second names a version that is gone.
    assert.equal((await get(panel, session.panel, 'cart')).field('version'), '0');
    assert.equal((await set(billing, session.billing, 'cart', '["from billing"]', '0', panel.id)).field('version'), '1');
    const lost = await set(panel, session.panel, 'cart', '["from panel"]', '0');
    assert.equal(lost.fault, 'invalidParameter');
    assert.match(lost.body, /version: cart is at version 1, not 0/);
    assert.equal((await get(panel, session.panel, 'cart')).field('value'), '["from billing"]');
    // Read again, retry: accepted.
    assert.equal((await set(panel, session.panel, 'cart', '["both"]', '1')).field('version'), '2');
    // Racing writers with the same version: exactly one is accepted.
    const racing = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        set(i % 2 === 0 ? panel : billing, i % 2 === 0 ? session.panel : session.billing, 'cart', `w${String(i)}`, '2', panel.id),
      ),
    );
    assert.equal(racing.filter((reply) => reply.status === 200).length, 1, racing.map((reply) => reply.fault ?? 'ok').join());
    assert.ok(racing.every((reply) => reply.status === 200 || reply.fault === 'invalidParameter'));
    assert.equal((await get(panel, session.panel, 'cart')).field('version'), '3');
  });

  test('variables: a value over maxLength and a session over 64 KiB are invalidParameter naming the limit', async () => {
    const session = await signIn();
    await declared(shop, 'big1', { maxLength: '4096' });
    const overLength = await set(panel, session.panel, 'theme', 'x'.repeat(101), '0');
    assert.equal(overLength.fault, 'invalidParameter');
    assert.match(overLength.body, /value: longer than the maxLength of theme, 100 characters/);
    // 4096 characters of 4 bytes each: 16 KiB a value, so the fourth one reaches 64 KiB and the fifth is over.
    const wide = '😀'.repeat(4096);
    assert.equal((await set(panel, session.panel, 'cart', wide, '0')).status, 200);
    for (let i = 0; i < 3; i += 1) await declared(shop, `big${String(i + 2)}`, { maxLength: '4096' });
    assert.equal((await set(shop, session.shop, 'big1', wide, '0')).status, 200);
    assert.equal((await set(shop, session.shop, 'big2', wide, '0')).status, 200);
    assert.equal((await set(shop, session.shop, 'big3', wide, '0')).status, 200);
    const over = await set(shop, session.shop, 'big4', 'x', '0');
    assert.equal(over.fault, 'invalidParameter');
    assert.match(over.body, /at most 64 KiB/);
    // Making room: a shorter value fits again.
    assert.equal((await set(shop, session.shop, 'big3', '', '1')).status, 200);
    assert.equal((await set(shop, session.shop, 'big4', 'x', '0')).status, 200);
    for (const name of ['big1', 'big2', 'big3', 'big4']) await ssox(shop, 'removeSessionVariable', { name });
  });

  test('variables: ssox:verifySession answers the user, firstVisit true once, and the readable variables with defaults', async () => {
    const session = await signIn();
    await set(panel, session.panel, 'secret', 'panel only', '0');
    await set(billing, session.billing, 'cart', '["x"]', '0', panel.id);
    const first = await ssox(billing, 'verifySession', { sessionId: session.billing });
    assert.equal(first.status, 200, first.body);
    assert.equal(first.field('userId'), userId);
    assert.equal(first.field('firstVisit'), 'true');
    const variables = (reply: SoapReply) =>
      reply.all('variable').map((text) => {
        const field = (name: string) => new RegExp(`<ssox:${name}>([^<]*)</ssox:${name}>`).exec(text)?.[1];
        return [field('owner'), field('name'), field('value'), field('version')].join(' ');
      });
    // billing sees panel's readable (theme, default) and writable (cart) ones, never the secret; and shop's published one.
    assert.ok(variables(first).includes(`${shop.id} b.one x 0`));
    assert.deepEqual(
      variables(first).filter((line) => line.startsWith(panel.id)),
      [`${panel.id} cart ["x"] 1`, `${panel.id} theme light 0`],
    );
    const second = await ssox(billing, 'verifySession', { sessionId: session.billing });
    assert.equal(second.field('firstVisit'), 'false');
    // The owner sees its own, unpublished ones included; its first visit is its own.
    const own = await ssox(panel, 'verifySession', { sessionId: session.panel });
    assert.equal(own.field('firstVisit'), 'true');
    assert.deepEqual(
      variables(own).filter((line) => line.startsWith(panel.id)),
      [`${panel.id} cart ["x"] 1`, `${panel.id} secret panel only 1`, `${panel.id} theme light 0`],
    );
    // sso:verifySession is unchanged, and does not count as a visit of ssox:verifySession.
    const shopPlain = await call(ts, 'verifySession', { sessionId: session.shop }, { credentials: shop.credentials });
    assert.equal(shopPlain.field('userId'), userId);
    assert.equal((await ssox(shop, 'verifySession', { sessionId: session.shop })).field('firstVisit'), 'true');
    // The same rule as verifySession: another application's local session is none of the caller's.
    assert.equal((await ssox(billing, 'verifySession', { sessionId: session.panel })).fault, 'noSuchSession');
  });

  test('variables: removing a declaration drops its values; declared again it holds its default', async () => {
    const session = await signIn();
    await declared(billing, 'step', { defaultValue: 'start', readable: 'true' });
    assert.equal((await set(billing, session.billing, 'step', 'paid', '0')).field('version'), '1');
    assert.equal((await ssox(billing, 'removeSessionVariable', { name: 'step' })).status, 200);
    assert.equal((await get(panel, session.panel, 'step', billing.id)).fault, 'invalidParameter');
    await declared(billing, 'step', { defaultValue: 'again', readable: 'true' });
    const read = await get(panel, session.panel, 'step', billing.id);
    assert.deepEqual([read.field('value'), read.field('version')], ['again', '0']);
  });

  test("variables: in a group's session only the group's variables exist; an owner outside the set is invalidParameter", async () => {
    const crm = await registerApp(ts, 'https://crm.example.com:443/', 'crm');
    const erp = await registerApp(ts, 'https://erp.example.com:443/', 'erp');
    const services = ts.server.services;
    await createGroup(services, 'office', await findApplication(services, crm.id));
    await addGroupMember(services, 'office', await findApplication(services, erp.id));
    await declared(crm, 'locale', { defaultValue: 'de', readable: 'true' });
    await call(ts, 'createUser', { login: 'bob', password: 'builder' }, { credentials: crm.credentials });
    const reply = await call(ts, 'authenticate', { login: 'bob', password: 'builder', baseUrl: crm.url }, { credentials: crm.credentials });
    const token = reply.field('relayToken') ?? '';
    const cookie = ((await relayGet(ts, q({ token, url: crm.url }))).headers['set-cookie']?.[0] ?? '').split(';', 1)[0] ?? '';
    const erpSession = new URL((await relayGet(ts, q({ url: erp.url }), cookie)).headers.location ?? '').searchParams.get('ssosid') ?? '';
    assert.ok(erpSession.startsWith(erp.url), erpSession);
    const verified = await ssox(erp, 'verifySession', { sessionId: erpSession });
    assert.equal(verified.status, 200, verified.body);
    assert.deepEqual(verified.all('owner'), [crm.id], 'panel and shop publish variables, but not in this set');
    assert.equal((await get(erp, erpSession, 'locale', crm.id)).field('value'), 'de');
    const outside = await get(erp, erpSession, 'theme', panel.id);
    assert.equal(outside.fault, 'invalidParameter');
    assert.match(outside.body, /not a member of the session's set/);
  });
});
