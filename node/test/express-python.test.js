'use strict';
// The wire format of sessionward/express against the Python package's own facade (python/sessionward/_web.py),
// run side by side: error statuses, bodies and headers (cookie deletions included) for every code, reason and
// transport mode; the keys of the sign-in body; the refresh-body rules. Needs the repository's Python venv with
// sessionward installed (scripts/test-all builds it first; SESSIONWARD_PYTHON names another interpreter); skipped
// with a message otherwise, and failed instead when SESSIONWARD_REQUIRE_SERVICES=1 (CI).

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const native = require('sessionward');
const { sessionward, parseRefreshBody, PUBLIC_MESSAGES, STATUS_BY_CODE } = require('sessionward/express');

const PYTHON = process.env.SESSIONWARD_PYTHON || path.join(__dirname, '..', '..', '.venv', 'bin', 'python');

const PY_SCRIPT = String.raw`
import json, logging, sys
import sessionward
from sessionward import errors as e
from sessionward._web import Sessionward, parse_refresh_body

logging.getLogger("sessionward").addHandler(logging.NullHandler())
logging.getLogger("sessionward").propagate = False
spec = json.load(sys.stdin)
classes = {
    "try_refresh": lambda r: e.TryRefreshError("m"),
    "unauthorised": lambda r: e.UnauthorisedError("m", r),
    "token_theft": lambda r: e.TokenTheftError("m", "s", "u"),
    "invalid_claim": lambda r: e.InvalidClaimError("m", "role"),
    "invalid_argument": lambda r: e.InvalidArgumentError("m"),
    "bad_configuration": lambda r: e.ConfigurationError("m"),
    "store_unavailable": lambda r: e.StoreUnavailableError("m"),
}
manager = sessionward.SessionManager(issuer="https://issuer.test", audience="api.test", store=sessionward.MemoryStore())
out = {"errors": [], "login_keys": {}, "bodies": []}
for config in spec["configs"]:
    facade = Sessionward(manager, sessionward.HttpSessions(**config))
    for code, reason in spec["errors"]:
        status, body, headers = facade.error_response(classes[code](reason))
        out["errors"].append([status, body, [list(h) for h in headers]])
    out["login_keys"][config.get("mode", "cookie")] = list(facade.login_response_data(manager.create_session("u")))
for body, content_type in spec["bodies"]:
    try:
        out["bodies"].append(["token", parse_refresh_body(body.encode("latin-1"), content_type)])
    except e.SessionwardError as err:
        out["bodies"].append(["error", err.code])
print(json.dumps(out))
`;

const CONFIGS = [
  { mode: 'cookie' },
  { mode: 'header' },
  { mode: 'both' },
  { mode: 'cookie', host_prefix: true, same_site: 'strict', refresh_path: '/api/refresh' },
  { mode: 'both', domain: 'example.com', same_site: 'none', access_path: '/app' },
  { mode: 'cookie', secure: false, access_cookie: 'a', refresh_cookie: 'r', front_cookie: 'f' },
];
const REASONS = native.UNAUTHORISED_REASONS;
const ERRORS = [
  ...native.ERROR_CODES.filter((code) => code !== 'unauthorised').map((code) => [code, '']),
  ...REASONS.map((reason) => ['unauthorised', reason]),
];
const BODIES = [
  ['', 'application/json'],
  [' \n', null],
  ['{}', 'application/json'],
  ['{"refresh_token": null}', 'application/json'],
  ['{"refresh_token": "swr_a"}', 'application/json'],
  ['{"refresh_token": "swr_a"}', 'Application/JSON; charset=utf-8'],
  ['{"refresh_token": "swr_a"}', 'text/plain'],
  ['{"refresh_token": "swr_a"}', null],
  ['{"refresh_token": "swr_a"}', 'application/x-www-form-urlencoded'],
  ['refresh_token=swr_a', 'application/x-www-form-urlencoded'],
  ['{', 'application/json'],
  ['[]', 'application/json'],
  ['"swr_a"', 'application/json'],
  ['{"refresh_token": 1}', 'application/json'],
  ['\xff', 'application/json'],
  [`{}${' '.repeat(20000)}`, 'application/json'],
];

/** `{mode: 'both', host_prefix: true}` -> the Node option names. */
function nodeOptions(config) {
  const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [camel(k), v]));
}

const required = process.env.SESSIONWARD_REQUIRE_SERVICES === '1';
const skip = !fs.existsSync(PYTHON) && !required && `no Python venv at ${PYTHON} (set SESSIONWARD_PYTHON)`;

test('error responses, sign-in bodies and refresh-body rules match the Python facade', { skip }, async () => {
  const result = spawnSync(PYTHON, ['-c', PY_SCRIPT], {
    input: JSON.stringify({ configs: CONFIGS, errors: ERRORS, bodies: BODIES }),
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  const python = JSON.parse(result.stdout);

  const store = new native.MemoryStore();
  const manager = new native.SessionManager({ issuer: 'https://issuer.test', audience: 'api.test', store });
  const classes = {
    try_refresh: native.TryRefreshError,
    unauthorised: native.UnauthorisedError,
    token_theft: native.TokenTheftError,
    invalid_claim: native.InvalidClaimError,
    invalid_argument: native.InvalidArgumentError,
    bad_configuration: native.ConfigurationError,
    store_unavailable: native.StoreUnavailableError,
  };
  const node = { errors: [], login_keys: {}, bodies: [] };
  for (const config of CONFIGS) {
    const sessions = sessionward({ manager, http: new native.HttpSessions(nodeOptions(config)), logger: null });
    for (const [code, reason] of ERRORS) {
      const fields = { code, status: STATUS_BY_CODE[code], publicMessage: PUBLIC_MESSAGES[code] };
      const err = new classes[code]('m', reason ? { ...fields, reason } : fields);
      const { status, body, headers } = sessions.errorResponse(err);
      node.errors.push([status, body, headers]);
    }
    node.login_keys[config.mode] = Object.keys(sessions.loginResponseData(await manager.createSession('u')));
  }
  for (const [body, contentType] of BODIES) {
    try {
      node.bodies.push(['token', parseRefreshBody(Buffer.from(body, 'latin1'), contentType) ?? null]);
    } catch (err) {
      node.bodies.push(['error', err.code]);
    }
  }
  assert.equal(node.errors.length, CONFIGS.length * ERRORS.length);
  for (let i = 0; i < node.errors.length; i += 1) {
    const [code, reason] = ERRORS[i % ERRORS.length];
    const config = CONFIGS[Math.floor(i / ERRORS.length)];
    assert.deepEqual(node.errors[i], python.errors[i], `${JSON.stringify(config)} ${code} ${reason}`);
  }
  assert.deepEqual(node.login_keys, python.login_keys);
  assert.deepEqual(node.bodies, python.bodies);
});
