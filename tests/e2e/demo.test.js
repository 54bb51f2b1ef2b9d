// End-to-end tests of the demos in a real browser: cookies, silent refresh, several tabs, theft, sign-out.
// The same tests run against the FastAPI demo and the Express demo (each on a fresh SQLite file).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ARTIFACTS,
  callApiButton,
  expressUnavailable,
  freshDataDir,
  launchBrowser,
  recordResponses,
  removeDir,
  serversToTest,
  sessionCookies,
  signIn,
  startDemo,
  waitForAccessExpiry,
} from './harness.js';

const REQUIRE_ALL = process.env.SESSIONWARD_REQUIRE_SERVICES === '1';
// A hung browser or server fails its test instead of the whole run.
const LIMIT = { timeout: 60_000 };

for (const kind of serversToTest()) {
  const unavailable = kind === 'express' ? expressUnavailable() : null;
  if (unavailable && REQUIRE_ALL) {
    test(`${kind} demo can start`, () => assert.fail(`SESSIONWARD_REQUIRE_SERVICES=1 but ${unavailable}`));
    continue;
  }
  describe(`${kind} demo`, { skip: unavailable ? `skipped: ${unavailable}` : false }, () => {
    let dataDir;
    let server;
    let browser;
    let url;

    before(async () => {
      dataDir = freshDataDir();
      server = await startDemo(kind, join(dataDir, 'sessions.sqlite3'));
      url = server.url;
      browser = await launchBrowser();
    });

    after(async () => {
      await browser?.close();
      await server?.stop();
      if (dataDir) removeDir(dataDir);
    });

    const signInTitle =
      'sign-in sets httpOnly access and refresh cookies (SameSite=Lax, scoped paths); script sees only the front token';
    test(signInTitle, LIMIT, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, url);
      assert.equal(await page.textContent('#who'), 'Alice Liddell (alice)');
      assert.equal(await page.textContent('#server'), kind);

      const { sw_access: access, sw_refresh: refresh, sw_front: front } = await sessionCookies(context);
      assert.ok(access && refresh && front, 'the three session cookies are set');
      assert.deepEqual(
        [access.httpOnly, access.sameSite, access.path, access.secure],
        [true, 'Lax', '/', false], // Secure is off only because the demo runs on plain http://localhost
      );
      assert.deepEqual([refresh.httpOnly, refresh.sameSite, refresh.path], [true, 'Lax', '/auth/refresh']);
      assert.deepEqual([front.httpOnly, front.sameSite, front.path], [false, 'Lax', '/']);
      assert.match(refresh.value, /^swr_/);

      const visible = await page.evaluate(() => document.cookie);
      assert.ok(visible.includes(`sw_front=${front.value}`), 'the front token is readable');
      assert.ok(!visible.includes('sw_access') && !visible.includes('sw_refresh'), `document.cookie: ${visible}`);
      assert.ok(!visible.includes(access.value) && !visible.includes(refresh.value));

      const session = await page.evaluate(() => globalThis.demo.client.session);
      assert.equal(session.userId, 'alice');
      assert.deepEqual(session.claims, { name: 'Alice Liddell' }, 'only the allowlisted claim reaches the page');
      await context.close();
    });

    test('a state-changing call without the CSRF header is refused; the helper adds it', LIMIT, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, url);
      const [bare, helped] = await page.evaluate(async () => {
        const bareResponse = await fetch('/api/sessions/revoke-others', { method: 'POST' });
        const helpedResponse = await globalThis.demo.client.fetch('/api/sessions/revoke-others', { method: 'POST' });
        return [
          { status: bareResponse.status, body: await bareResponse.json() },
          { status: helpedResponse.status, body: await helpedResponse.json() },
        ];
      });
      assert.equal(bare.status, 401);
      assert.equal(bare.body.error, 'unauthorised');
      assert.equal(helped.status, 200);
      assert.equal(typeof helped.body.revoked, 'number');
      assert.ok((await sessionCookies(context)).sw_access, 'a refused CSRF check leaves the cookies alone');
      await context.close();
    });

    test('after the access token expires, the next API call succeeds through a silent refresh', LIMIT, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, url);
      const before = await sessionCookies(context);
      await waitForAccessExpiry(page);
      const expired = await page.evaluate(async () => (await (await fetch('/api/me')).json()).error);
      assert.equal(expired, 'try_refresh', 'the access token has expired');

      const responses = recordResponses(page);
      const refreshed = page.evaluate(
        () => new Promise((ok) => globalThis.demo.client.addEventListener('refreshed', (e) => ok(e.detail))),
      );
      await callApiButton(page);
      assert.equal((await refreshed).source, 'network');
      const calls = responses.filter((r) => r.path === '/api/me' || r.path === '/auth/refresh');
      assert.deepEqual(
        calls.map((r) => `${r.method} ${r.path} ${r.status}`),
        ['GET /api/me 401', 'POST /auth/refresh 200', 'GET /api/me 200'],
      );
      const after = await sessionCookies(context);
      assert.notEqual(after.sw_access.value, before.sw_access.value, 'a new access token');
      assert.notEqual(after.sw_refresh.value, before.sw_refresh.value, 'the refresh token rotated');
      assert.equal(after.sw_refresh.httpOnly, true);
      await context.close();
    });

    test('the helper refreshes ahead of expiry from the front token, without a failed call', LIMIT, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, url);
      const responses = recordResponses(page);
      const result = await page.evaluate(async () => {
        const { createClient } = await import('/lib/sessionward-browser.js');
        const client = createClient({ refreshAhead: 1 });
        const before = client.session.expiresAt;
        const detail = await new Promise((ok) => {
          client.addEventListener('refreshed', (e) => ok(e.detail), { once: true });
        });
        client.close();
        return { before, detail };
      });
      assert.equal(result.detail.source, 'network');
      assert.ok(result.detail.expiresAt > result.before, 'a new, later expiry');
      assert.deepEqual(
        responses.map((r) => `${r.method} ${r.path} ${r.status}`),
        ['POST /auth/refresh 200'],
        'no call was refused on the way',
      );
      await context.close();
    });

    test('two tabs refreshing at the same moment both stay signed in (Web Locks: one refresh)', LIMIT, async () => {
      const context = await browser.newContext();
      const tab1 = await context.newPage();
      await signIn(tab1, url);
      const tab2 = await context.newPage();
      await tab2.goto(`${url}/app`);
      await tab2.waitForFunction(() => document.querySelector('#api-result').textContent !== '');
      await waitForAccessExpiry(tab1);

      const responses = recordResponses(context);
      const callMe = (tab) => tab.evaluate(async () => (await globalThis.demo.client.fetch('/api/me')).status);
      assert.deepEqual(await Promise.all([callMe(tab1), callMe(tab2)]), [200, 200]);
      const refreshes = responses.filter((r) => r.path === '/auth/refresh');
      assert.deepEqual(refreshes.map((r) => r.status), [200], 'one tab refreshed, the other reused its cookies');
      assert.deepEqual(await Promise.all([callMe(tab1), callMe(tab2)]), [200, 200], 'both still signed in');
      await context.close();
    });

    test('two uncoordinated tabs refreshing at the same moment both stay signed in (grace window)', LIMIT, async () => {
      const context = await browser.newContext();
      const tab1 = await context.newPage();
      await signIn(tab1, url);
      const tab2 = await context.newPage();
      await tab2.goto(`${url}/app`);
      await waitForAccessExpiry(tab1);

      // Hold the refresh requests until both tabs have sent theirs, so that both carry the same refresh token:
      // the server rotates it for one and, inside the grace window, hands the other the same successor.
      const held = [];
      let release;
      const bothSent = new Promise((ok) => (release = ok));
      await context.route('**/auth/refresh', async (route) => {
        held.push(route.request().headers().cookie ?? '');
        if (held.length === 2) release();
        await bothSent;
        await route.continue();
      });
      const answers = [];
      context.on('response', (r) => {
        if (new URL(r.url()).pathname !== '/auth/refresh') return;
        answers.push(r.headerValues('set-cookie').then((cookies) => ({ status: r.status(), cookies })));
      });
      const callMe = (tab) =>
        tab.evaluate(async () => {
          const { createClient } = await import('/lib/sessionward-browser.js');
          const client = createClient({ coordinate: false, refreshAhead: 0 });
          const response = await client.fetch('/api/me');
          client.close();
          return response.status === 200 ? 200 : `${response.status} ${JSON.stringify(await response.json())}`;
        });
      const first = await Promise.all([callMe(tab1), callMe(tab2)]);
      const refreshStatuses = (await Promise.all(answers)).map((a) => a.status);
      assert.deepEqual(first, [200, 200], `refresh answers: ${refreshStatuses}`);
      await context.unroute('**/auth/refresh');

      const refreshCookie = (header) => header.match(/sw_refresh=([^;]*)/)?.[1];
      assert.equal(held.length, 2);
      assert.equal(refreshCookie(held[0]), refreshCookie(held[1]), 'both tabs presented the same refresh token');
      const responses = await Promise.all(answers);
      assert.deepEqual(responses.map((r) => r.status), [200, 200]);
      const successors = responses.map((r) => r.cookies.map(refreshCookie).find(Boolean));
      assert.equal(successors[0], successors[1], 'both tabs received the same successor');
      const statusOf = (tab) => tab.evaluate(async () => (await globalThis.demo.client.fetch('/api/me')).status);
      assert.deepEqual(await Promise.all([statusOf(tab1), statusOf(tab2)]), [200, 200], 'both still signed in');
      await context.close();
    });

    const theftTitle =
      'a copied refresh token replayed after rotation revokes the session; the victim tab is told, lands on sign-in';
    test(theftTitle, LIMIT, async () => {
      const victim = await browser.newContext();
      const victimPage = await victim.newPage();
      await signIn(victimPage, url);
      const thief = await browser.newContext();
      await thief.addCookies(await victim.cookies()); // the stolen cookie jar, refresh token included

      // The legitimate tab refreshes: silently on its next call once the access token has expired, then ahead of
      // expiry. The stolen refresh token is now two generations old, a replay whatever the grace window.
      await waitForAccessExpiry(victimPage);
      await callApiButton(victimPage);
      assert.match(await victimPage.textContent('#events'), /session refreshed/);
      assert.equal(await victimPage.evaluate(() => globalThis.demo.client.refresh()), true);

      // The thief replays the superseded token: the server detects the theft and revokes the session.
      const refreshAnswers = [];
      await thief.route('**/auth/refresh', async (route) => {
        const response = await route.fetch(); // read the body before the page navigates away
        refreshAnswers.push({ status: response.status(), error: (await response.json()).error });
        await route.fulfill({ response });
      });
      const thiefPage = await thief.newPage();
      await thiefPage.goto(`${url}/app`);
      await thiefPage.waitForURL(`${url}/?reason=theft`);
      assert.deepEqual(refreshAnswers, [{ status: 401, error: 'token_theft' }]);
      assert.deepEqual(await sessionCookies(thief), {}, "the thief's cookies are cleared");

      // The legitimate tab's next call is told why, and it lands on sign-in.
      const told = victimPage.evaluate(
        () => new Promise((ok) => globalThis.demo.client.addEventListener('theft', (e) => ok(e.type), { once: true })),
      );
      await victimPage.click('#call-api');
      assert.equal(await told, 'theft');
      await victimPage.waitForURL(`${url}/?reason=theft`);
      await victimPage.locator('#notice').waitFor({ state: 'visible' }); // once the page's script has run
      assert.match(await victimPage.textContent('#notice'), /used again from somewhere else/);
      assert.deepEqual(await sessionCookies(victim), {}, "the victim's cookies are cleared");
      await victim.close();
      await thief.close();
    });

    test('"sign out this one" and "sign out all others" end the other devices\' sessions', LIMIT, async () => {
      const devices = [];
      for (let i = 0; i < 3; i++) {
        const context = await browser.newContext({ userAgent: `e2e-device-${i}` });
        const page = await context.newPage();
        await signIn(page, url, 'bob'); // the other tests sign in as alice: bob's sessions are these three
        devices.push({ context, page });
      }
      const [mine, second, third] = devices;
      await mine.page.goto(`${url}/sessions`);
      await mine.page.waitForSelector('#sessions tbody tr:nth-child(3)');
      const rows = await mine.page.$$eval('#sessions tbody tr', (trs) =>
        trs.map((tr) => ({
          device: tr.cells[0].textContent,
          ip: tr.cells[1].textContent,
          current: tr.classList.contains('current'),
        })),
      );
      assert.deepEqual(rows.map((r) => r.device), ['e2e-device-0', 'e2e-device-1', 'e2e-device-2']);
      assert.deepEqual(rows.map((r) => r.current), [true, false, false]);
      assert.ok(rows.every((r) => r.ip === '127.0.0.1'));
      mkdirSync(ARTIFACTS, { recursive: true });
      await mine.page.screenshot({ path: join(ARTIFACTS, `sessions-${kind}.png`), fullPage: true });

      await mine.page.click('#sessions tbody tr:nth-child(2) button.revoke');
      await mine.page.waitForFunction(() => document.querySelectorAll('#sessions tbody tr').length === 2);
      await second.page.click('#call-api');
      await second.page.waitForURL(`${url}/?reason=unauthorised`);
      await callApiButton(third.page);

      const done = 'Signed out 1 other device.';
      await mine.page.click('#revoke-others');
      await mine.page.waitForFunction((text) => document.querySelector('#status').textContent === text, done);
      assert.equal(await mine.page.locator('#sessions tbody tr').count(), 1);
      await third.page.click('#call-api');
      await third.page.waitForURL(`${url}/?reason=unauthorised`);
      assert.deepEqual(await sessionCookies(third.context), {}, 'the ended session’s cookies are cleared');
      assert.equal(await mine.page.evaluate(async () => (await globalThis.demo.client.fetch('/api/me')).status), 200);
      for (const { context } of devices) await context.close();
    });

    test('logout clears the cookies, ends the session on the server and signs out the other tabs', LIMIT, async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, url);
      const otherTab = await context.newPage();
      await otherTab.goto(`${url}/sessions`);
      await otherTab.waitForSelector('#sessions tbody tr');
      const copy = await context.cookies();
      await page.click('#logout');
      await page.waitForURL(`${url}/?reason=logout`);
      await otherTab.waitForURL(`${url}/?reason=logout`); // told by the first tab (BroadcastChannel)
      assert.deepEqual(await sessionCookies(context), {});
      assert.equal(await page.evaluate(() => document.cookie), '');

      // The old cookies no longer open anything: the session is gone from the store.
      const replay = await browser.newContext();
      await replay.addCookies(copy);
      const front = copy.find((c) => c.name === 'sw_front').value;
      const csrf = JSON.parse(Buffer.from(front, 'base64url').toString()).csrf;
      const me = await replay.request.get(`${url}/api/me`);
      const refresh = await replay.request.post(`${url}/auth/refresh`, { headers: { 'x-csrf-token': csrf } });
      const statuses = [me.status(), (await me.json()).error, refresh.status(), (await refresh.json()).error];
      assert.deepEqual(statuses, [401, 'unauthorised', 401, 'unauthorised']);
      await context.close();
      await replay.close();
    });
  });
}
