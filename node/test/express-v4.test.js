'use strict';
// The same integration on Express 4, whose router does not catch rejected promises: the cookie and header
// journeys' essentials. Runs when Express 4 is installed under the alias `express4` (npm i -D
// express4@npm:express@4); skipped otherwise.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, frontToken } = require('./helpers/express-http');
const { startApp } = require('./helpers/express-app');
const { LEEWAY, GRACE, error } = require('./helpers/express-expect');

let express4 = null;
try {
  express4 = require('express4');
} catch {
  // not installed
}
const skip = express4 === null ? 'Express 4 is not installed as `express4` (npm i -D express4@npm:express@4)' : false;

test('Express 4: cookie mode sign-in, CSRF, expiry, refresh, theft, sign-out', { skip }, async (t) => {
  assert.match(require('express4/package.json').version, /^4\./);
  const { url, clock, nextTheft } = await startApp(t, { store: 'sqlite', expressModule: express4 });
  const client = new Client(url);
  let r = await client.post('/login', { json: { user_id: 'alice' } });
  assert.equal(r.status, 200, r.text);
  const body = r.body;
  const front = frontToken(r.cookies.sw_front.value);
  const first = r.cookies;
  assert.equal((await client.get('/me')).body.user_id, 'alice');
  assert.equal((await client.post('/items')).status, 401);
  assert.equal((await client.post('/items', { headers: { 'x-csrf-token': front.csrf } })).status, 200);
  clock.now = body.access_expires_at + LEEWAY;
  r = await client.get('/me');
  assert.deepEqual([r.status, r.body], [401, error('try_refresh')]);
  r = await client.post('/auth/refresh', { headers: { 'x-csrf-token': front.csrf } });
  assert.equal(r.status, 200, r.text);
  const csrf = frontToken(r.cookies.sw_front.value).csrf;
  assert.equal((await client.get('/live')).status, 200); // the async store read reaches next()
  clock.advance(GRACE + 1);
  r = await new Client(url).post('/auth/refresh', {
    headers: {
      cookie: `sw_refresh=${first.sw_refresh.value}; sw_front=${first.sw_front.value}`,
      'x-csrf-token': front.csrf,
    },
  });
  assert.deepEqual([r.status, r.body], [401, error('token_theft')]);
  assert.equal((await nextTheft()).sessionHandle, body.session_handle);
  const access = client.jar.get('sw_access').value;
  r = await client.post('/auth/logout', { headers: { 'x-csrf-token': csrf } });
  assert.deepEqual([r.status, r.body], [200, { revoked: false }]); // already revoked by the theft verdict
  assert.deepEqual(client.names(), new Set());
  r = await client.get('/live', { headers: { cookie: `sw_access=${access}` } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]); // an async failure reached next(err)
  r = await client.post('/auth/logout');
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.equal(r.headers.get('set-cookie'), null);
});

test('Express 4: header mode with and without a body parser', { skip }, async (t) => {
  const { url } = await startApp(t, {
    http: { mode: 'header' },
    expressModule: express4,
    extra: (app, sessions) => app.post('/parsed/refresh', express4.json(), sessions.refreshHandler()),
  });
  const client = new Client(url);
  const tokens = (await client.post('/login', { json: { user_id: 'bob' } })).body;
  let r = await client.post('/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
  assert.equal(r.status, 200, r.text);
  const fresh = r.body;
  // body-parser 1 leaves `{}` for a body it did not parse: "no token", not a crash.
  r = await client.post('/parsed/refresh', { body: 'x', headers: { 'content-type': 'text/plain' } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  r = await client.post('/parsed/refresh', { json: { refresh_token: 5 } });
  assert.deepEqual([r.status, r.body], [400, error('invalid_argument')]);
  r = await client.post('/parsed/refresh', { json: { refresh_token: fresh.refresh_token } });
  assert.equal(r.status, 200, r.text);
  r = await client.get('/admin', { headers: { authorization: `Bearer ${r.body.access_token}` } });
  assert.deepEqual([r.status, r.body], [403, error('invalid_claim')]);
});
