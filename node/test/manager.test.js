'use strict'
// Every SessionManager call, in its Promise and Sync forms, on every algorithm.

const test = require('node:test')
const assert = require('node:assert/strict')
const { sw, ISSUER, AUDIENCE, NOW, ALGORITHMS, manager, rejects } = require('./helpers/common')

function keysFor(algorithm) {
  return algorithm === 'HS256' ? [sw.Key.fromSecret(Buffer.alloc(32, 7), 'hs-1')] : undefined
}

for (const algorithm of ALGORITHMS) {
  test(`${algorithm}: sign in, verify, refresh, revoke`, async () => {
    const m = manager({ algorithm, keys: keysFor(algorithm) })
    const issued = await m.createSession('user-1', {
      accessClaims: { role: 'admin', scope: 'read write' },
      data: { cart: [1, 2] },
      userAgent: 'test-agent',
      ip: '203.0.113.7',
      device: "Anna's phone",
      now: NOW,
    })
    assert.ok(issued instanceof sw.IssuedTokens)
    assert.match(issued.refreshToken, /^swr_/)
    assert.strictEqual(issued.accessToken, issued.access.token)
    assert.strictEqual(issued.access.expiresAt, NOW + 900)
    assert.strictEqual(JSON.parse(Buffer.from(issued.accessToken.split('.')[0], 'base64url')).alg, algorithm)

    const claims = m.verify(issued.accessToken, { now: NOW + 1 })
    assert.ok(claims instanceof sw.AccessClaims)
    assert.strictEqual(claims.userId, 'user-1')
    assert.strictEqual(claims.sessionHandle, issued.session.handle)
    assert.strictEqual(claims.tokenId, issued.access.tokenId)
    assert.strictEqual(claims.issuer, ISSUER)
    assert.deepStrictEqual(claims.audience, [AUDIENCE])
    assert.strictEqual(claims.issuedAt, NOW)
    assert.strictEqual(claims.expiresAt, NOW + 900)
    assert.deepStrictEqual(claims.claims, { role: 'admin', scope: 'read write' })
    assert.strictEqual(claims.get('role'), 'admin')
    assert.strictEqual(claims.get('absent'), undefined)
    claims.requireEq('role', 'admin')
    claims.requireContains('scope', 'write')
    assert.deepStrictEqual(claims.toJSON(), {
      role: 'admin',
      scope: 'read write',
      iss: ISSUER,
      sub: 'user-1',
      aud: [AUDIENCE],
      sid: issued.session.handle,
      jti: issued.access.tokenId,
      iat: NOW,
      exp: NOW + 900,
    })

    const session = issued.session
    assert.strictEqual(session.userId, 'user-1')
    assert.strictEqual(session.userAgent, 'test-agent')
    assert.strictEqual(session.ip, '203.0.113.7')
    assert.strictEqual(session.device, "Anna's phone")
    assert.deepStrictEqual(session.data, { cart: [1, 2] })

    const next = await m.refresh(issued.refreshToken, { now: NOW + 60 })
    assert.notStrictEqual(next.refreshToken, issued.refreshToken)
    assert.strictEqual(next.session.handle, session.handle)
    assert.strictEqual(next.session.refreshedAt, NOW + 60)
    assert.strictEqual(m.verify(next.accessToken, { now: NOW + 61 }).userId, 'user-1')
    const again = m.refreshSync(next.refreshToken, { now: NOW + 120 })
    assert.strictEqual(m.verify(again.accessToken, { now: NOW + 121 }).sessionHandle, session.handle)

    assert.strictEqual(await m.revoke(session.handle), true)
    assert.strictEqual(m.revokeSync(session.handle), false)
    await rejects(assert, () => m.refresh(again.refreshToken, { now: NOW + 130 }), 'unauthorised')
  })
}

