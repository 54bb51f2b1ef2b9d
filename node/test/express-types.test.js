'use strict';
// express.d.ts type-checks ordinary Express code and refuses misuse (test/helpers/express-typing.ts), with the
// TypeScript of the dev dependencies, against @types/express and the package's own index.d.ts.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

test('express.d.ts type-checks (tsc --strict)', { skip: !fs.existsSync(tsc) && 'typescript is not installed' }, () => {
  const result = spawnSync(
    process.execPath,
    [
      tsc,
      '--noEmit',
      '--strict',
      '--target', 'es2022',
      '--module', 'nodenext',
      '--moduleResolution', 'nodenext',
      '--esModuleInterop',
      '--types', 'node',
      path.join(__dirname, 'helpers', 'express-typing.ts'),
    ],
    { cwd: root, encoding: 'utf8' },
  );
  assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
});
