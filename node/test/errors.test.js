'use strict'
// Errors cross the boundary typed: stable code, HTTP status, public sentence, reason and theft fields;
// TypeError/RangeError for bad arguments; no token or secret in any message.

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { sw, NOW, manager, rejects } = require('./helpers/common')

test('ERROR_CODES and UNAUTHORISED_REASONS list the core values', () => {
  assert.deepStrictEqual(
    [...sw.ERROR_CODES],
    ['try_refresh', 'unauthorised', 'token_theft', 'invalid_claim', 'invalid_argument', 'bad_configuration', 'store_unavailable'],
  )
  assert.ok(Object.isFrozen(sw.ERROR_CODES))
  assert.deepStrictEqual([...sw.UNAUTHORISED_REASONS], [
    'Missing', 'Malformed', 'Algorithm', 'UnknownKey', 'Header', 'Signature', 'Claims', 'Csrf', 'SessionRevoked', 'SessionExpired',
  ])
  assert.strictEqual(sw.version, require('../package.json').version)
})

test('public messages are the Python package sentences, one per code', () => {
  // Read python/sessionward/errors.py: code -> public_message, so the two packages cannot drift.
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'python', 'sessionward', 'errors.py'), 'utf8')
  const python = {}
  for (const [, code, sentence] of source.matchAll(/code = "(\w+)"\n\s+status_code = \d+\n\s+public_message = "([^"]+)"/g)) {
    python[code] = sentence
  }
  assert.strictEqual(Object.keys(python).length, 7)

  const m = manager({ onTheft: () => {} })
  const issued = m.createSessionSync('user-1', { now: NOW })
  m.refreshSync(issued.refreshToken, { now: NOW + 1 })
  const seen = {}
  const record = (fn) => {
    try {
      fn()
    } catch (err) {
      seen[err.code] = err
    }
  }
  record(() => m.verify(issued.accessToken, { now: NOW + 10_000 }))
  record(() => m.verify('not-a-token', { now: NOW }))
  record(() => m.refreshSync(issued.refreshToken, { now: NOW + 500 }))
  record(() => m.verify(m.createSessionSync('u', { now: NOW }).accessToken, { now: NOW }).requireEq('role', 'admin'))
  record(() => m.createSessionSync('u', { accessClaims: { exp: 1 }, now: NOW }))
  record(() => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), accessTtl: 0 }))
  record(() => new sw.SqliteStore('/proc/no-such-dir/sessions.sqlite3'))
  assert.deepStrictEqual(Object.keys(seen).sort(), Object.keys(python).sort())
  for (const [code, err] of Object.entries(seen)) {
    assert.ok(err instanceof sw.SessionwardError, code)
    assert.ok(err instanceof Error, code)
    assert.strictEqual(err.publicMessage, python[code], code)
    assert.deepStrictEqual(err.toJSON(), { error: code, message: python[code] })
    assert.notStrictEqual(err.message, '', code)
  }
  assert.strictEqual(seen.try_refresh.status, 401)
  assert.strictEqual(seen.unauthorised.status, 401)
  assert.strictEqual(seen.token_theft.status, 401)
  assert.strictEqual(seen.invalid_claim.status, 403)
  assert.strictEqual(seen.invalid_claim.claim, 'role')
  assert.strictEqual(seen.invalid_argument.status, 400)
  assert.strictEqual(seen.bad_configuration.status, 500)
  assert.strictEqual(seen.store_unavailable.status, 503)
  assert.ok(seen.try_refresh instanceof sw.TryRefreshError)
  assert.ok(seen.unauthorised instanceof sw.UnauthorisedError)
  assert.ok(seen.invalid_claim instanceof sw.InvalidClaimError)
  assert.ok(seen.invalid_argument instanceof sw.InvalidArgumentError)
  assert.ok(seen.bad_configuration instanceof sw.ConfigurationError)
  assert.ok(seen.store_unavailable instanceof sw.StoreUnavailableError)
  assert.strictEqual(seen.unauthorised.name, 'UnauthorisedError')
})

test('every unauthorised error carries one of UNAUTHORISED_REASONS', () => {
  const m = manager()
  const issued = m.createSessionSync('user-1', { now: NOW })
  const [h, p, s] = issued.accessToken.split('.')
  const header = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url')
  const kid = JSON.parse(Buffer.from(h, 'base64url')).kid
  const cases = {
    Malformed: 'a.b',
    Signature: `${h}.${p}.${s.slice(0, -4)}AAAA`,
    UnknownKey: `${header({ alg: 'EdDSA', typ: 'at+jwt', kid: 'nope' })}.${p}.${s}`,
    Algorithm: `${header({ alg: 'HS256', typ: 'at+jwt', kid })}.${p}.${s}`,
    Header: `${header({ alg: 'EdDSA', typ: 'at+jwt', kid, jku: 'https://evil.example' })}.${p}.${s}`,
  }
  for (const [reason, token] of Object.entries(cases)) {
    const err = assert.throws(() => m.verify(token, { now: NOW }), { code: 'unauthorised' }) ?? null
    void err
    try {
      m.verify(token, { now: NOW })
    } catch (e) {
      assert.strictEqual(e.reason, reason, token)
      assert.ok(sw.UNAUTHORISED_REASONS.includes(e.reason))
    }
  }
})

