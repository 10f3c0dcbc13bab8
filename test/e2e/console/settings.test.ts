// The console's settings page in headless Chromium (docs/admin-console.md "Settings"): every setting
// listed, sessionTimeout changed (`ssod settings` and the SOAP API's getSettings follow), a bad value
// refused with its message at 400 and nothing changed, a reset after its confirmation, hostname
// shown read-only with its command, and the audit record naming the administrator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { settingNames } from '../../../src/config/options.js';
import { skipWithoutChromium } from '../../helpers/browser.js';
import { openConsoleInBrowser, type ConsoleInBrowser } from '../../helpers/consoleBrowser.js';
import { ifAssigned } from '../../helpers/defined.js';
import { call } from '../../helpers/server.js';

describe('the console settings page in a real browser', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let console: ConsoleInBrowser;

  before(async () => {
    console = await openConsoleInBrowser();
  });
  after(async () => {
    await ifAssigned(console)?.close();
  });

  const shown = async (): Promise<Record<string, unknown>> =>
    JSON.parse((await console.cli(['settings', '--json'])).stdout) as Record<string, unknown>;

  test('every setting is listed with its value, default and meaning', async () => {
    await console.visit('/settings');
    assert.equal(await console.page.locator('nav a[aria-current=page]').innerText(), 'Settings');
    assert.equal(await console.page.locator('tbody tr').count(), settingNames().length);
    assert.match(await console.page.locator('main').innerText(), /sessionTimeout\s+6000\s+default\s+6000\s+Idle timeout/);
    assert.deepEqual(await console.seriousViolations('/settings'), []);
    const phone = await console.atPhoneWidth('/settings', 'console-settings-phone');
    assert.ok(phone.fits, `the settings page is ${phone.scrollWidth} px wide at a phone's width`);
    await console.shot('console-settings');
  });

  test('change sessionTimeout: `ssod settings` and getSettings follow; a bad value is a 400 page with the message, nothing changed', async () => {
    await console.visit('/settings/sessionTimeout');
    await console.page.fill('#field-value', '5');
    const [bad] = await Promise.all([
      console.page.waitForResponse((response) => response.request().method() === 'POST'),
      console.page.click('button:text("Save")'),
    ]);
    assert.equal(bad.status(), 400);
    await console.page.waitForLoadState('load');
    assert.match(
      await console.page.locator('.alert').innerText(),
      /sessionTimeout \(from the form\) must be between 60 and 31536000, got 5/,
    );
    assert.equal(await console.page.inputValue('#field-value'), '5', 'the value is kept');
    await console.shot('console-settings-refused');
    assert.equal((await shown()).sessionTimeout, 6000, 'nothing changed');

    await console.page.fill('#field-value', '900');
    await console.clickAndWait('button:text("Save")');
    assert.match(await console.page.locator('.notice').innerText(), /setting was changed/);
    assert.equal((await shown()).sessionTimeout, 900);
    assert.equal((await call(console.ts, 'getSettings')).field('usersSessionsTimeout'), '900', 'the running server follows');
    assert.deepEqual(await console.seriousViolations('/settings/sessionTimeout'), []);
    await console.shot('console-settings-changed');
    const [record] = await console.ts.server.services.store.queryAudit({ type: 'settings.changed', actor: 'admin:root', limit: 1 });
    assert.deepEqual(
      [record?.target, record?.detail],
      ['setting:sessionTimeout', { from: '6000', to: '900' }],
      'settings.changed with the actor admin:root',
    );
  });

  test('reset after its confirmation, which says what happens to live sessions; hostname is read-only with its command', async () => {
    await console.visit('/settings/sessionTimeout');
    await console.clickAndWait('button:text("Reset to the default")');
    const confirmation = await console.page.locator('.confirm').innerText();
    assert.match(confirmation, /sessionTimeout goes from 900 to 6000/);
    assert.match(confirmation, /applies at once to the \d+ live sessions?/);
    await console.shot('console-settings-reset-confirm');
    assert.equal((await shown()).sessionTimeout, 900, 'unconfirmed: nothing changed');
    await console.clickAndWait('.confirm button.danger');
    assert.match(await console.page.locator('.notice').innerText(), /back to its default/);
    assert.equal((await shown()).sessionTimeout, 6000);

    await console.visit('/settings/hostname');
    assert.match(await console.page.locator('main').innerText(), /ssod hostname NAME/);
    assert.equal(await console.page.locator('#field-value').count(), 0, 'no form');
    assert.deepEqual(console.cspViolations, []);
  });
});
