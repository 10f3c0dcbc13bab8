// The console's sessions page in headless Chromium (docs/admin-console.md "Sessions"): sessions of
// two users started through the SOAP API (one joined by a second application through the relay),
// the list filtered by user and by application as the administrator types, ending one session and
// all of a user's or of an application's after a confirmation with the count, checked through SOAP
// verifySession and `ssod sessions`; refusals (no CSRF token, no confirmation, a filter too long).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleRequest, csrfOf } from '../../helpers/adminConsole.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import {
  BILLING,
  PANEL,
  consoleCookie,
  isLive,
  joinThroughRelay,
  listedSessions,
  seedSessions,
  signIn,
  type SessionFixture,
} from '../../helpers/consoleSessions.js';
import { ifAssigned } from '../../helpers/defined.js';

describe('the console sessions page in a real browser', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let console: ConsoleInBrowser;
  let fixture: SessionFixture;
  /** alice's sessions: one joined billing through the relay, one on the panel, one on billing; bob's: panel, billing. */
  const alice: string[] = [];
  const bob: string[] = [];

  before(async () => {
    console = await openConsoleInBrowser();
    fixture = await seedSessions(console.ts, ['alice', 'bob']);
    const joined = await signIn(console.ts, 'alice', PANEL);
    alice.push(joined.sessionId, await joinThroughRelay(console.ts, joined, PANEL, BILLING));
    alice.push((await signIn(console.ts, 'alice', PANEL)).sessionId, (await signIn(console.ts, 'alice', BILLING)).sessionId);
    bob.push((await signIn(console.ts, 'bob', PANEL)).sessionId, (await signIn(console.ts, 'bob', BILLING)).sessionId);
  });

  after(async () => {
    await ifAssigned(console)?.close();
  });

  const main = () => console.page.locator('main').innerText();
  const rows = () => console.page.locator('#session-list tbody tr');

  test('the list shows every live session with its user, times and applications; filtering by user and application narrows it as one types', async () => {
    await console.visit('/sessions');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Sessions');
    assert.match(await main(), /5 live sessions\./);
    assert.equal(await rows().count(), 5);
    const joined = console.page.locator('#session-list tbody tr', { hasText: 'billing, panel' });
    assert.match(await joined.innerText(), /alice/, 'the session that reached both applications lists both');
    await console.shot('console-sessions-list');

    await console.page.fill('#field-user', 'alice');
    await console.page.locator('#session-list', { hasText: '3 live sessions of alice.' }).waitFor();
    assert.equal(await rows().count(), 3);
    assert.match(console.page.url(), /\/sessions\?user=alice/, 'the address follows the filter');
    await console.page.selectOption('#field-application', fixture.billing.id);
    await console.page.locator('#session-list', { hasText: '2 live sessions of alice that reached billing.' }).waitFor();
    assert.equal(await rows().count(), 2);
    await console.shot('console-sessions-filtered');

    // Without script: the form's button sends the same GET.
    await console.visit('/sessions');
    await console.page.fill('#field-user', 'bob');
    await console.clickAndWait('form[role=search] button[type=submit]');
    assert.match(await main(), /2 live sessions of bob\./);
    await console.visit('/sessions?user=nobody');
    assert.match(await main(), /No user has the login or id "nobody"\./);

    assert.deepEqual(await console.seriousViolations('/sessions'), []);
    assert.deepEqual(await console.seriousViolations(`/sessions?user=alice&application=${fixture.billing.id}`), []);
    const phone = await console.atPhoneWidth('/sessions', 'console-sessions-phone');
    assert.ok(phone.fits, `the sessions page is ${phone.scrollWidth} px wide at a phone's width`);
  });

  test('ending one session asks first; confirmed, verifySession fails and `ssod sessions` no longer lists it', async () => {
    const [target] = await listedSessions(console, ['--user', 'bob', '--application', fixture.panel.id]);
    const id = target?.id ?? assert.fail('no session of bob on the panel');
    await console.visit('/sessions?user=bob');
    await console.clickAndWait(`button[aria-label="End session ${id}"]`);
    assert.equal(await console.page.locator('h1').innerText(), 'End a session');
    assert.match(
      await main(),
      new RegExp(`End session ${id} of bob\\?[\\s\\S]*bob is signed out of 1 application of this session: ${PANEL}`),
    );
    assert.deepEqual(await console.seriousViolations('/sessions'), []);
    await console.shot('console-sessions-confirm');
    assert.ok(await isLive(console.ts, bob[0] ?? ''), 'nothing ended before the confirmation');

    await console.clickAndWait('.confirm a');
    assert.ok(await isLive(console.ts, bob[0] ?? ''), 'Cancel ends nothing');
    await console.clickAndWait(`button[aria-label="End session ${id}"]`);
    await console.clickAndWait('.confirm button[type=submit]');
    assert.match(console.page.url(), /\/sessions\?user=bob&done=ended$/);
    assert.match(await console.page.locator('.notice').innerText(), /The session was ended/);
    assert.match(await main(), /1 live session of bob\./);
    assert.equal(await isLive(console.ts, bob[0] ?? ''), false, 'verifySession of the ended session fails');
    assert.ok(await isLive(console.ts, bob[1] ?? ''), "bob's other session is live");
    assert.ok(!(await listedSessions(console)).some((session) => session.id === id), '`ssod sessions` no longer lists it');
  });

  test("ending all of a user's sessions names the count first; confirmed, every one of them ends", async () => {
    await console.visit('/sessions?user=alice');
    await console.clickAndWait('#session-list form.actions button');
    assert.match(await main(), /End 3 live sessions of alice\?/);
    await console.shot('console-sessions-confirm-all');
    for (const sessionId of alice) assert.ok(await isLive(console.ts, sessionId));
    await console.clickAndWait('.confirm button[type=submit]');
    assert.match(await console.page.locator('.notice').innerText(), /The sessions were ended/);
    assert.match(await main(), /No live session matches/);
    for (const sessionId of alice) assert.equal(await isLive(console.ts, sessionId), false, `${sessionId} ended`);
    assert.deepEqual(await listedSessions(console, ['--user', 'alice']), []);
  });

  test('ending all sessions that reached an application ends those and leaves the others', async () => {
    const onPanel = (await signIn(console.ts, 'alice', PANEL)).sessionId;
    const onBilling = (await signIn(console.ts, 'alice', BILLING)).sessionId;
    await console.visit(`/sessions?application=${fixture.billing.id}`);
    assert.match(await main(), /2 live sessions that reached billing\./);
    await console.clickAndWait('#session-list form.actions button');
    assert.match(await main(), /End 2 live sessions that reached billing\?/);
    await console.clickAndWait('.confirm button[type=submit]');
    assert.equal(await isLive(console.ts, onBilling), false);
    assert.equal(await isLive(console.ts, bob[1] ?? ''), false);
    assert.ok(await isLive(console.ts, onPanel), 'a session that never reached billing is live');
    assert.deepEqual(await listedSessions(console, ['--application', fixture.billing.id]), []);
  });

  test('over HTTP: a POST without the CSRF token is 403 and one not confirmed is the confirmation; neither ends the session', async () => {
    const sessionId = (await signIn(console.ts, 'bob', PANEL)).sessionId;
    const [listed] = await listedSessions(console, ['--user', 'bob']);
    const id = listed?.id ?? assert.fail('no session of bob');
    const cookie = await consoleCookie(console);
    const headers = { Origin: console.origin, 'Sec-Fetch-Site': 'same-origin' };
    const noToken = await consoleRequest(console.ts, '/sessions/end', { cookie, headers, form: { session: id, confirm: 'yes' } });
    assert.equal(noToken.status, 403);
    const csrf = csrfOf(await consoleRequest(console.ts, '/sessions', { cookie }));
    const unconfirmed = await consoleRequest(console.ts, '/sessions/end-all', { cookie, headers, form: { csrf, user: 'bob' } });
    assert.equal(unconfirmed.status, 200);
    assert.match(unconfirmed.body, /End 1 live session of bob\?/);
    const everything = await consoleRequest(console.ts, '/sessions/end-all', { cookie, headers, form: { csrf, confirm: 'yes' } });
    assert.equal(everything.status, 400, 'no filter: the page does not end every session at once');
    assert.ok(await isLive(console.ts, sessionId), 'nothing ended');
    assert.equal((await listedSessions(console, ['--user', 'bob'])).length, 1);
  });

  test('I67: a filter of 10 000 characters, an unknown application or a bad page size is a 400 page that says why', async () => {
    const cookie = await consoleCookie(console);
    const long = await consoleRequest(console.ts, `/sessions?user=${'a'.repeat(10_000)}`, { cookie });
    assert.equal(long.status, 400);
    assert.match(long.body, /The user is longer than 256 characters\./);
    const unknown = await consoleRequest(console.ts, '/sessions?application=no-such-application', { cookie });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /No application is registered with this id\./);
    const size = await consoleRequest(console.ts, '/sessions?limit=-1', { cookie });
    assert.equal(size.status, 400);
    assert.match(size.body, /must be a whole number from 1 to 10000/);
    assert.deepEqual(console.cspViolations, []);
  });
});
