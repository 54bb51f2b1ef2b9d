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
      '--skipLibCheck', 'false',
      '--types', 'node',
      path.join(__dirname, 'helpers', 'express-typing.ts'),
    ],
    { cwd: root, encoding: 'utf8' },
  );
  // @types/node 20.9 predates TypeScript 5.7's generic typed arrays and reports errors of its own under
  // TypeScript 5.9; any diagnostic elsewhere (express.d.ts, index.d.ts, the typing file) fails the test.
  const diagnostics = `${result.stdout}${result.stderr}`.split('\n').filter((line) => /error TS\d+/.test(line));
  const ours = diagnostics.filter((line) => !line.startsWith('node_modules/@types/node/'));
  assert.deepEqual(ours, []);
  assert.ok(result.status === 0 || diagnostics.length > 0, `${result.stdout}${result.stderr}`);
});
