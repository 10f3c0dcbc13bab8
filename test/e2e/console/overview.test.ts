// The admin console's overview in headless Chromium (docs/admin-console.md "Overview"): the figures
// of the store, the charts of the last hour from the counters of /metrics (sign-ins and failures
// made through the real SOAP API appear in them), the navigation, the page at a phone's width, and
// no serious accessibility violation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { ifAssigned } from '../../helpers/defined.js';
import { eventually } from '../../helpers/eventually.js';
import { call, registerApp } from '../../helpers/server.js';

describe('the console overview in a real browser', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let console: ConsoleInBrowser;

  before(async () => {
    console = await openConsoleInBrowser();
    const app = await registerApp(console.ts);
    const created = await call(console.ts, 'createUser', { login: 'carol', password: 'a good password' }, { credentials: app.credentials });
    assert.equal(created.status, 200, created.body);
    for (const password of ['a good password', 'a good password', 'a wrong password']) {
      await call(console.ts, 'authenticate', { login: 'carol', password }, { credentials: app.credentials });
    }
  });

  after(async () => {
    await ifAssigned(console)?.close();
  });

  test('the overview shows the store figures, the charts of the last hour and marks itself in the navigation', async () => {
    await console.visit('/');
    const { page } = console;
    assert.equal(await page.locator('h1').innerText(), 'Overview');
    assert.equal(await page.locator('nav a[aria-current=page]').innerText(), 'Overview');
    assert.match(await page.locator('main').innerText(), /Live sessions[\s\S]*Sign-ins in the last hour\s*3\s*1 failed[\s\S]*Healthy/);
    assert.match(await page.locator('#chart-signins').innerText(), /^Sign-ins\s+2 sign-ins in the last hour, at most [12] in one minute/);
    assert.match(await page.locator('#chart-failures').innerText(), /^Failed sign-ins\s+1 failed sign-in in the last hour/);
    assert.match(await page.locator('#chart-sessions').innerText(), /^Live sessions\s+0 live sessions at the last sample/);
    assert.ok((await page.locator('.tone-ok .bars rect').count()) >= 1, 'a bar for the minute of the sign-ins');
    assert.match(await page.locator('main').innerText(), /Delegated sources\s+No delegated source/);
    const added = await console.cli(['sources', 'add', 'hr', '--web-service', 'https://127.0.0.1:9/check']);
    assert.equal(added.code, 0, added.stderr);
    await eventually(
      async () => {
        await console.visit('/');
        assert.match(await page.locator('main').innerText(), /Delegated sources[\s\S]*hr\s+webService\s+in service/);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the new source on the overview' },
    );
    assert.deepEqual(await console.seriousViolations('/'), []);
    const phone = await console.atPhoneWidth('/', 'console-overview-phone');
    assert.ok(phone.fits, `the overview is ${phone.scrollWidth} px wide at a phone's width`);
    await console.shot('console-overview');
    assert.deepEqual(console.cspViolations, []);
  });
});
