'use strict'
// The package's `install` script: build the native addon with cargo and copy it to `sessionward.node`.
// Needs only Rust (cargo) and Node: not the napi CLI, which is a development dependency.
//
//   node scripts/build.js            release build (what `npm install` runs)
//   node scripts/build.js --debug    debug build, for quicker iteration
//
// CARGO_TARGET_DIR is honoured; by default cargo's own choice (the workspace's `target/`).

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const packageDir = path.resolve(__dirname, '..')
const workspace = path.resolve(packageDir, '..')
const manifest = path.join(workspace, 'bindings', 'node', 'Cargo.toml')
const output = path.join(packageDir, 'sessionward.node')
const debug = process.argv.includes('--debug')

function fail(message) {
  console.error(`sessionward: ${message}`)
  process.exit(1)
}

if (!fs.existsSync(manifest)) {
  fail(`the Rust sources are missing (${manifest}); install sessionward from its repository checkout`)
}

const args = ['build', '-p', 'sessionward-node', '--manifest-path', manifest, '--message-format=json-render-diagnostics']
if (!debug) args.push('--release')
if (fs.existsSync(path.join(workspace, 'Cargo.lock'))) args.push('--locked')

// stdout carries cargo's JSON messages (to find the artifact); diagnostics and progress go to stderr.
const result = spawnSync(process.env.CARGO || 'cargo', args, {
  cwd: workspace,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
})
if (result.error) {
  fail(`could not run cargo (${result.error.message}): install Rust from https://rustup.rs and retry`)
}
if (result.status !== 0) fail(`cargo build failed (exit ${result.status})`)

let library = null
for (const line of result.stdout.split('\n')) {
  if (!line.startsWith('{')) continue
  const message = JSON.parse(line)
  if (message.reason === 'compiler-artifact' && message.target.name === 'sessionward_node') {
    library = message.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || library
  }
}
if (!library) fail('cargo did not report the sessionward_node library')

// Copy to a temporary name and rename, so a running process never loads a half-written file.
const temporary = `${output}.${process.pid}.tmp`
fs.copyFileSync(library, temporary)
fs.renameSync(temporary, output)
console.error(`sessionward: built ${path.relative(process.cwd(), output) || output}`)
