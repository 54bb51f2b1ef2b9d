'use strict'
// Every store on a real backend: a SQLite file shared by two managers, and PostgreSQL and Redis servers
// (skipped when unreachable, failing instead under SESSIONWARD_REQUIRE_SERVICES=1).

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { sw, ISSUER, AUDIENCE, NOW, tempDir, uniqueName, openOrSkip, rejects, POSTGRES_URL, REDIS_URL } = require('./helpers/common')

function managerOn(store, options = {}) {
  return new sw.SessionManager({ issuer: ISSUER, audience: AUDIENCE, store, now: NOW, ...options })
}

/** Two managers (two app instances) on one store: shared keys, shared sessions, one rotation chain. */
async function journey(openStore) {
  const one = managerOn(openStore())
  const two = managerOn(openStore())
  // The second instance loaded the ring the first one created: same JWKS.
  assert.deepStrictEqual(two.jwks(), one.jwks())

  const issued = await one.createSession('user-1', { data: { n: 1 }, userAgent: 'ua', now: NOW })
  assert.strictEqual(two.verify(issued.accessToken, { now: NOW + 1 }).userId, 'user-1')
  const { session } = await two.verifyWithStore(issued.accessToken, { now: NOW + 1 })
  assert.deepStrictEqual(session.data, { n: 1 })

  const next = await two.refresh(issued.refreshToken, { now: NOW + 10 })
  // The retry lands on the other instance and converges on the same successor.
  const retry = await one.refresh(issued.refreshToken, { now: NOW + 11 })
  assert.strictEqual(retry.refreshToken, next.refreshToken)

  await one.updateSessionData(issued.session.handle, { n: 2 }, { now: NOW + 12 })
  assert.deepStrictEqual((await two.getSession(issued.session.handle, { now: NOW + 12 })).data, { n: 2 })
  assert.strictEqual(two.listSessionsSync('user-1', { now: NOW + 12 }).length, 1)

  // A rotation on one instance is seen by the other after a sync.
  const kid = await one.rotateKeys({ now: NOW + 20 })
  await two.syncKeys()
  assert.ok(two.jwks().keys.some((k) => k.kid === kid))

  // Theft detected on one instance ends the session for both.
  const theft = await rejects(assert, () => two.refresh(issued.refreshToken, { now: NOW + 500 }), 'token_theft')
  assert.strictEqual(theft.sessionHandle, issued.session.handle)
  await rejects(assert, () => one.verifyWithStore(next.accessToken, { now: NOW + 501 }), 'unauthorised')

  one.createSessionSync('user-1', { now: NOW })
  assert.strictEqual(await two.revokeAll('user-1'), 1)
  assert.strictEqual(await one.purgeExpired({ now: NOW }), 0)
}

test('SqliteStore: a file shared by two managers', async (t) => {
  const file = path.join(tempDir(t), 'sessions.sqlite3')
  const store = new sw.SqliteStore(file)
  assert.strictEqual(store.path, file)
  await journey(() => new sw.SqliteStore(file))
  assert.ok(fs.statSync(file).size > 0)
})

test('SqliteStore: ":memory:" is private to its store', () => {
  const m = managerOn(new sw.SqliteStore(':memory:'))
  const issued = m.createSessionSync('user-1', { now: NOW })
  assert.strictEqual(m.verify(issued.accessToken, { now: NOW }).userId, 'user-1')
})

test('SqliteStore: an unusable path is store_unavailable', () => {
  assert.throws(() => new sw.SqliteStore('/proc/no-such-dir/x.sqlite3'), { code: 'store_unavailable', status: 503 })
})

test('PostgresStore: the journey on a real server', async (t) => {
  const prefix = uniqueName('swn_')
  const open = () => new sw.PostgresStore(POSTGRES_URL, { tablePrefix: prefix, poolSize: 2, connectTimeout: 3, statementTimeout: 5 })
  const store = openOrSkip(t, 'PostgreSQL', open)
  if (!store) return
  assert.strictEqual(store.tablePrefix, prefix)
  assert.strictEqual(store.poolSize, 2)
  await journey(open)
  const sql = sw.PostgresStore.migrationsSql(prefix)
  assert.ok(sql.length > 0 && sql.every((s) => typeof s === 'string' && s.includes(prefix)))
  assert.throws(() => sw.PostgresStore.migrationsSql('Bad-Prefix'), (err) => err.code === 'invalid_argument' || err.code === 'bad_configuration')
})

test('PostgresStore: an unreachable server is store_unavailable and names no password', () => {
  assert.throws(
    () => new sw.PostgresStore('postgres://app:hunter2-secret@127.0.0.1:1/db', { connectTimeout: 1 }),
    (err) => err.code === 'store_unavailable' && !err.message.includes('hunter2-secret'),
  )
})

test('RedisStore: the journey on a real server', async (t) => {
  const prefix = uniqueName('swn:')
  const open = () => new sw.RedisStore(REDIS_URL, { keyPrefix: prefix, poolSize: 2, timeout: 3 })
  const store = openOrSkip(t, 'Redis', open)
  if (!store) return
  assert.strictEqual(store.keyPrefix, prefix)
  assert.strictEqual(store.poolSize, 2)
  await journey(open)
})

const REDIS_CLUSTER_NODES = (
  process.env.SESSIONWARD_REDIS_CLUSTER_NODES || 'redis://127.0.0.1:7101,redis://127.0.0.1:7102,redis://127.0.0.1:7103'
).split(',')

test('RedisClusterStore: the journey on a real cluster (scripts/start-redis-cluster)', async (t) => {
  const prefix = uniqueName('swn:')
  const open = () => new sw.RedisClusterStore(REDIS_CLUSTER_NODES, { keyPrefix: prefix, poolSize: 2, timeout: 3 })
  const store = openOrSkip(t, 'Redis Cluster', open)
  if (!store) return
  assert.strictEqual(store.keyPrefix, prefix)
  assert.strictEqual(store.poolSize, 2)
  await journey(open)
})

test('RedisClusterStore: bad nodes are refused before connecting; an unreachable node names no password', () => {
  assert.throws(() => new sw.RedisClusterStore('redis://127.0.0.1:7101'), { name: 'TypeError', code: 'invalid_argument' })
  assert.throws(() => new sw.RedisClusterStore([]), { name: 'RangeError', code: 'invalid_argument' })
  assert.throws(
    () => new sw.RedisClusterStore(['redis://:hunter2-secret@127.0.0.1:1'], { timeout: 1 }),
    (err) => err.code === 'store_unavailable' && !err.message.includes('hunter2-secret'),
  )
})
