// The admin console's overview in headless Chromium (docs/admin-console.md "Overview"): the figures
// of the store, the navigation, the page at a phone's width, and no serious accessibility violation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { ifAssigned } from '../../helpers/defined.js';

describe('the console overview in a real browser', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let console: ConsoleInBrowser;

  before(async () => {
    console = await openConsoleInBrowser();
  });

  after(async () => {
    await ifAssigned(console)?.close();
  });

  test('the overview shows the store figures and the navigation marks it as the current page', async () => {
    await console.visit('/');
    assert.equal(await console.page.locator('h1').innerText(), 'Overview');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Overview');
    assert.match(await console.page.locator('main').innerText(), /Live sessions[\s\S]*Healthy/);
    assert.deepEqual(await console.seriousViolations('/'), []);
    const phone = await console.atPhoneWidth('/', 'console-overview-phone');
    assert.ok(phone.fits, `the overview is ${phone.scrollWidth} px wide at a phone's width`);
    await console.shot('console-overview');
    assert.deepEqual(console.cspViolations, []);
  });
});