test('messages never contain a token or a secret', async () => {
  const m = manager({ onTheft: () => {} })
  const issued = m.createSessionSync('user-1', { now: NOW })
  m.refreshSync(issued.refreshToken, { now: NOW + 1 })
  const secrets = [issued.accessToken, issued.refreshToken, issued.refreshToken.slice(4)]
  const errors = []
  const collect = async (fn) => {
    try {
      await fn()
    } catch (err) {
      errors.push(err)
    }
  }
  await collect(() => m.verify(issued.accessToken, { now: NOW + 10_000 }))
  await collect(() => m.verify(`${issued.accessToken}x`, { now: NOW }))
  await collect(() => m.refresh(`${issued.refreshToken}x`, { now: NOW + 2 }))
  await collect(() => m.refresh(issued.refreshToken, { now: NOW + 500 }))
  await collect(() => m.refresh(issued.refreshToken, { now: NOW + 501 }))
  // A token passed where another type is expected is not echoed either (napi's own messages would).
  await collect(() => m.verify({ token: issued.accessToken }))
  await collect(() => m.refreshSync([issued.refreshToken]))
  const secret = Buffer.alloc(40, 'k').toString()
  await collect(() => sw.Key.fromSecret(secret))
  await collect(() => sw.Key.fromPem('EdDSA', Buffer.from(`-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----`)))
  await collect(() => sw.Key.fromSecret(Buffer.alloc(8, 'k')))
  assert.strictEqual(errors.length, 10)
  for (const err of errors) {
    for (const s of [...secrets, secret, 'kkkkkkkk']) {
      assert.ok(!err.message.includes(s), `${err.code}: ${err.message}`)
      assert.ok(!String(err.stack).includes(s), `${err.code}: stack`)
    }
  }
})

test('bad argument types throw TypeError, out-of-range values RangeError, with code invalid_argument', async () => {
  const m = manager()
  const typeErrors = [
    () => m.verify(42),
    () => m.verify(undefined),
    () => m.verify('x', 'now'),
    () => m.verify('x', { now: '1700000000' }),
    () => m.createSessionSync(7),
    () => m.createSessionSync('u', { accessClaims: [1, 2] }),
    () => m.createSessionSync('u', { accessClaims: 'role=admin' }),
    () => m.createSessionSync('u', { data: () => 1 }),
    () => m.createSessionSync('u', { userAgent: 5 }),
    () => m.revokeAllSync('u', { keep: 1 }),
    () => m.updateAccessClaimsSync('h', null),
    () => new sw.SessionManager(),
    () => new sw.SessionManager({ audience: 'a' }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: {} }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), keys: ['k'] }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), onTheft: 'log' }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), sharedKeys: 'yes' }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), frontTokenClaims: 'role' }),
    () => sw.Key.generate(1),
    () => sw.Key.fromSecret('a string secret of more than 32 bytes!!'),
    () => sw.Key.fromJwk(5),
    () => new sw.SqliteStore(),
    () => new sw.HttpSessions({ secure: 'true' }),
    () => new sw.HttpSessions().authenticate({}, { method: 'GET' }),
    () => new sw.HttpSessions().authenticate(m, { cookie: 'a=b' }),
  ]
  for (const fn of typeErrors) {
    const err = assert.throws(fn, TypeError) ?? null
    void err
    try {
      fn()
    } catch (e) {
      assert.ok(e instanceof TypeError, `${fn}: ${e}`)
      assert.strictEqual(e.code, 'invalid_argument', String(fn))
      assert.strictEqual(e.status, 400)
    }
  }
  const rangeErrors = [
    () => m.verify('x', { now: NaN }),
    () => m.verify('x', { now: Infinity }),
    () => m.verify('x', { now: 1e300 }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), accessTtl: -1 }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), accessTtl: 1.5 }),
    () => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), maxDataBytes: 0 }),
    () => new sw.HttpSessions({ mode: 'cookies' }),
    () => new sw.HttpSessions({ sameSite: 'sometimes' }),
    () => new sw.HttpSessions({ csrf: 'on' }),
    () => new sw.PostgresStore('postgres://127.0.0.1:1/x', { poolSize: 0 }),
    () => new sw.RedisStore('redis://127.0.0.1:1/', { timeout: -1 }),
  ]
  for (const fn of rangeErrors) {
    try {
      fn()
      assert.fail(`no error from ${fn}`)
    } catch (e) {
      assert.ok(e instanceof RangeError, `${fn}: ${e}`)
      assert.strictEqual(e.code, 'invalid_argument', String(fn))
    }
  }
  // The promise forms validate arguments before any work: they throw synchronously, like the Sync ones.
  assert.throws(() => m.refresh(42), TypeError)
  // Configuration the core refuses is bad_configuration.
  assert.throws(() => new sw.SessionManager({ issuer: 'i', audience: 'a', store: new sw.MemoryStore(), algorithm: 'none' }), {
    code: 'bad_configuration',
  })
  assert.throws(() => sw.Key.generate('HS512'), { code: 'bad_configuration' })
  await rejects(assert, () => m.getSession('handle', { now: NOW }).then(() => m.refresh('swr_short', { now: NOW })), 'unauthorised')
})

test('invalid_claim errors name the claim', () => {
  const m = manager()
  const issued = m.createSessionSync('user-1', { accessClaims: { roles: ['reader'] }, now: NOW })
  const claims = m.verify(issued.accessToken, { now: NOW })
  assert.throws(() => claims.requireContains('roles', 'admin'), (err) => {
    assert.ok(err instanceof sw.InvalidClaimError)
    assert.strictEqual(err.claim, 'roles')
    assert.strictEqual(err.status, 403)
    return true
  })
  assert.throws(() => claims.requireEq('tier', 'gold'), { code: 'invalid_claim', claim: 'tier' })
  claims.requireContains('roles', 'reader')
  claims.requireEq('roles', ['reader'])
})
