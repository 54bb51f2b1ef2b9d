'use strict';
// How the refresh and sign-out handlers read a bearer client's body: only `application/json`
// `{"refresh_token": "..."}`, at most MAX_REFRESH_BODY_BYTES, read by the handler itself or taken from a body
// parser that already ran (python/sessionward/_web.py parse_refresh_body).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const express = require('express');
const { parseRefreshBody, MAX_REFRESH_BODY_BYTES } = require('sessionward/express');
const { Client, frontToken } = require('./helpers/express-http');
const { startApp } = require('./helpers/express-app');
const { error } = require('./helpers/express-expect');

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM = 'application/x-www-form-urlencoded';

test('parseRefreshBody accepts JSON objects and empty bodies', () => {
  const cases = [
    ['', undefined],
    ['  \n', undefined],
    ['{}', undefined],
    ['{"refresh_token": null}', undefined],
    ['{"refresh_token": "swr_a"}', 'swr_a'],
  ];
  for (const [body, token] of cases) {
    assert.equal(parseRefreshBody(Buffer.from(body), 'application/json'), token, body);
    assert.equal(parseRefreshBody(Buffer.from(body), 'Application/JSON; charset=utf-8'), token, body);
  }
});

test('parseRefreshBody refuses anything else with invalid_argument', () => {
  const bodies = ['{', '[]', '"swr_a"', '{"refresh_token": 1}', Buffer.from([0xff]), `{}${' '.repeat(20000)}`];
  for (const body of bodies) {
    assert.throws(
      () => parseRefreshBody(Buffer.from(body), 'application/json'),
      (err) => err.code === 'invalid_argument' && err.status === 400,
      String(body),
    );
  }
  // A cross-site form can send these without a CORS preflight (login CSRF in "both" mode).
  for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
    assert.throws(
      () => parseRefreshBody(Buffer.from('{"refresh_token": "swr_a"}'), type),
      (err) => err.code === 'invalid_argument' && /application\/json/.test(err.message),
      String(type),
    );
  }
});

/**
 * POST `chunks` with chunked transfer encoding (no Content-Length) and never end the body: the answer must come
 * once the server has seen enough, not when the body ends.
 */
function postChunkedUnended(url, path, chunks, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(text) });
      });
    });
    req.on('error', (err) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    for (const chunk of chunks) req.write(chunk);
  });
}

