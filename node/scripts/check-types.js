'use strict'
// index.d.ts is generated from the Rust doc comments by the napi CLI and committed. This script regenerates
// it into a temporary directory and fails if the committed file differs; with --write it replaces it.
// Then it type-checks index.d.ts, errors.d.ts and test/types-check.ts (every public call) with tsc.
//
//   node scripts/check-types.js           check (CI)
//   node scripts/check-types.js --write   regenerate index.d.ts

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const packageDir = path.resolve(__dirname, '..')
const workspace = path.resolve(packageDir, '..')
const committed = path.join(packageDir, 'index.d.ts')
const write = process.argv.includes('--write')

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionward-dts-'))
try {
  const cli = require.resolve('@napi-rs/cli/package.json', { paths: [packageDir] })
  const bin = path.join(path.dirname(cli), 'dist', 'cli.js')
  const targetDir = process.env.CARGO_TARGET_DIR || path.join(workspace, 'target')
  const args = [
    bin,
    'build',
    '--manifest-path',
    path.join(workspace, 'bindings', 'node', 'Cargo.toml'),
    '--package-json-path',
    path.join(packageDir, 'package.json'),
    '--cwd',
    packageDir,
    '--target-dir',
    targetDir,
    '--output-dir',
    out,
    '--dts',
    'index.d.ts',
  ]
  const result = spawnSync(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) {
    console.error(`check-types: napi build failed (exit ${result.status})`)
    process.exit(1)
  }
  const fresh = fs.readFileSync(path.join(out, 'index.d.ts'), 'utf8')
  if (write) {
    fs.writeFileSync(committed, fresh)
    console.log('check-types: wrote index.d.ts')
  } else if (!fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== fresh) {
    const copy = path.join(os.tmpdir(), 'sessionward-index.d.ts')
    fs.writeFileSync(copy, fresh)
    console.error(`check-types: index.d.ts is stale; compare with ${copy}, or run \`npm run types\` and commit`)
    process.exit(1)
  } else {
    console.log('check-types: index.d.ts is up to date')
  }
} finally {
  fs.rmSync(out, { recursive: true, force: true })
}

// Then the declarations in use: test/types-check.ts calls every public API (strict, isolatedModules).
const tsc = path.join(path.dirname(require.resolve('typescript/package.json', { paths: [packageDir] })), 'bin', 'tsc')
const typed = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'test/tsconfig.json', '--pretty', 'false'], {
  cwd: packageDir,
  stdio: 'inherit',
})
if (typed.status !== 0) {
  console.error('check-types: tsc found errors (above)')
  process.exit(1)
}
console.log('check-types: index.d.ts, errors.d.ts and test/types-check.ts type-check')
