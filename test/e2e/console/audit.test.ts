// The console's audit trail page in headless Chromium (docs/admin-console.md "Audit trail"): the
// session.ended records of sessions ended in the console name admin:root; filtering by type, actor,
// target and time narrows the list as `ssod audit` does; "Older records" pages back; records with
// markup and control characters are shown escaped; a malformed or overlong filter is a 400 page.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleRequest } from '../../helpers/adminConsole.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { BILLING, PANEL, consoleCookie, seedSessions, signIn } from '../../helpers/consoleSessions.js';
import { defined, ifAssigned } from '../../helpers/defined.js';

interface CliRecord {
  readonly type: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
}

/** Records at fixed times of 2020, for the time filters. */
const OLD_TIMES = ['2020-01-01T10:00:00Z', '2020-01-01T12:00:00Z', '2020-01-02T10:00:00Z'];

describe('the console audit trail page in a real browser', { skip: skipWithoutChromium, timeout: 240_000 }, () => {
  let console: ConsoleInBrowser;
  let aliceId: string;

  before(async () => {
    console = await openConsoleInBrowser();
    const { users } = await seedSessions(console.ts, ['alice', 'bob']);
    aliceId = users.get('alice') ?? '';
    for (const at of OLD_TIMES)
      await console.ts.server.services.store.appendAudit({
        at: Date.parse(at),
        type: 'lock.cleared',
        actor: 'operator',
        target: 'login:old',
        outcome: 'ok',
        detail: {},
      });
    await signIn(console.ts, 'alice', PANEL);
    await signIn(console.ts, 'bob', PANEL);
    await signIn(console.ts, 'bob', BILLING);
    // Ended in the console: one session of alice, then every session of bob.
    await console.visit('/sessions?user=alice');
    await console.clickAndWait('#session-list tbody button');
    await console.clickAndWait('.confirm button[type=submit]');
    await console.visit('/sessions?user=bob');
    await console.clickAndWait('#session-list form.actions button');
    await console.clickAndWait('.confirm button[type=submit]');
  });

  after(async () => {
    await ifAssigned(console)?.close();
  });

  async function cliAudit(args: readonly string[]): Promise<CliRecord[]> {
    const result = await console.cli(['audit', ...args, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as CliRecord[];
  }

  /** The rows shown, as the CLI's records. */
  async function shownRecords(): Promise<CliRecord[]> {
    const rows = console.page.locator('#audit-list tbody tr');
    const shown: CliRecord[] = [];
    for (let i = 0; i < (await rows.count()); i++) {
      const cells = await rows.nth(i).locator('td').allInnerTexts();
      // The details are under the type, on a line of their own.
      shown.push({ type: (cells[1] ?? '').split('\n')[0] ?? '', actor: cells[2] ?? '', target: cells[3] ?? '', outcome: cells[4] ?? '' });
    }
    return shown;
  }

  const fields = ({ type, actor, target, outcome }: CliRecord): CliRecord => ({ type, actor, target, outcome });

  test('the sessions ended in the console are session.ended records by admin:root; the type filter shows what `ssod audit --type` shows', async () => {
    await console.visit('/audit');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Audit trail');
    const newest = await shownRecords();
    assert.deepEqual(
      newest.slice(0, 2).map((record) => [record.type, record.actor]),
      [
        ['session.ended', 'admin:root'],
        ['session.ended', 'admin:root'],
      ],
    );
    assert.match(await console.page.locator('#audit-list').innerText(), /reason=endUserSessions sessions=2/);
    await console.shot('console-audit-list');

    await console.page.selectOption('#field-type', 'session.ended');
    await console.clickAndWait('form[role=search] button[type=submit]');
    const ended = await shownRecords();
    assert.deepEqual(ended, (await cliAudit(['--type', 'session.ended'])).map(fields));
    assert.equal(ended.length, 2);
    assert.ok(ended.every((record) => record.actor === 'admin:root'));
    assert.deepEqual(await console.seriousViolations('/audit?type=session.ended'), []);
    const phone = await console.atPhoneWidth('/audit', 'console-audit-phone');
    assert.ok(phone.fits, `the audit page is ${phone.scrollWidth} px wide at a phone's width`);
  });

  test('the actor and target filters narrow the list as one types, as `ssod audit --actor` and `--target` do', async () => {
    await console.visit('/audit');
    await console.page.fill('#field-actor', 'admin:root');
    await console.page.waitForURL(/actor=admin%3Aroot/);
    const byAdmin = await cliAudit(['--actor', 'admin:root']);
    assert.deepEqual(await shownRecords(), byAdmin.map(fields));
    assert.deepEqual(
      byAdmin.map((record) => record.type),
      ['session.ended', 'session.ended', 'admin.signedIn'],
    );
    await console.page.fill('#field-actor', '');
    await console.page.fill('#field-target', 'alice');
    await console.page.waitForURL(/target=alice/);
    await console.page.locator('#audit-list', { hasText: 'authentication.succeeded' }).waitFor();
    const aboutAlice = await cliAudit(['--target', `user:${aliceId}`]);
    assert.deepEqual(await shownRecords(), aboutAlice.map(fields), "a user's login stands for user:ID");
    await console.shot('console-audit-filtered');
  });

  test('since and until (UTC) narrow the list to the records of that time, as `ssod audit --since --until` does', async () => {
    await console.visit('/audit');
    await console.page.fill('#field-since', '2020-01-01T11:00:00');
    await console.page.fill('#field-until', '2020-01-02T00:00:00');
    await console.clickAndWait('form[role=search] button[type=submit]');
    const between = await shownRecords();
    assert.deepEqual(between, (await cliAudit(['--since', '2020-01-01T11:00:00Z', '--until', '2020-01-02T00:00:00Z'])).map(fields));
    assert.equal(between.length, 1);
    assert.match(await console.page.locator('#audit-list').innerText(), /2020-01-01 12:00:00Z/);
    await console.visit('/audit?since=2020-01-01T11%3A00');
    assert.deepEqual(await shownRecords(), (await cliAudit(['--since', '2020-01-01T11:00:00Z'])).map(fields));
    assert.equal((await shownRecords()).length, (await cliAudit([])).length - 1, 'all but the oldest');
  });

  test('"Older records" shows the page before, as `ssod audit --limit` lists them; "Newest records" goes back', async () => {
    const firstSix = (await cliAudit(['--limit', '6'])).map(fields);
    await console.visit('/audit?limit=3');
    assert.deepEqual(await shownRecords(), firstSix.slice(0, 3));
    await console.clickAndWait('text=Older records');
    assert.match(console.page.url(), /limit=3&before=\d+$/);
    assert.deepEqual(await shownRecords(), firstSix.slice(3, 6));
    await console.clickAndWait('text=Newest records');
    assert.deepEqual(await shownRecords(), firstSix.slice(0, 3));
  });

  test('I66: a record holding markup, a newline and a right-to-left override is shown escaped, every character visible', async () => {
    await console.ts.server.services.store.appendAudit({
      at: Date.now(),
      type: 'lock.set',
      actor: 'guest',
      target: 'login:<img src=x onerror=alert(1)>',
      outcome: '<b>bold</b>',
      detail: { login: '<script>alert(1)</script>', note: 'a\u202eb\nc' },
    });
    await console.visit('/audit?type=lock.set');
    const record = defined((await shownRecords())[0], 'the lock.set record');
    assert.equal(record.target, 'login:<img src=x onerror=alert(1)>');
    assert.equal(record.outcome, '<b>bold</b>');
    assert.equal(await console.page.locator('#audit-list img, #audit-list script, #audit-list b').count(), 0);
    assert.match(await console.page.locator('#audit-list').innerText(), /login=<script>alert\(1\)<\/script> note=a\\u\{202e\}b\\nc/);
    assert.deepEqual(await console.seriousViolations('/audit?type=lock.set'), []);
  });

  test('I67: a malformed time, an unknown type or a filter of 10 000 characters is a 400 page that says why, with the form', async () => {
    const refused = await console.page.goto(`${console.origin}/audit?since=garbage`);
    assert.equal(refused?.status(), 400);
    assert.match(
      await console.page.locator('.alert').innerText(),
      /From must be a date and time in UTC, such as 2026-01-31T12:00, .*got "garbage"/,
    );
    assert.equal(await console.page.locator('form[role=search]').count(), 1);
    await console.shot('console-audit-refused');
    const cookie = await consoleCookie(console);
    for (const [query, message] of [
      [`actor=${'a'.repeat(10_000)}`, /The actor is longer than 256 characters\./],
      ['type=session.nothing', /There is no event type &quot;session.nothing&quot;\./],
      ['until=2020-13-45T99%3A00', /Until must be a date and time in UTC/],
      ['target=nobody', /No user has the login or id &quot;nobody&quot;/],
      ['before=abc', /record number/],
      ['limit=0', /must be a whole number from 1 to 500/],
    ] as const) {
      const answer = await consoleRequest(console.ts, `/audit?${query}`, { cookie });
      assert.equal(answer.status, 400, query.slice(0, 40));
      assert.match(answer.body, message);
    }
    assert.deepEqual(console.cspViolations, []);
  });
});
