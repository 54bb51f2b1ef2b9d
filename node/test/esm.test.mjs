// The ESM entry point exports the same objects as the CommonJS one.
import test from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import sessionward, { SessionManager, MemoryStore, SessionwardError, ERROR_CODES, version } from 'sessionward'

const require = createRequire(import.meta.url)

test('import { ... } from "sessionward" works and matches require()', () => {
  const cjs = require('sessionward')
  assert.strictEqual(SessionManager, cjs.SessionManager)
  assert.strictEqual(SessionwardError, cjs.SessionwardError)
  assert.strictEqual(sessionward, cjs)
  assert.deepStrictEqual(Object.keys(sessionward).sort(), Object.keys(cjs).sort())
  assert.strictEqual(ERROR_CODES.length, 7)
  assert.strictEqual(typeof version, 'string')
  const m = new SessionManager({ issuer: 'https://i.example', audience: 'api', store: new MemoryStore() })
  const issued = m.createSessionSync('user-1')
  assert.strictEqual(m.verify(issued.accessToken).userId, 'user-1')
})
