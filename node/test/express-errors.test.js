'use strict';
// errorHandler(): each error code's status, JSON body and headers, the cookie-clearing rules, logging, and
// errors that are not sessionward's passed on (python/sessionward/_web.py error_response).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const sessionwardNative = require('sessionward');
const expressSessions = require('sessionward/express');
const { Client, tempDir } = require('./helpers/express-http');
const { startApp, ISSUER, AUDIENCE } = require('./helpers/express-app');
const { error, pythonPublicMessages, PYTHON_PUBLIC_MESSAGES } = require('./helpers/express-expect');

const { SessionManager, HttpSessions, MemoryStore, SqliteStore, Key, ERROR_CODES } = sessionwardNative;
const { sessionward, clearsCookies, STATUS_BY_CODE, PUBLIC_MESSAGES, isSessionwardError } = expressSessions;

/** Real native errors of every code, made by the native API itself. */
async function nativeErrors(t) {
  const manager = new SessionManager({ issuer: ISSUER, audience: AUDIENCE, store: new MemoryStore() });
  const issued = await manager.createSession('uma', { accessClaims: { role: 'user' } });
  const caught = async (fn) => {
    try {
      await fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  };
  const errors = {
    try_refresh: await caught(() => manager.verify(issued.accessToken, { now: issued.access.expiresAt + 3600 })),
    unauthorised: await caught(() => manager.verify('garbage')),
    invalid_claim: await caught(() => manager.verify(issued.accessToken).requireEq('role', 'admin')),
    invalid_argument: await caught(() => manager.createSession('uma', { accessClaims: { sub: 'root' } })),
    bad_configuration: await caught(() => Key.fromSecret(Buffer.alloc(8))),
    store_unavailable: await caught(() => brokenStoreCall(t)),
  };
  // Theft: the first refresh token replayed after the grace window.
  const first = issued.refreshToken;
  const now = Math.floor(Date.now() / 1000);
  await manager.refresh(first, { now });
  errors.token_theft = await caught(() => manager.refresh(first, { now: now + 61 }));
  return errors;
}

/** A store call failing for real: the SQLite store's file is not a database. */
async function brokenStoreCall(t) {
  const dir = tempDir(t);
  const file = path.join(dir, 'broken.db');
  fs.writeFileSync(file, 'this is not a SQLite database, it is plain text that fills the header page');
  const store = new SqliteStore(file);
  const manager = new SessionManager({ issuer: ISSUER, audience: AUDIENCE, store });
  return manager.createSession('uma');
}

test('native errors carry the codes, statuses and public messages of the Python package', async (t) => {
  const errors = await nativeErrors(t);
  assert.deepEqual(Object.keys(errors).sort(), [...ERROR_CODES].sort());
  for (const [code, err] of Object.entries(errors)) {
    assert.equal(err.code, code, `${code}: ${err.message}`);
    assert.equal(err.status, STATUS_BY_CODE[code], code);
    assert.equal(err.publicMessage, PYTHON_PUBLIC_MESSAGES[code], code);
    assert.ok(isSessionwardError(err), code);
  }
  assert.deepEqual({ ...PUBLIC_MESSAGES }, PYTHON_PUBLIC_MESSAGES);
  const fromPython = pythonPublicMessages();
  if (fromPython === null) t.diagnostic('python/sessionward/errors.py not found: compared with the copy only');
  else assert.deepEqual(fromPython, PYTHON_PUBLIC_MESSAGES);
});

test('errorHandler answers every code with its status, body and headers', async (t) => {
  let errors;
  for (const mode of ['cookie', 'header', 'both']) {
    const { url, logger } = await startApp(t, {
      http: { mode },
      extra: (app) => app.get('/raise/:code', (req) => {
        throw errors[req.params.code];
      }),
    });
    errors ??= await nativeErrors(t);
    const client = new Client(url);
    for (const code of ERROR_CODES) {
      const r = await client.get(`/raise/${code}`);
      assert.deepEqual([r.status, r.body], [STATUS_BY_CODE[code], error(code)], `${mode} ${code}`);
      assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(r.headers.get('cache-control'), 'no-store');
      const expectedChallenge =
        mode === 'cookie'
          ? null
          : STATUS_BY_CODE[code] === 401
            ? 'Bearer error="invalid_token"'
            : code === 'invalid_claim'
              ? 'Bearer error="insufficient_scope"'
              : null;
      assert.equal(r.headers.get('www-authenticate'), expectedChallenge, `${mode} ${code}`);
      const cleared = mode !== 'header' && (code === 'token_theft' || code === 'unauthorised');
      const names = cleared ? ['sw_access', 'sw_front', 'sw_refresh'] : [];
      assert.deepEqual(Object.keys(r.cookies).sort(), names, `${mode} ${code}`);
      // The body carries the public sentence only: no handle, user, reason or store detail.
      assert.ok(!r.text.includes('uma') && !r.text.includes('broken.db'), r.text);
    }
    // Server-side failures are logged as errors with their full message, theft as a warning.
    assert.equal(logger.lines.error.length, 2);
    assert.match(logger.lines.error.join('\n'), /^sessionward store_unavailable: /m);
    assert.match(logger.lines.error.join('\n'), /^sessionward bad_configuration: /m);
    assert.deepEqual(logger.lines.warn, [`sessionward: ${errors.token_theft.message}`]);
  }
});

test('clearsCookies follows the Python table', () => {
  const cases = [
    [{ code: 'token_theft' }, true],
    [{ code: 'unauthorised', reason: 'SessionRevoked' }, true],
    [{ code: 'unauthorised', reason: 'SessionExpired' }, true],
    [{ code: 'unauthorised', reason: 'Signature' }, true],
    [{ code: 'unauthorised', reason: 'Malformed' }, true],
    [{ code: 'unauthorised', reason: 'Missing' }, false],
    [{ code: 'unauthorised', reason: 'Csrf' }, false],
    [{ code: 'unauthorised', reason: 'UnknownKey' }, false],
    [{ code: 'try_refresh' }, false],
    [{ code: 'invalid_claim' }, false],
    [{ code: 'store_unavailable' }, false],
  ];
  for (const [fields, clears] of cases) assert.equal(clearsCookies(Object.assign(new Error('x'), fields)), clears);
  assert.ok(sessionwardNative.UNAUTHORISED_REASONS.includes('Missing'));
  assert.ok(sessionwardNative.UNAUTHORISED_REASONS.includes('Csrf'));
  assert.ok(sessionwardNative.UNAUTHORISED_REASONS.includes('UnknownKey'));
});

test('errorResponse headers match the Python facade', async (t) => {
  const errors = await nativeErrors(t);
  const manager = new SessionManager({ issuer: ISSUER, audience: AUDIENCE, store: new MemoryStore() });
  const cookie = sessionward({ manager, http: new HttpSessions() }).errorResponse(errors.token_theft);
  assert.equal(cookie.status, 401);
  const clearing = new HttpSessions().clearCookies().map((value) => ['set-cookie', value]);
  assert.equal(clearing.length, 3);
  assert.deepEqual(cookie.headers, [['cache-control', 'no-store'], ...clearing]);
  const header = sessionward({ manager, http: new HttpSessions({ mode: 'header' }) }).errorResponse(errors.token_theft);
  assert.deepEqual(header.headers, [
    ['cache-control', 'no-store'],
    ['www-authenticate', 'Bearer error="invalid_token"'],
  ]);
  const claim = sessionward({ manager, http: new HttpSessions({ mode: 'both' }) }).errorResponse(errors.invalid_claim);
  assert.equal(claim.status, 403);
  assert.deepEqual(claim.headers, [
    ['cache-control', 'no-store'],
    ['www-authenticate', 'Bearer error="insufficient_scope"'],
  ]);
});

test('a sign-in refused by the core sets no cookie and creates no session', async (t) => {
  const { url, manager, clock } = await startApp(t);
  const r = await new Client(url).post('/login', { json: { user_id: 'jo', claims: { sub: 'root' } } });
  assert.deepEqual([r.status, r.body], [400, error('invalid_argument')]);
  assert.equal(r.headers.get('set-cookie'), null);
  assert.deepEqual(await manager.listSessions('jo', { now: clock.now }), []);
});

test('errors that are not sessionward errors go on to the next error handler', async (t) => {
  const seen = [];
  const { url } = await startApp(t, {
    extra: (app) => {
      app.get('/plain', () => {
        throw new Error('boom');
      });
      // Looks like a sessionward error but is not one: must not be answered as one.
      app.get('/lookalike', () => {
        throw Object.assign(new Error('not ours'), { code: 'unauthorised', status: 401 });
      });
    },
    after: (app) => {
      app.use((err, req, res, next) => {
        if (err.message === 'boom' || err.message === 'not ours') {
          seen.push(err.message);
          return res.status(599).json({ mine: true });
        }
        next(err);
      });
    },
  });
  // The app's own handler sits after errorHandler() here: errorHandler must forward to it.
  const client = new Client(url);
  let r = await client.get('/plain');
  assert.deepEqual([r.status, r.body], [599, { mine: true }]);
  if (typeof sessionwardNative.SessionwardError === 'function') {
    r = await client.get('/lookalike');
    assert.deepEqual([r.status, r.body], [599, { mine: true }]);
  } else {
    t.diagnostic('the native module exports no SessionwardError class: look-alike errors cannot be told apart');
  }
  // Sessionward errors are still answered before reaching it.
  r = await client.get('/me');
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  assert.ok(seen.includes('boom'));
});

test('middleware never returns a promise and hands async failures to next (Express 4 safe)', async (t) => {
  const errors = await nativeErrors(t);
  const dir = tempDir(t);
  const store = new SqliteStore(path.join(dir, 's.db'));
  const manager = new SessionManager({ issuer: ISSUER, audience: AUDIENCE, store });
  const sessions = sessionward({ manager, http: new HttpSessions({ mode: 'header' }), logger: null });
  const issued = await manager.createSession('val');
  await manager.revoke(issued.session.handle);
  const request = (headers) => ({ method: 'GET', headers, socket: {}, body: undefined });
  const response = () => ({ headersSent: false, req: undefined });
  const call = (middleware, req) =>
    new Promise((resolve) => {
      const returned = middleware(req, response(), (err) => resolve({ err }));
      assert.equal(returned, undefined);
    });

  // A store-touching middleware whose store read fails (the session was revoked): next(err).
  let { err } = await call(sessions.requireLiveSession(), request({ authorization: `Bearer ${issued.accessToken}` }));
  assert.equal(err.code, 'unauthorised');
  assert.equal(err.reason, 'SessionRevoked');
  assert.ok(isSessionwardError(err));
  ({ err } = await call(sessions.requireSession(), request({})));
  assert.deepEqual([err.code, err.reason], ['unauthorised', 'Missing']);
  ({ err } = await call(sessions.optionalSession(), request({})));
  assert.equal(err, undefined);
  // The error handler forwards what it does not own.
  const forwarded = await new Promise((resolve) =>
    sessions.errorHandler()(new Error('x'), request({}), response(), resolve),
  );
  assert.equal(forwarded.message, 'x');
  // An answer already started cannot carry an error response: forwarded too.
  const started = await new Promise((resolve) =>
    sessions.errorHandler()(errors.unauthorised, request({}), { headersSent: true }, resolve),
  );
  assert.equal(started, errors.unauthorised);
});

test('constructor arguments are checked', () => {
  const manager = new SessionManager({ issuer: ISSUER, audience: AUDIENCE, store: new MemoryStore() });
  assert.throws(() => sessionward(), TypeError);
  assert.throws(() => sessionward({ manager: {} }), TypeError);
  assert.throws(() => sessionward({ manager, now: 5 }), TypeError);
  assert.throws(() => sessionward({ manager, logoutPath: 'logout' }), TypeError);
  const sessions = sessionward({ manager });
  assert.equal(sessions.refreshPath, '/auth/refresh');
  assert.equal(sessions.logoutPath, '/auth/logout');
  assert.equal(sessions.http.mode, 'cookie');
  assert.equal(sessions.usesCookies, true);
  assert.equal(sessions.returnsTokens, false);
});

test('the ESM entry exports the same functions', async () => {
  const esm = await import('sessionward/express');
  assert.equal(esm.sessionward, sessionward);
  assert.equal(esm.default, expressSessions);
  for (const name of Object.keys(expressSessions)) assert.equal(esm[name], expressSessions[name], name);
});