for (const mode of ['header', 'both']) {
  // The timeout guards the unended-body request: a server that waits for the end of the body never answers it.
  test(`refresh and sign-out bodies in ${mode} mode`, { timeout: 20000 }, async (t) => {
    const { url, clock, manager } = await startApp(t, { http: { mode } });
    const client = new Client(url);
    const bearerClient = () => new Client(url); // no cookies
    const tokens = (await client.post('/login', { json: { user_id: 'bob' } })).body;
    const tokenBody = JSON.stringify({ refresh_token: tokens.refresh_token });

    for (const path of ['/auth/refresh', '/auth/logout']) {
      // Malformed bodies are 400 and change nothing.
      const malformed = [
        { body: '{not json', headers: JSON_TYPE },
        { json: ['swr_x'] },
        { json: { refresh_token: 5 } },
        { body: Buffer.from([0xff]), headers: JSON_TYPE },
        { body: `{"refresh_token": "${'a'.repeat(20000)}"}`, headers: JSON_TYPE },
        // Not JSON: a cross-site form could send these without a preflight.
        { body: tokenBody, headers: { 'content-type': 'text/plain' } },
        { body: `refresh_token=${tokens.refresh_token}`, headers: { 'content-type': FORM } },
        { body: tokenBody },
      ];
      for (const options of malformed) {
        const r = await bearerClient().post(path, options);
        const what = `${path} ${JSON.stringify(options).slice(0, 80)}`;
        assert.deepEqual([r.status, r.body], [400, error('invalid_argument')], what);
        assert.equal(r.headers.get('set-cookie'), null);
        assert.equal(r.headers.get('www-authenticate'), null);
      }
      // Larger than the limit without a Content-Length: refused once the limit is passed, without waiting for
      // (or buffering) the rest.
      const r = await postChunkedUnended(url, path, Array(5).fill('x'.repeat(4096)), JSON_TYPE);
      assert.deepEqual([r.status, r.body], [400, error('invalid_argument')]);
      assert.equal(r.headers.connection, 'close');
      // No token: 401 with the bare bearer challenge.
      const empty = [
        {},
        { json: {} },
        { json: { refresh_token: '' } },
        { json: { refresh_token: null } },
        { body: '  ', headers: JSON_TYPE },
      ];
      for (const options of empty) {
        const r = await bearerClient().post(path, options);
        assert.deepEqual(
          [r.status, r.body, r.headers.get('www-authenticate')],
          [401, error('unauthorised'), 'Bearer'],
          `${path} ${JSON.stringify(options)}`,
        );
      }
    }
    // Nothing above rotated or revoked the session.
    assert.notEqual(await manager.getSession(tokens.session_handle, { now: clock.now }), null);
    let r = await bearerClient().post('/auth/refresh', {
      body: tokenBody,
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.session_handle, tokens.session_handle);
    r = await bearerClient().post('/auth/logout', { json: { refresh_token: r.body.refresh_token } });
    assert.deepEqual([r.status, r.body], [200, { revoked: true }]);
    assert.ok(MAX_REFRESH_BODY_BYTES === 16384);
  });
}

test('cookie mode never reads the body', async (t) => {
  const { url } = await startApp(t);
  const client = new Client(url);
  const cookies = (await client.post('/login', { json: { user_id: 'ann' } })).cookies;
  const csrf = frontToken(cookies.sw_front.value).csrf;
  const r = await client.post('/auth/refresh', { body: '{not json', headers: { ...JSON_TYPE, 'x-csrf-token': csrf } });
  assert.equal(r.status, 200, r.text);
  const keys = ['user_id', 'session_handle', 'access_expires_at', 'refresh_expires_at', 'front_token'];
  assert.deepEqual(Object.keys(r.body), keys);
});

test('a body parser that already ran is honoured, with the same rules', async (t) => {
  const parsers = {
    json: express.json(),
    form: express.urlencoded({ extended: false }),
    text: express.text({ type: '*/*' }),
    raw: express.raw({ type: '*/*' }),
  };
  const { url } = await startApp(t, {
    http: { mode: 'header' },
    extra: (app, sessions) => {
      for (const [kind, parser] of Object.entries(parsers)) {
        app.post(`/parsed/${kind}/refresh`, parser, sessions.refreshHandler());
      }
    },
  });
  const client = new Client(url);
  let token = (await client.post('/login', { json: { user_id: 'pat' } })).body.refresh_token;

  for (const kind of ['json', 'text', 'raw']) {
    const r = await client.post(`/parsed/${kind}/refresh`, { json: { refresh_token: token } });
    assert.equal(r.status, 200, `${kind}: ${r.text}`);
    token = r.body.refresh_token;
    // The same parsers refuse a token in a non-JSON body.
    const refused = await client.post(`/parsed/${kind}/refresh`, {
      body: JSON.stringify({ refresh_token: token }),
      headers: { 'content-type': 'text/plain' },
    });
    assert.deepEqual([refused.status, refused.body], [400, error('invalid_argument')], kind);
  }
  // A form parser's object is refused: only JSON bodies carry refresh tokens.
  let r = await client.post('/parsed/form/refresh', {
    body: `refresh_token=${token}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.deepEqual([r.status, r.body], [400, error('invalid_argument')]);
  // An empty parsed body is "no token".
  r = await client.post('/parsed/json/refresh', { json: {} });
  assert.deepEqual([r.status, r.body], [401, error('unauthorised')]);
  r = await client.post('/parsed/json/refresh', { json: [token] });
  assert.deepEqual([r.status, r.body], [400, error('invalid_argument')]);
  r = await client.post('/parsed/json/refresh', { json: { refresh_token: token } });
  assert.equal(r.status, 200, r.text);
});
