'use strict';
// sessionward/express driven over HTTP: a real Express app on 127.0.0.1, fetch with a cookie jar, memory and
// SQLite stores, a fake clock. The expectations are those of python/tests/test_fastapi.py.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { Client, frontToken } = require('./helpers/express-http');
const { startApp } = require('./helpers/express-app');
const { LEEWAY, GRACE, CLEARED, error } = require('./helpers/express-expect');

const attrs = (...items) => new Set(items);

// -- cookie mode --------------------------------------------------------------------------------------------

for (const store of ['memory', 'sqlite']) {
  test(`cookie mode journey (${store} store)`, async (t) => {
    const { url, clock, manager, nextTheft, thefts, logger } = await startApp(t, { store });
    const client = new Client(url);

    // Sign in: tokens only in HttpOnly cookies, non-secret data in the body.
    let r = await client.post('/login', { json: { user_id: 'alice' }, headers: { 'user-agent': 'node-browser' } });
    assert.equal(r.status, 200, r.text);
    const body = r.body;
    assert.deepEqual(Object.keys(body), [
      'user_id',
      'session_handle',
      'access_expires_at',
      'refresh_expires_at',
      'front_token',
    ]);
    assert.equal(body.user_id, 'alice');
    assert.equal(body.access_expires_at, clock.now + manager.accessTtl);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const cookies = r.cookies;
    assert.deepEqual(Object.keys(cookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);
    const lifetime = body.refresh_expires_at - clock.now;
    assert.equal(lifetime, 14 * 86400);
    const common = [`Max-Age=${lifetime}`, 'Secure', 'SameSite=Lax'];
    assert.deepEqual(cookies.sw_access.attributes, attrs(...common, 'Path=/', 'HttpOnly'));
    assert.deepEqual(cookies.sw_front.attributes, attrs(...common, 'Path=/'));
    assert.deepEqual(cookies.sw_refresh.attributes, attrs(...common, 'Path=/auth/refresh', 'HttpOnly'));
    assert.match(cookies.sw_refresh.value, /^swr_.{64}$/);
    assert.equal(cookies.sw_front.value, body.front_token);
    const front = frontToken(cookies.sw_front.value);
    assert.equal(front.uid, 'alice');
    assert.equal(front.exp, body.access_expires_at);
    const session = await manager.getSession(body.session_handle, { now: clock.now });
    assert.equal(session.userAgent, 'node-browser');
    assert.equal(session.ip, '127.0.0.1');

    // Authorised calls; the refresh cookie never leaves its path.
    r = await client.get('/me');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { user_id: 'alice', jti: front.csrf, sid: body.session_handle });
    assert.deepEqual((await client.get('/cookies')).body, ['sw_access', 'sw_front']);

    // State-changing requests need the double-submit CSRF header; GET did not.
    r = await client.post('/items');
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal(r.headers.get('set-cookie'), null);
    assert.equal(r.headers.get('www-authenticate'), null);
    r = await client.post('/items', { headers: { 'x-csrf-token': 'not-the-token' } });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal(r.headers.get('set-cookie'), null);
    r = await client.post('/items', { headers: { 'x-csrf-token': front.csrf } });
    assert.deepEqual([r.status, r.body], [200, { created_by: 'alice' }]);

    // Expiry: accepted until exp + leeway, then "try_refresh" (cookies kept).
    clock.now = body.access_expires_at + LEEWAY - 1;
    assert.equal((await client.get('/me')).status, 200);
    clock.now = body.access_expires_at + LEEWAY;
    r = await client.get('/me');
    assert.deepEqual([r.status, r.body], [401, error('try_refresh')]);
    assert.equal(r.headers.get('set-cookie'), null);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.deepEqual(client.names(), new Set(['sw_access', 'sw_front', 'sw_refresh']));

    // Refresh: the cookie alone is not enough, the CSRF header must match the front token.
    r = await client.post('/auth/refresh');
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal(r.headers.get('set-cookie'), null);
    r = await client.post('/auth/refresh', { headers: { 'x-csrf-token': 'forged' } });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal(r.headers.get('set-cookie'), null);
    r = await client.post('/auth/refresh', { headers: { 'x-csrf-token': front.csrf } });
    assert.equal(r.status, 200, r.text);
    const refreshed = r.body;
    assert.deepEqual(Object.keys(refreshed), Object.keys(body));
    assert.equal(refreshed.session_handle, body.session_handle);
    assert.equal(refreshed.access_expires_at, clock.now + manager.accessTtl);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const newCookies = r.cookies;
    assert.deepEqual(Object.keys(newCookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);
    for (const name of Object.keys(newCookies)) assert.notEqual(newCookies[name].value, cookies[name].value);
    const newLifetime = refreshed.refresh_expires_at - clock.now;
    assert.deepEqual(
      newCookies.sw_refresh.attributes,
      attrs(`Max-Age=${newLifetime}`, 'Secure', 'SameSite=Lax', 'Path=/auth/refresh', 'HttpOnly'),
    );
    const newFront = frontToken(newCookies.sw_front.value);
    assert.notEqual(newFront.csrf, front.csrf);

    // Authorised again, with the new token (and the new CSRF value only).
    r = await client.get('/me');
    assert.deepEqual([r.status, r.body.jti], [200, newFront.csrf]);
    assert.equal((await client.post('/items', { headers: { 'x-csrf-token': front.csrf } })).status, 401);
    assert.equal((await client.post('/items', { headers: { 'x-csrf-token': newFront.csrf } })).status, 200);

    // Theft: the old refresh token replayed after the grace window revokes the session.
    clock.advance(GRACE + 1);
    const thief = new Client(url);
    r = await thief.post('/auth/refresh', {
      headers: {
        cookie: `sw_refresh=${cookies.sw_refresh.value}; sw_front=${cookies.sw_front.value}`,
        'x-csrf-token': front.csrf,
      },
    });
    assert.deepEqual([r.status, r.body], [401, error('token_theft')]);
    assert.ok(!r.text.includes(body.session_handle) && !r.text.includes('alice'));
    assert.deepEqual(r.cookies, {
      sw_access: { value: '', attributes: attrs(...CLEARED, 'Path=/', 'HttpOnly') },
      sw_front: { value: '', attributes: attrs(...CLEARED, 'Path=/') },
      sw_refresh: { value: '', attributes: attrs(...CLEARED, 'Path=/auth/refresh', 'HttpOnly') },
    });
    const event = await nextTheft();
    assert.equal(thefts.length, 1);
    assert.equal(event.sessionHandle, body.session_handle);
    assert.equal(event.userId, 'alice');
    assert.equal(await manager.getSession(body.session_handle, { now: clock.now }), null);
    // The theft is logged as a warning, without any token.
    assert.equal(logger.lines.warn.length, 1);
    assert.match(logger.lines.warn[0], /^sessionward: /);
    for (const secret of [cookies.sw_refresh.value, newCookies.sw_refresh.value, cookies.sw_access.value]) {
      assert.ok(!JSON.stringify(logger.lines).includes(secret), 'a token was logged');
    }

    // The victim's new refresh token is dead too; the answer deletes the cookies from the jar.
    r = await client.post('/auth/refresh', { headers: { 'x-csrf-token': newFront.csrf } });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.deepEqual(Object.keys(r.cookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);
    assert.deepEqual(client.names(), new Set());
    r = await client.get('/me');
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);

    // The already-minted access token verifies offline until it expires; the live check refuses it now.
    const stolen = { cookie: `sw_access=${newCookies.sw_access.value}` };
    assert.equal((await client.get('/me', { headers: stolen })).status, 200);
    r = await client.get('/live', { headers: stolen });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.deepEqual(Object.keys(r.cookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);
  });
}

test('cookie mode sign-out', async (t) => {
  const { url, clock, manager } = await startApp(t, { store: 'sqlite' });
  const client = new Client(url);
  let r = await client.post('/login', { json: { user_id: 'carol', data: { cart: [1, 2] } } });
  const body = r.body;
  const csrf = frontToken(r.cookies.sw_front.value).csrf;
  const original = r.cookies;
  r = await client.get('/live');
  assert.deepEqual(r.body, { user_id: 'carol', data: { cart: [1, 2] }, handle: body.session_handle });

  // A forged sign-out (no CSRF header, or a wrong one) is refused and changes nothing.
  for (const headers of [{}, { 'x-csrf-token': 'forged' }]) {
    r = await client.post('/auth/logout', { headers });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal(r.headers.get('set-cookie'), null);
    assert.notEqual(await manager.getSession(body.session_handle, { now: clock.now }), null);
  }

  // Sign-out works with an expired access token too, and deletes the cookies.
  clock.now = body.access_expires_at + 3600;
  r = await client.post('/auth/logout', { headers: { 'x-csrf-token': csrf } });
  assert.deepEqual([r.status, r.body], [200, { revoked: true }]);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.deepEqual(r.cookies, {
    sw_access: { value: '', attributes: attrs(...CLEARED, 'Path=/', 'HttpOnly') },
    sw_front: { value: '', attributes: attrs(...CLEARED, 'Path=/') },
    sw_refresh: { value: '', attributes: attrs(...CLEARED, 'Path=/auth/refresh', 'HttpOnly') },
  });
  assert.deepEqual(client.names(), new Set());
  assert.equal(await manager.getSession(body.session_handle, { now: clock.now }), null);

  assert.equal((await client.get('/me')).status, 401);
  // With no token at all, sign-out is refused and deletes no cookie (no cross-site sign-out).
  r = await client.post('/auth/logout');
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.equal(r.headers.get('set-cookie'), null);
  const replay = `sw_refresh=${original.sw_refresh.value}; sw_front=${original.sw_front.value}`;
  r = await client.post('/auth/refresh', { headers: { cookie: replay, 'x-csrf-token': csrf } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
});

test('cookie mode deletes foreign cookies, but not for unknown keys or no token', async (t) => {
  const { url } = await startApp(t);
  const other = await startApp(t); // another deployment: same issuer and audience, its own keys
  const client = new Client(url);

  // A garbage access cookie (another deployment's, a stale format) is refused and deleted.
  let r = await client.get('/me', { headers: { cookie: 'sw_access=garbage' } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.deepEqual(Object.keys(r.cookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);

  // A token signed by a key this instance does not know (key rotation on another instance) is refused, but the
  // cookies stay: the session may be fine.
  const foreign = (await new Client(other.url).post('/login', { json: { user_id: 'dave' } })).cookies.sw_access.value;
  r = await client.get('/me', { headers: { cookie: `sw_access=${foreign}` } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.equal(r.headers.get('set-cookie'), null);

  // No token at all: nothing to delete (and a cross-site request must not be able to sign anyone out).
  r = await client.get('/me');
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.equal(r.headers.get('set-cookie'), null);
  assert.equal(r.headers.get('www-authenticate'), null); // cookie mode sends no bearer challenge
});

// -- header mode --------------------------------------------------------------------------------------------

for (const store of ['memory', 'sqlite']) {
  test(`header mode journey (${store} store)`, async (t) => {
    const { url, clock, manager, nextTheft } = await startApp(t, { store, http: { mode: 'header' } });
    const client = new Client(url);
    let r = await client.post('/login', { json: { user_id: 'bob' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('set-cookie'), null);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const tokens = r.body;
    assert.deepEqual(Object.keys(tokens), [
      'user_id',
      'session_handle',
      'access_expires_at',
      'refresh_expires_at',
      'front_token',
      'access_token',
      'refresh_token',
    ]);
    const bearer = { authorization: `Bearer ${tokens.access_token}` };

    r = await client.get('/me', { headers: bearer });
    assert.deepEqual([r.status, r.body.user_id], [200, 'bob']);
    r = await client.post('/items', { headers: bearer }); // no CSRF for bearer tokens
    assert.deepEqual([r.status, r.body], [200, { created_by: 'bob' }]);

    r = await client.get('/me');
    assert.deepEqual([r.status, r.body, r.headers.get('www-authenticate')], [401, error('unauthorised'), 'Bearer']);
    // Header mode ignores cookies.
    r = await client.get('/me', { headers: { cookie: `sw_access=${tokens.access_token}` } });
    assert.deepEqual([r.status, r.body, r.headers.get('www-authenticate')], [401, error('unauthorised'), 'Bearer']);
    r = await client.get('/me', { headers: { authorization: 'Bearer not.a.token' } });
    assert.deepEqual([r.status, r.headers.get('www-authenticate')], [401, 'Bearer error="invalid_token"']);
    assert.equal(r.headers.get('set-cookie'), null);

    clock.now = tokens.access_expires_at + LEEWAY;
    r = await client.get('/me', { headers: bearer });
    assert.deepEqual([r.status, r.body], [401, error('try_refresh')]);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"');

    // Refresh with the token in the JSON body; the new tokens come back in the body, no cookies.
    r = await client.post('/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('set-cookie'), null);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const fresh = r.body;
    assert.deepEqual(Object.keys(fresh), Object.keys(tokens));
    assert.equal(fresh.session_handle, tokens.session_handle);
    assert.notEqual(fresh.refresh_token, tokens.refresh_token);
    assert.notEqual(fresh.access_token, tokens.access_token);
    const newBearer = { authorization: `Bearer ${fresh.access_token}` };
    assert.equal((await client.get('/me', { headers: newBearer })).status, 200);

    // Theft: replay of the old refresh token after the grace window.
    clock.advance(GRACE + 1);
    r = await client.post('/auth/refresh', { json: { refresh_token: tokens.refresh_token } });
    assert.deepEqual([r.status, r.body], [401, error('token_theft')]);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    assert.equal(r.headers.get('set-cookie'), null);
    const event = await nextTheft();
    assert.deepEqual([event.sessionHandle, event.userId], [tokens.session_handle, 'bob']);
    r = await client.post('/auth/refresh', { json: { refresh_token: fresh.refresh_token } });
    assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
    assert.equal((await client.get('/live', { headers: newBearer })).status, 401);
    assert.equal(await manager.getSession(tokens.session_handle, { now: clock.now }), null);
  });
}

test('header mode sign-out', async (t) => {
  const { url, clock, manager } = await startApp(t, { http: { mode: 'header' } });
  const client = new Client(url);
  const first = (await client.post('/login', { json: { user_id: 'erin' } })).body;
  const second = (await client.post('/login', { json: { user_id: 'erin' } })).body;
  const alive = async (handle) => (await manager.getSession(handle, { now: clock.now })) !== null;

  // By access token.
  let r = await client.post('/auth/logout', { headers: { authorization: `Bearer ${first.access_token}` } });
  assert.deepEqual([r.status, r.body], [200, { revoked: true }]);
  assert.equal(r.headers.get('set-cookie'), null);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(await alive(first.session_handle), false);
  assert.equal(await alive(second.session_handle), true);
  // By refresh token in the body.
  r = await client.post('/auth/logout', { json: { refresh_token: second.refresh_token } });
  assert.deepEqual([r.status, r.body], [200, { revoked: true }]);
  assert.equal(await alive(second.session_handle), false);
  r = await client.post('/auth/refresh', { json: { refresh_token: second.refresh_token } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  // With no token at all, sign-out is refused.
  r = await client.post('/auth/logout');
  assert.deepEqual([r.status, r.body, r.headers.get('www-authenticate')], [401, error('unauthorised'), 'Bearer']);
  assert.equal(r.headers.get('set-cookie'), null);
});

test('both mode sets cookies and returns tokens', async (t) => {
  const { url } = await startApp(t, { http: { mode: 'both' } });
  const client = new Client(url);
  let r = await client.post('/login', { json: { user_id: 'frank' } });
  const tokens = r.body;
  assert.equal(r.cookies.sw_access.value, tokens.access_token);
  assert.equal(r.cookies.sw_refresh.value, tokens.refresh_token);
  assert.equal((await client.get('/me')).body.user_id, 'frank'); // by cookie
  r = await client.get('/me', { headers: { authorization: `Bearer ${tokens.access_token}`, cookie: undefined } });
  assert.equal(r.body.user_id, 'frank');
  const csrf = frontToken(client.jar.get('sw_front').value).csrf;
  r = await client.post('/auth/refresh', { headers: { 'x-csrf-token': csrf } }); // by cookie
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.cookies).sort(), ['sw_access', 'sw_front', 'sw_refresh']);
  assert.equal(r.body.refresh_token, r.cookies.sw_refresh.value);
  // A bearer client refreshes with the body token (no cookies, no CSRF).
  r = await new Client(url).post('/auth/refresh', { json: { refresh_token: r.body.refresh_token } });
  assert.equal(r.status, 200, r.text);
  // Cookie-borne tokens still need CSRF on state-changing requests, bearer ones do not.
  assert.equal((await client.post('/items')).status, 401);
  r = await client.post('/items', { headers: { authorization: `Bearer ${r.body.access_token}` } });
  assert.deepEqual([r.status, r.body], [200, { created_by: 'frank' }]);
});

// -- middleware ---------------------------------------------------------------------------------------------

test('claim and scope checks answer 403', async (t) => {
  const { url } = await startApp(t, { http: { mode: 'header' } });
  const client = new Client(url);
  const bearer = async (claims) => {
    const r = await client.post('/login', { json: { user_id: 'gina', claims } });
    return { authorization: `Bearer ${r.body.access_token}` };
  };
  const admin = await bearer({ role: 'admin', scope: 'read write' });
  const user = await bearer({ role: 'user', scope: ['read'] });
  const bare = await bearer({});

  assert.deepEqual((await client.get('/admin', { headers: admin })).body, { admin: 'gina' });
  assert.deepEqual((await client.get('/write', { headers: admin })).body, { writer: 'gina' });
  for (const [path, headers] of [
    ['/admin', user],
    ['/admin', bare],
    ['/write', user],
    ['/write', bare],
  ]) {
    const r = await client.get(path, { headers });
    assert.deepEqual([r.status, r.body], [403, error('invalid_claim')], path);
    assert.equal(r.headers.get('www-authenticate'), 'Bearer error="insufficient_scope"');
    assert.equal(r.headers.get('cache-control'), 'no-store');
  }
  // Without a token the claim check never runs: 401.
  const r = await client.get('/admin');
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
});

test('claim checks refuse values that could never match when built', async (t) => {
  const { sessions } = await startApp(t);
  assert.throws(() => sessions.requireClaim('role', {}.constructor), TypeError);
  assert.throws(() => sessions.requireClaim('role', new Date()), TypeError);
  assert.throws(() => sessions.requireClaim('n', Number.NaN), TypeError);
  assert.throws(() => sessions.requireClaim('n', undefined), TypeError);
  assert.throws(() => sessions.requireClaim(5, 'x'), TypeError);
  assert.throws(() => sessions.requireScope(['write']), TypeError);
  assert.equal(typeof sessions.requireClaim('perms', { a: [1, 'b', null, true] }), 'function');
});

test('optional session: null only without any token', async (t) => {
  const { url, clock } = await startApp(t, { http: { mode: 'header' } });
  const client = new Client(url);
  assert.deepEqual((await client.get('/maybe')).body, { user_id: null });
  const tokens = (await client.post('/login', { json: { user_id: 'hal' } })).body;
  const bearer = { authorization: `Bearer ${tokens.access_token}` };
  assert.deepEqual((await client.get('/maybe', { headers: bearer })).body, { user_id: 'hal' });
  // A token that is present but refused is an error, not anonymity.
  let r = await client.get('/maybe', { headers: { authorization: 'Bearer garbage' } });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  clock.now = tokens.access_expires_at + LEEWAY;
  r = await client.get('/maybe', { headers: bearer });
  assert.deepEqual([r.status, r.body], [401, error('try_refresh')]);
});

test('optional session in cookie mode', async (t) => {
  const { url } = await startApp(t);
  const client = new Client(url);
  assert.deepEqual((await client.get('/maybe')).body, { user_id: null });
  await client.post('/login', { json: { user_id: 'ivy' } });
  assert.deepEqual((await client.get('/maybe')).body, { user_id: 'ivy' });
});

test('custom refresh and logout paths, SameSite=Strict', async (t) => {
  const { url } = await startApp(t, {
    http: { refreshPath: '/api/session/refresh', sameSite: 'strict' },
    sessions: { logoutPath: '/api/session/logout' },
  });
  const client = new Client(url);
  const cookies = (await client.post('/login', { json: { user_id: 'kim' } })).cookies;
  assert.ok(cookies.sw_refresh.attributes.has('Path=/api/session/refresh'));
  assert.ok(cookies.sw_refresh.attributes.has('SameSite=Strict'));
  let csrf = frontToken(cookies.sw_front.value).csrf;
  assert.equal((await client.post('/auth/refresh', { headers: { 'x-csrf-token': csrf } })).status, 404);
  let r = await client.post('/api/session/refresh', { headers: { 'x-csrf-token': csrf } });
  assert.equal(r.status, 200, r.text);
  csrf = frontToken(r.cookies.sw_front.value).csrf;
  r = await client.post('/api/session/logout', { headers: { 'x-csrf-token': csrf } });
  assert.deepEqual([r.status, r.body], [200, { revoked: true }]);
});

test('host prefix and custom CSRF header', async (t) => {
  const { url, sessions } = await startApp(t, { http: { hostPrefix: true, csrfHeader: 'x-my-csrf' } });
  const client = new Client(url);
  const cookies = (await client.post('/login', { json: { user_id: 'lee' } })).cookies;
  const names = Object.keys(cookies).sort();
  assert.deepEqual(names, [sessions.http.accessCookie, sessions.http.frontCookie, sessions.http.refreshCookie].sort());
  assert.ok(sessions.http.accessCookie.startsWith('__Host-'));
  const csrf = frontToken(cookies[sessions.http.frontCookie].value).csrf;
  assert.equal((await client.post('/items', { headers: { 'x-csrf-token': csrf } })).status, 401);
  assert.equal((await client.post('/items', { headers: { 'x-my-csrf': csrf } })).status, 200);
  const r = await client.post('/auth/refresh', { headers: { 'x-my-csrf': csrf } });
  assert.equal(r.status, 200, r.text);
});

test('sign-in records the request metadata unless told otherwise', async (t) => {
  const { url, manager, clock } = await startApp(t, {
    extra: (app, sessions) => {
      app.post('/login-private', async (req, res) => {
        res.json(await sessions.login(res, 'max', { userAgent: null, ip: null, device: 'phone' }));
      });
    },
  });
  const headers = { 'user-agent': 'agent/1.0' };
  const recorded = (await new Client(url).post('/login', { json: { user_id: 'max' }, headers })).body;
  const bare = (await new Client(url).post('/login-private', { headers })).body;
  const session = async (body) => manager.getSession(body.session_handle, { now: clock.now });
  const [a, b] = [await session(recorded), await session(bare)];
  assert.deepEqual([a.userAgent, a.ip, a.device], ['agent/1.0', '127.0.0.1', null]);
  assert.deepEqual([b.userAgent, b.ip, b.device], [null, null, 'phone']);
});
