'use strict'
// A script that uses the addon (stores, promises, a theft hook) and returns exits on its own: nothing the
// addon creates keeps the event loop alive.

const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const path = require('node:path')

const SCRIPT = `
const sw = require(${JSON.stringify(path.join(__dirname, '..'))})
const path = require('node:path')
const os = require('node:os')
const store = new sw.SqliteStore(path.join(os.tmpdir(), 'sessionward-exit-' + process.pid + '.sqlite3'))
const m = new sw.SessionManager({ issuer: 'https://i.example', audience: 'api', store, onTheft: () => {} })
;(async () => {
  const issued = await m.createSession('user-1')
  const next = await m.refresh(issued.refreshToken)
  await m.listSessions('user-1')
  await m.verifyWithStore(next.accessToken)
  await m.rotateKeys()
  await m.revokeAll('user-1')
  require('node:fs').rmSync(store.path + '', { force: true })
  console.log('done')
})()
`

test('a child process using the addon exits by itself with code 0', async () => {
  const child = spawn(process.execPath, ['-e', SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  // Generous: this is a hang detector, not a timing assertion.
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])))
  clearTimeout(killer)
  assert.strictEqual(signal, null, 'the child was killed: something kept its event loop alive')
  assert.strictEqual(code, 0)
  assert.strictEqual(output.trim(), 'done')
})
