'use strict';
// What the Python integrations answer (python/sessionward/errors.py and _web.py), written out independently of
// node/express.js so that a drift in either shows up as a failing test.

const fs = require('node:fs');
const path = require('node:path');

const PYTHON_PUBLIC_MESSAGES = {
  try_refresh: 'The access token has expired: refresh the session and retry.',
  unauthorised: 'Not signed in, or the session is no longer valid: sign in again.',
  token_theft: 'The session was ended because a refresh token was used twice: sign in again.',
  invalid_claim: 'The session does not grant access to this resource.',
  invalid_argument: 'The request was refused as malformed.',
  bad_configuration: "The server's session configuration is invalid.",
  store_unavailable: 'The session store is unavailable: retry later.',
};

const LEEWAY = 30; // SessionManager's default leeway
const GRACE = 60; // SessionManager's default gracePeriod
const CLEARED = ['Max-Age=0', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'Secure', 'SameSite=Lax'];

/** The JSON body of an error response with `code`. */
function error(code) {
  return { error: code, message: PYTHON_PUBLIC_MESSAGES[code] };
}

/** `{code: public_message}` read from the Python package's errors.py, or null outside the repository. */
function pythonPublicMessages() {
  const file = path.join(__dirname, '..', '..', '..', 'python', 'sessionward', 'errors.py');
  if (!fs.existsSync(file)) return null;
  const source = fs.readFileSync(file, 'utf8');
  const out = {};
  const pattern = /code = "([a-z_]+)"\n\s+status_code = \d+\n\s+public_message = "([^"]+)"/g;
  for (const [, code, message] of source.matchAll(pattern)) out[code] = message;
  return out;
}

module.exports = { PYTHON_PUBLIC_MESSAGES, LEEWAY, GRACE, CLEARED, error, pythonPublicMessages };
