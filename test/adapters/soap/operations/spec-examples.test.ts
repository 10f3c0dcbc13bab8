// the protocol's own request examples (test/vectors/protocol) are test vectors: each is sent as written, with
// the example's ids replaced by ids of a real run, in an order that makes each one meaningful.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startInProcess, type InProcessServer } from '../../../helpers/inProcess.js';
import { call, postSoap, readSoap, registerApp, splitPem, type Credentials, type SoapReply } from '../../../helpers/server.js';

const VECTORS = fileURLToPath(new URL('../../../../../test/vectors/protocol/', import.meta.url));
const EXAMPLE_APP = 'b0c1127f-bea4-4327-a032-3e8a79afcc6a';
const EXAMPLE_OTHER_APP = '71f612fb-c435-4108-8ef5-1eea2123b158';
const EXAMPLE_USER = '68847ced-57b4-4a50-a648-57f60b316900';
const EXAMPLE_SESSION = 'https://plesk.example.com:8443/FE00000001A734BB';

describe('protocol §5 request examples', () => {
  let ts: InProcessServer;
  const ids = new Map<string, string>();
  let plesk: Credentials;
  before(async () => {
    ts = await startInProcess();
  });
  after(() => ts.close());

  const send = async (file: string, credentials?: Credentials): Promise<SoapReply> => {
    let xml = readFileSync(VECTORS + file, 'utf8');
    for (const [example, real] of ids) xml = xml.replaceAll(example, real);
    return readSoap(await postSoap(ts, xml, credentials ? { credentials } : {}));
  };

  test('the whole API, driven by the examples', async () => {
    const registered = await send('01-registerApplication.xml');
    assert.equal(registered.status, 200, registered.body);
    ids.set(EXAMPLE_APP, registered.field('applicationId') ?? '');
    plesk = splitPem(registered.field('certificate') ?? '');
    ids.set(EXAMPLE_OTHER_APP, (await registerApp(ts, 'https://billing.example.com:443/', 'billing')).id);

    const created = await send('06-createUser.xml', plesk);
    assert.equal(created.status, 200, created.body);
    const userId = created.field('userId') ?? '';
    ids.set(EXAMPLE_USER, userId);

    assert.equal((await send('08-getUser.xml', plesk)).field('login'), 'user@example.com');
    assert.equal((await send('09-getUserId.xml', plesk)).field('userId'), userId);
    assert.deepEqual((await send('10-listUsers.xml', plesk)).all('a'), [userId]);
    assert.ok((await send('03-listApplications.xml')).all('a').includes(ids.get(EXAMPLE_APP) ?? ''));
    const app = await send('04-getApplication.xml');
    assert.equal(app.field('displayName'), 'Plesk for Unix');
    assert.equal(app.field('changePasswordUrl'), 'https://plesk.example.com:8443/plesk/$uid/change_password/');

    // The example's oldPassword 'abcdef' is not the password created from the sha1 digest.
    assert.equal((await send('13-changePassword.xml', plesk)).fault, 'invalidCredentials');
    assert.equal(
      (await send('14-getChangePasswordUrl.xml', plesk)).field('url'),
      `https://plesk.example.com:8443/plesk/${userId}/change_password/`,
    );
    assert.equal(
      (await send('15-getRestorePasswordUrl.xml', plesk)).field('url'),
      `https://plesk.example.com:8443/plesk/${userId}/restore_password/`,
    );

    // Give the user the example's password so that the authenticate example signs in.
    assert.equal((await call(ts, 'changePassword', { userId, newPassword: 'l2345' }, { credentials: plesk })).status, 200);
    const signedIn = await send('17-authenticate.xml');
    assert.equal(signedIn.status, 200, signedIn.body);
    assert.ok(signedIn.field('sessionId')?.startsWith('https://plesk.example.com:8443/'));
    ids.set(EXAMPLE_SESSION, signedIn.field('sessionId') ?? '');
    assert.equal((await send('18-verifySession.xml')).field('userId'), userId);
    assert.equal((await send('19-closeSession.xml')).status, 200);
    assert.equal((await send('18-verifySession.xml')).fault, 'noSuchSession');

    assert.equal((await send('11-changeLogin.xml', plesk)).status, 200);
    const clone = await send('12-duplicateUser.xml', plesk);
    assert.notEqual(clone.field('userId'), userId);
    assert.equal((await send('16-transferOwnership.xml', plesk)).status, 200);
    assert.equal((await send('07-deleteUser.xml', plesk)).fault, 'permissionDenied', 'plesk no longer owns the user');

    const settings = await send('20-getSettings.xml');
    assert.equal(settings.field('usersSessionsTimeout'), '6000');

    const updated = await send('02-updateApplication.xml', plesk);
    assert.equal(updated.status, 200, updated.body);
    const fresh = splitPem(updated.field('certificate') ?? '');
    assert.equal((await send('04-getApplication.xml')).field('version'), '8.2.1');
    assert.equal((await send('05-unregisterApplication.xml', fresh)).status, 200);
    assert.equal((await send('04-getApplication.xml')).fault, 'noSuchApplication');
  });
});
