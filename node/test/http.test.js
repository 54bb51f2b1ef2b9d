'use strict'
// HttpSessions in cookie, header and both modes with CSRF, behind a real node:http server, plus the
// cookie attributes it sets.

const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const { sw, manager } = require('./helpers/common')

/** A tiny app on node:http: /login, /me, /auth/refresh, /logout, answering errors as { error, message }. */
async function serve(t, options) {
  const m = manager({ now: undefined })
  const sessions = new sw.HttpSessions({ secure: false, ...options })
  const server = http.createServer(async (req, res) => {
    const body = await new Promise((resolve) => {
      let text = ''
      req.on('data', (c) => (text += c))
      req.on('end', () => resolve(text ? JSON.parse(text) : {}))
    })
    const request = {
      method: req.method,
      cookie: req.headers.cookie,
      authorization: req.headers.authorization,
      csrf: sessions.csrfHeader ? req.headers[sessions.csrfHeader] : undefined,
      bodyToken: body.refresh_token,
    }
    const send = (status, json, cookies = []) => {
      if (cookies.length) res.setHeader('set-cookie', cookies)
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json))
    }
    try {
      if (req.url === '/login') {
        const issued = await m.createSession(body.user)
        return send(200, sessions.mode === 'cookie' ? {} : issued.toJSON(), sessions.sessionCookies(issued))
      }
      if (req.url === '/me') {
        const claims = sessions.authenticate(m, request)
        return send(200, { user: claims.userId })
      }
      if (req.url === '/auth/refresh') {
        const issued = await sessions.refresh(m, request)
        return send(200, sessions.mode === 'cookie' ? {} : issued.toJSON(), sessions.sessionCookies(issued))
      }
      if (req.url === '/logout') {
        const revoked = await sessions.logout(m, request)
        return send(200, { revoked }, sessions.clearCookies())
      }
      send(404, {})
    } catch (err) {
      if (!(err instanceof sw.SessionwardError)) throw err
      send(err.status, err.toJSON())
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${server.address().port}`
  const jar = new Map()
  async function call(path, { method = 'POST', json, headers = {}, cookies = true } = {}) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
    const res = await fetch(base + path, {
      method,
      headers: { ...(cookies && cookie ? { cookie } : {}), ...(json ? { 'content-type': 'application/json' } : {}), ...headers },
      body: json ? JSON.stringify(json) : undefined,
    })
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const [name, value] = pair.split('=')
      if (value === '' || /Max-Age=0/i.test(line)) jar.delete(name)
      else jar.set(name, value)
    }
    return { status: res.status, body: await res.json(), setCookies: res.headers.getSetCookie() }
  }
  return { m, sessions, call, jar }
}

function frontCsrf(jar, sessions) {
  return JSON.parse(Buffer.from(jar.get(sessions.frontCookie), 'base64url')).csrf
}

test('cookie mode: httpOnly cookies, double-submit CSRF on state-changing requests', async (t) => {
  const { sessions, call, jar } = await serve(t, { mode: 'cookie' })
  assert.strictEqual(sessions.mode, 'cookie')
  assert.strictEqual(sessions.csrfHeader, 'x-csrf-token')
  const login = await call('/login', { json: { user: 'anna' } })
  assert.strictEqual(login.status, 200)
  assert.deepStrictEqual(login.body, {})
  assert.deepStrictEqual([...jar.keys()].sort(), ['sw_access', 'sw_front', 'sw_refresh'])
  const access = login.setCookies.find((c) => c.startsWith('sw_access='))
  assert.match(access, /HttpOnly/)
  assert.match(access, /SameSite=Lax/)
  assert.match(login.setCookies.find((c) => c.startsWith('sw_refresh=')), /Path=\/auth\/refresh/)
  assert.doesNotMatch(login.setCookies.find((c) => c.startsWith('sw_front=')), /HttpOnly/)

  assert.deepStrictEqual((await call('/me', { method: 'GET' })).body, { user: 'anna' })
  // A state-changing request needs the CSRF header matching the front token.
  const forged = await call('/me', { method: 'POST' })
  assert.strictEqual(forged.status, 401)
  assert.deepStrictEqual(forged.body, {
    error: 'unauthorised',
    message: 'Not signed in, or the session is no longer valid: sign in again.',
  })
  const csrf = frontCsrf(jar, sessions)
  assert.strictEqual((await call('/me', { method: 'POST', headers: { 'x-csrf-token': 'wrong' } })).status, 401)
  assert.strictEqual((await call('/me', { method: 'POST', headers: { 'x-csrf-token': csrf } })).status, 200)

  // Refresh by cookie is CSRF-checked too.
  assert.strictEqual((await call('/auth/refresh')).status, 401)
  const oldRefresh = jar.get('sw_refresh')
  const refreshed = await call('/auth/refresh', { headers: { 'x-csrf-token': csrf } })
  assert.strictEqual(refreshed.status, 200)
  assert.notStrictEqual(jar.get('sw_refresh'), oldRefresh)

  // A cross-site sign-out without any token is refused and clears nothing.
  const anonymous = await call('/logout', { cookies: false })
  assert.strictEqual(anonymous.status, 401)
  const out = await call('/logout', { headers: { 'x-csrf-token': frontCsrf(jar, sessions) } })
  assert.deepStrictEqual(out.body, { revoked: true })
  assert.strictEqual(jar.size, 0)
  assert.strictEqual((await call('/me', { method: 'GET' })).status, 401)
})

test('header mode: bearer tokens and the refresh token in the body; no cookies, no CSRF', async (t) => {
  const { sessions, call, jar } = await serve(t, { mode: 'header' })
  assert.deepStrictEqual(sessions.clearCookies(), [])
  const login = await call('/login', { json: { user: 'ben' } })
  assert.deepStrictEqual(Object.keys(login.body).sort(), [
    'access_expires_at', 'access_token', 'front_token', 'refresh_expires_at', 'refresh_token', 'session_handle',
  ])
  assert.strictEqual(jar.size, 0)
  const bearer = { authorization: `Bearer ${login.body.access_token}` }
  assert.deepStrictEqual((await call('/me', { method: 'POST', headers: bearer })).body, { user: 'ben' })
  const refreshed = await call('/auth/refresh', { json: { refresh_token: login.body.refresh_token } })
  assert.strictEqual(refreshed.status, 200)
  assert.notStrictEqual(refreshed.body.refresh_token, login.body.refresh_token)
  // A retry with the first refresh token inside the grace window gets the same successor.
  const retry = await call('/auth/refresh', { json: { refresh_token: login.body.refresh_token } })
  assert.strictEqual(retry.body.refresh_token, refreshed.body.refresh_token)
  const missing = await call('/me', { method: 'GET' })
  assert.strictEqual(missing.status, 401)
  const out = await call('/logout', { json: { refresh_token: refreshed.body.refresh_token } })
  assert.deepStrictEqual(out.body, { revoked: true })
})

test('both mode: cookies and bodies; a bearer token needs no CSRF header', async (t) => {
  const { sessions, call, jar } = await serve(t, { mode: 'both', csrf: 'custom_header', csrfHeader: 'X-Requested-With' })
  assert.strictEqual(sessions.csrfHeader, 'x-requested-with')
  const login = await call('/login', { json: { user: 'cleo' } })
  assert.ok(login.body.access_token)
  assert.ok(jar.has('sw_access'))
  // Cookie-borne: the custom header must be present (any value).
  assert.strictEqual((await call('/me', { method: 'POST' })).status, 401)
  assert.strictEqual((await call('/me', { method: 'POST', headers: { 'x-requested-with': 'fetch' } })).status, 200)
  const bearer = { authorization: `Bearer ${login.body.access_token}` }
  assert.strictEqual((await call('/me', { method: 'POST', headers: bearer, cookies: false })).status, 200)
})

test('HttpSessions: defaults, host prefix, sync twins, access cookies', () => {
  const sessions = new sw.HttpSessions()
  assert.strictEqual(sessions.mode, 'cookie')
  assert.strictEqual(sessions.accessCookie, 'sw_access')
  assert.strictEqual(sessions.refreshCookie, 'sw_refresh')
  assert.strictEqual(sessions.frontCookie, 'sw_front')
  assert.strictEqual(sessions.refreshPath, '/auth/refresh')
  const prefixed = new sw.HttpSessions({ hostPrefix: true })
  assert.strictEqual(prefixed.accessCookie, '__Host-sw_access')
  assert.match(prefixed.refreshCookie, /^__Secure-/)
  assert.strictEqual(new sw.HttpSessions({ csrf: 'none' }).csrfHeader, null)
  assert.throws(() => new sw.HttpSessions({ sameSite: 'none', secure: false }), { code: 'bad_configuration' })

  const m = manager({ now: undefined })
  const issued = m.createSessionSync('dan')
  const cookies = sessions.sessionCookies(issued)
  assert.strictEqual(cookies.length, 3)
  assert.ok(cookies.every((c) => /Secure/.test(c)))
  const cookie = cookies.map((c) => c.split(';')[0]).join('; ')
  const csrf = issued.access.tokenId
  const claims = sessions.authenticate(m, { method: 'DELETE', cookie, csrf })
  assert.ok(claims instanceof sw.AccessClaims)
  assert.strictEqual(claims.userId, 'dan')
  const next = sessions.refreshSync(m, { cookie, csrf })
  assert.notStrictEqual(next.refreshToken, issued.refreshToken)
  const access = m.regenerateAccessTokenSync(next.session.handle)
  const accessCookies = sessions.accessCookies(access, next.session.absoluteExpiresAt)
  assert.strictEqual(accessCookies.length, 2)
  assert.ok(accessCookies.some((c) => c.startsWith(`sw_access=${access.token}`)))
  const nextCookie = sessions.sessionCookies(next).map((c) => c.split(';')[0]).join('; ')
  assert.strictEqual(sessions.logoutSync(m, { cookie: nextCookie, csrf: next.access.tokenId }), true)
  assert.throws(() => sessions.logoutSync(m, {}), { code: 'unauthorised', reason: 'Missing' })
  assert.throws(() => sessions.authenticate(m, { method: 'GET' }), { code: 'unauthorised', reason: 'Missing' })
  assert.strictEqual(sessions.clearCookies().length, 3)
})