test('verify: expired tokens say try_refresh, tampered ones unauthorised', () => {
  const m = manager()
  const issued = m.createSessionSync('user-1', { now: NOW })
  const expired = assert.throws(() => m.verify(issued.accessToken, { now: NOW + 900 + 30 }), { code: 'try_refresh' })
  void expired
  const [h, p, s] = issued.accessToken.split('.')
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${s}`
  assert.throws(() => m.verify(forged, { now: NOW }), { code: 'unauthorised', reason: 'Signature' })
  assert.throws(() => m.verify(`${h}.${p}`, { now: NOW }), { code: 'unauthorised', reason: 'Malformed' })
  // The default clock is the system's: a token minted at a fixed time in the past is expired now.
  assert.throws(() => m.verify(issued.accessToken), { code: 'try_refresh' })
})

test('AccessClaims: only verify makes them, and what they hand out is a copy', () => {
  const m = manager()
  const token = m.createSessionSync('user-1', { accessClaims: { org: { id: 7 }, tags: ['a'] }, now: NOW }).accessToken
  assert.throws(() => new sw.AccessClaims(), TypeError)
  const claims = m.verify(token, { now: NOW + 1 })
  assert.deepStrictEqual(Object.keys(claims), [])
  claims.claims.org.id = 8
  claims.get('org').id = 9
  claims.audience.push('other')
  claims.toJSON().tags.push('b')
  assert.deepStrictEqual(claims.claims, { org: { id: 7 }, tags: ['a'] })
  assert.deepStrictEqual(claims.get('org'), { id: 7 })
  assert.deepStrictEqual(claims.audience, [AUDIENCE])
  assert.throws(() => claims.get(1), { name: 'TypeError', code: 'invalid_argument' })
  assert.throws(() => claims.requireEq('org', { id: 8 }), { code: 'invalid_claim', claim: 'org' })
  claims.requireEq('org', { id: 7 })
})

test('verifyWithStore and its Sync twin see revocations', async () => {
  const m = manager()
  const issued = m.createSessionSync('user-1', { now: NOW })
  const { claims, session } = await m.verifyWithStore(issued.accessToken, { now: NOW + 1 })
  assert.ok(claims instanceof sw.AccessClaims)
  assert.strictEqual(claims.userId, 'user-1')
  assert.ok(session instanceof sw.Session)
  assert.strictEqual(session.handle, issued.session.handle)
  const verified = m.verifyWithStoreSync(issued.accessToken, { now: NOW + 1 })
  assert.ok(verified.claims instanceof sw.AccessClaims)
  assert.strictEqual(verified.claims.tokenId, issued.access.tokenId)
  assert.strictEqual(verified.session.userId, 'user-1')
  m.revokeSync(issued.session.handle)
  m.verify(issued.accessToken, { now: NOW + 2 })
  const err = await rejects(assert, () => m.verifyWithStore(issued.accessToken, { now: NOW + 2 }), 'unauthorised')
  assert.strictEqual(err.reason, 'SessionRevoked')
  assert.throws(() => m.verifyWithStoreSync(issued.accessToken, { now: NOW + 2 }), { reason: 'SessionRevoked' })
})

test('sessions: list, get, update data and claims, regenerate, revoke all', async () => {
  const m = manager({ frontTokenClaims: ['role'] })
  const a = await m.createSession('user-1', { now: NOW })
  const b = m.createSessionSync('user-1', { now: NOW + 1 })
  const c = m.createSessionSync('user-1', { now: NOW + 2 })
  m.createSessionSync('user-2', { now: NOW })

  const listed = await m.listSessions('user-1', { now: NOW + 3 })
  assert.deepStrictEqual(listed.map((s) => s.handle), [a, b, c].map((i) => i.session.handle))
  assert.strictEqual(m.listSessionsSync('user-1', { now: NOW + 3 }).length, 3)

  const got = await m.getSession(a.session.handle, { now: NOW + 3 })
  assert.strictEqual(got.handle, a.session.handle)
  assert.strictEqual(m.getSessionSync(a.session.handle, { now: NOW + 3 }).userId, 'user-1')
  assert.strictEqual(await m.getSession('no-such-session', { now: NOW }), null)
  assert.strictEqual(m.getSessionSync('no-such-session', { now: NOW }), null)

  const updated = await m.updateSessionData(a.session.handle, { theme: 'dark' }, { now: NOW + 3 })
  assert.deepStrictEqual(updated.data, { theme: 'dark' })
  assert.deepStrictEqual(m.updateSessionDataSync(a.session.handle, [1, 'two'], { now: NOW + 3 }).data, [1, 'two'])

  const withClaims = await m.updateAccessClaims(a.session.handle, { role: 'editor' }, { now: NOW + 4 })
  assert.deepStrictEqual(withClaims.accessClaims, { role: 'editor' })
  m.updateAccessClaimsSync(b.session.handle, { role: 'viewer' }, { now: NOW + 4 })

  const access = await m.regenerateAccessToken(a.session.handle, { now: NOW + 5 })
  assert.ok(access instanceof sw.AccessToken)
  assert.strictEqual(m.verify(access.token, { now: NOW + 5 }).get('role'), 'editor')
  const front = JSON.parse(Buffer.from(access.frontToken, 'base64url'))
  assert.strictEqual(front.claims.role, 'editor')
  assert.strictEqual(front.csrf, access.tokenId)
  const accessB = m.regenerateAccessTokenSync(b.session.handle, { now: NOW + 5 })
  assert.strictEqual(m.verify(accessB.token, { now: NOW + 5 }).get('role'), 'viewer')

  assert.deepStrictEqual(a.session.toJSON(), {
    handle: a.session.handle,
    user_id: 'user-1',
    created_at: NOW,
    refreshed_at: NOW,
    idle_expires_at: NOW + 14 * 86400,
    absolute_expires_at: NOW + 30 * 86400,
    access_claims: {},
    data: null,
    metadata: {},
  })

  assert.strictEqual(await m.revokeAll('user-1', { keep: a.session.handle }), 2)
  assert.strictEqual(m.revokeAllSync('user-1'), 1)
  assert.strictEqual(m.revokeAllSync('user-2'), 1)
  assert.deepStrictEqual(await m.listSessions('user-1', { now: NOW }), [])
})

test('revokeByRefreshToken, purgeExpired', async () => {
  const m = manager({ idleTimeout: 3600, absoluteLifetime: 7200 })
  const a = m.createSessionSync('user-1', { now: NOW })
  const b = m.createSessionSync('user-1', { now: NOW })
  assert.strictEqual(await m.revokeByRefreshToken(a.refreshToken), true)
  assert.strictEqual(m.revokeByRefreshTokenSync(a.refreshToken), false)
  assert.strictEqual(m.revokeByRefreshTokenSync(b.refreshToken), true)
  m.createSessionSync('user-1', { now: NOW })
  m.createSessionSync('user-1', { now: NOW })
  assert.strictEqual(await m.purgeExpired({ now: NOW + 100 }), 0)
  assert.strictEqual(await m.purgeExpired({ now: NOW + 3600 }), 2)
  m.createSessionSync('user-1', { now: NOW })
  assert.strictEqual(m.purgeExpiredSync({ now: NOW + 3600 }), 1)
})

test('refresh: the grace window converges, a replay later is theft and calls onTheft', async () => {
  const events = []
  const m = manager({ onTheft: (event) => events.push(event) })
  const first = m.createSessionSync('user-1', { now: NOW })
  const second = await m.refresh(first.refreshToken, { now: NOW + 10 })
  // A retry with the previous token inside the grace period returns the same successor.
  const retry = await m.refresh(first.refreshToken, { now: NOW + 20 })
  assert.strictEqual(retry.refreshToken, second.refreshToken)
  const third = m.refreshSync(second.refreshToken, { now: NOW + 30 })
  // The first token is two generations old now: theft.
  const err = await rejects(assert, () => m.refresh(first.refreshToken, { now: NOW + 40 }), 'token_theft')
  assert.ok(err instanceof sw.TokenTheftError)
  assert.strictEqual(err.sessionHandle, first.session.handle)
  assert.strictEqual(err.userId, 'user-1')
  assert.strictEqual(err.status, 401)
  assert.deepStrictEqual(events, [{ sessionHandle: first.session.handle, userId: 'user-1', detectedAt: NOW + 40 }])
  await rejects(assert, () => m.refresh(third.refreshToken, { now: NOW + 50 }), 'unauthorised')

  // The Sync form calls the hook too, before it throws.
  const other = m.createSessionSync('user-2', { now: NOW })
  m.refreshSync(other.refreshToken, { now: NOW + 10 })
  assert.throws(() => m.refreshSync(other.refreshToken, { now: NOW + 200 }), { code: 'token_theft' })
  assert.strictEqual(events.length, 2)
  assert.strictEqual(events[1].userId, 'user-2')
})

test('a throwing onTheft hook does not change the answer', async () => {
  const m = manager({
    onTheft: () => {
      throw new Error('hook failed')
    },
  })
  const first = m.createSessionSync('user-1', { now: NOW })
  m.refreshSync(first.refreshToken, { now: NOW + 10 })
  await rejects(assert, () => m.refresh(first.refreshToken, { now: NOW + 500 }), 'token_theft')
})

test('32 concurrent refreshes of one token get the same successor and no theft', async () => {
  const events = []
  const m = manager({ onTheft: (event) => events.push(event), gracePeriod: 60 })
  const issued = m.createSessionSync('user-1', { now: NOW })
  const results = await Promise.all(
    Array.from({ length: 32 }, () => m.refresh(issued.refreshToken, { now: NOW + 5 })),
  )
  const successors = new Set(results.map((r) => r.refreshToken))
  assert.strictEqual(successors.size, 1)
  assert.notStrictEqual([...successors][0], issued.refreshToken)
  assert.deepStrictEqual(events, [])
  // The successor still works: the chain was not broken.
  const next = await m.refresh(results[0].refreshToken, { now: NOW + 6 })
  assert.strictEqual(next.session.handle, issued.session.handle)
})

test('keys: rotate, publish ahead, revoke, sync, jwks', async () => {
  const m = manager({ publishKeysAhead: 600, keySyncInterval: 60 })
  const before = m.jwks().keys.map((k) => k.kid)
  assert.strictEqual(before.length, 1)
  const token = m.createSessionSync('user-1', { now: NOW }).accessToken
  const kid = await m.rotateKeys({ now: NOW + 10 })
  assert.deepStrictEqual(m.jwks().keys.map((k) => k.kid).sort(), [...before, kid].sort())
  // Published, not yet signing.
  const early = m.createSessionSync('user-1', { now: NOW + 20 })
  assert.strictEqual(m.verify(early.accessToken, { now: NOW + 20 }).kid, before[0])
  const later = m.createSessionSync('user-1', { now: NOW + 700 })
  assert.strictEqual(m.verify(later.accessToken, { now: NOW + 700 }).kid, kid)
  const kid2 = m.rotateKeysSync({ now: NOW + 800 })
  assert.notStrictEqual(kid2, kid)

  assert.strictEqual(await m.revokeKey(before[0], { now: NOW + 801 }), true)
  assert.throws(() => m.verify(token, { now: NOW + 802 }), { code: 'try_refresh' })
  assert.strictEqual(m.revokeKeySync('no-such-kid', { now: NOW + 802 }), false)
  await m.syncKeys()
  m.syncKeysSync()
  assert.strictEqual(m.issuer, ISSUER)
  assert.strictEqual(m.audience, AUDIENCE)
  assert.strictEqual(m.accessTtl, 900)
})

test('limits: max sessions per user, token budget, data size', async () => {
  const m = manager({ maxSessionsPerUser: 2, maxDataBytes: 64, maxAccessTokenBytes: 600 })
  const a = m.createSessionSync('user-1', { now: NOW })
  m.createSessionSync('user-1', { now: NOW + 1 })
  m.createSessionSync('user-1', { now: NOW + 2 })
  const live = m.listSessionsSync('user-1', { now: NOW + 3 })
  assert.strictEqual(live.length, 2)
  assert.ok(!live.some((s) => s.handle === a.session.handle))
  await rejects(assert, () => m.createSession('user-1', { accessClaims: { blob: 'x'.repeat(1000) }, now: NOW }), 'invalid_argument')
  await rejects(assert, () => m.createSession('user-1', { data: { blob: 'x'.repeat(100) }, now: NOW }), 'invalid_argument')
  await rejects(assert, () => m.updateAccessClaims(live[0].handle, { sub: 'admin' }, { now: NOW + 3 }), 'invalid_argument')
})
