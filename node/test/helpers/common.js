'use strict'
// Shared by the tests: managers on a fixed clock, temporary files, and the real-server switches.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const crypto = require('node:crypto')
const sw = require('../..')

const ISSUER = 'https://auth.example.com'
const AUDIENCE = 'example-api'
const NOW = 1_700_000_000
const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256']

/** A manager on a memory store whose clock starts at NOW; extra options override. */
function manager(options = {}) {
  return new sw.SessionManager({ issuer: ISSUER, audience: AUDIENCE, store: new sw.MemoryStore(), now: NOW, ...options })
}

/** A fresh temporary directory, removed when the test ends. */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionward-node-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A unique name per test run, so parallel runs against one server do not collide. */
function uniqueName(prefix) {
  return `${prefix}${process.pid}_${crypto.randomBytes(4).toString('hex')}_`
}

const requireServices = process.env.SESSIONWARD_REQUIRE_SERVICES === '1'
const POSTGRES_URL = process.env.SESSIONWARD_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.SESSIONWARD_REDIS_URL || 'redis://127.0.0.1:6379/'

/**
 * Open a server-backed store, or skip the test with a clear message when the server is unreachable (fail
 * instead when SESSIONWARD_REQUIRE_SERVICES=1, as in CI).
 */
function openOrSkip(t, what, open) {
  try {
    return open()
  } catch (err) {
    if (err.code !== 'store_unavailable' || requireServices) throw err
    t.skip(`${what} unreachable (${err.message}); set SESSIONWARD_REQUIRE_SERVICES=1 to make this a failure`)
    return null
  }
}

/** Assert that `fn` throws (or rejects with) an error with this code, and return it. */
async function rejects(assert, fn, code) {
  let error = null
  try {
    await fn()
  } catch (err) {
    error = err
  }
  assert.ok(error, `expected an error with code ${code}`)
  assert.strictEqual(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`)
  return error
}

module.exports = {
  sw,
  ISSUER,
  AUDIENCE,
  NOW,
  ALGORITHMS,
  manager,
  tempDir,
  uniqueName,
  openOrSkip,
  rejects,
  POSTGRES_URL,
  REDIS_URL,
}
