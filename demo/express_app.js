'use strict';
// The sessionward demo, Express edition: the same pages (demo/static/), API and settings as demo/fastapi_app.py,
// on the same SQLite file, so a session started on either server is accepted by the other.
//
//   scripts/demo --express            (or: node demo/express_app.js, after `cd node && npm ci`)
//
// Settings (environment): SESSIONWARD_DEMO_DB, SESSIONWARD_DEMO_ACCESS_TTL, SESSIONWARD_DEMO_GRACE_PERIOD,
// SESSIONWARD_DEMO_REFRESH_AHEAD (see fastapi_app.py), HOST (127.0.0.1) and PORT (3000).

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');

// This repository's Node package and its Express. In an application: require('sessionward'),
// require('sessionward/express') and require('express').
const PACKAGE = path.join(__dirname, '..', 'node');
const express = createRequire(path.join(PACKAGE, 'package.json'))('express');
const { HttpSessions, SessionManager, SqliteStore, TokenTheftError, UnauthorisedError } = require(PACKAGE);
const { sessionward } = require(path.join(PACKAGE, 'express.js'));

const STATIC = path.join(__dirname, 'static');
const BROWSER_HELPER = path.join(PACKAGE, 'browser', 'sessionward-browser.js');
const CONFIG = JSON.parse(fs.readFileSync(path.join(__dirname, 'demo.json'), 'utf8'));

function seconds(name, fallback) {
  const value = (process.env[name] ?? '').trim();
  if (value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new RangeError(`${name} must be a whole number of seconds (got ${value})`);
  return Number(value);
}

const DB_PATH = process.env.SESSIONWARD_DEMO_DB || path.join(os.tmpdir(), 'sessionward-demo', 'sessions.sqlite3');
fs.mkdirSync(path.dirname(DB_PATH), { recursive: true });
const ACCESS_TTL = seconds('SESSIONWARD_DEMO_ACCESS_TTL', 20);
const REFRESH_AHEAD = seconds('SESSIONWARD_DEMO_REFRESH_AHEAD', 5);
// Which sessions a theft verdict revoked, so that the legitimate device is told why it was signed out (the store
// deletes a revoked session, and the thief, not the victim, received the theft answer). Shared with the FastAPI
// demo; session handles are not secrets.
const THEFTS_PATH = `${DB_PATH}-thefts.jsonl`;

function recordTheft({ sessionHandle }) {
  const line = JSON.stringify({ session_handle: sessionHandle, detected_at: Math.floor(Date.now() / 1000) });
  fs.appendFileSync(THEFTS_PATH, `${line}\n`);
}

function wasStolen(sessionHandle) {
  let text;
  try {
    text = fs.readFileSync(THEFTS_PATH, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
  return text.split('\n').some((line) => line.trim() && JSON.parse(line).session_handle === sessionHandle);
}

const manager = new SessionManager({
  issuer: CONFIG.issuer,
  audience: CONFIG.audience,
  store: new SqliteStore(DB_PATH),
  accessTtl: ACCESS_TTL,
  gracePeriod: seconds('SESSIONWARD_DEMO_GRACE_PERIOD', 10),
  // One machine signs and verifies: no clock skew to allow for, and a short TTL should mean what it says.
  leeway: 0,
  frontTokenClaims: ['name'],
  onTheft: recordTheft,
});
// The demo runs on http://localhost, where browsers drop Secure cookies: secure: false is for this demo only.
// Never turn it off in production. SameSite stays Lax (the default).
const sessions = sessionward({ manager, http: new HttpSessions({ secure: false, sameSite: 'lax' }) });

const app = express();
app.disable('x-powered-by');
app.use((req, res, next) => {
  res.set({
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  });
  if (req.path.startsWith('/api/')) res.set('cache-control', 'no-store');
  next();
});
app.use(sessions.routes()); // POST /auth/refresh and POST /auth/logout

// The verified claims (req.auth), whose session the store confirms is alive: a revocation (sign-out elsewhere,
// theft) takes effect at once instead of when the access token expires.
async function liveSession(req, res, next) {
  try {
    const claims = sessions.authenticate(req);
    const session = await manager.getSession(claims.sessionHandle);
    if (session === null || session.userId !== claims.userId) {
      const { sessionHandle, userId } = claims;
      if (wasStolen(sessionHandle)) {
        const message = 'token_theft: the session was revoked after a refresh token replay';
        throw new TokenTheftError(message, { code: 'token_theft', status: 401, sessionHandle, userId });
      }
      const message = 'unauthorised: the session was revoked; sign in again';
      throw new UnauthorisedError(message, { code: 'unauthorised', status: 401, reason: 'SessionRevoked' });
    }
    req.auth = claims;
    next();
  } catch (err) {
    next(err);
  }
}

// -- pages -------------------------------------------------------------------------------------------------------

const page = (file) => (req, res) => res.sendFile(path.join(STATIC, file));
app.get('/', page('index.html'));
// A static shell: its content comes from the protected API, which is where the session is checked.
app.get('/app', page('app.html'));
app.get('/sessions', page('sessions.html'));
app.get('/lib/sessionward-browser.js', (req, res) => res.type('text/javascript').sendFile(BROWSER_HELPER));
app.use('/static', express.static(STATIC));

// -- API ---------------------------------------------------------------------------------------------------------

app.get('/api/config', (req, res) => {
  res.json({
    server: 'express',
    access_ttl: ACCESS_TTL,
    refresh_ahead: REFRESH_AHEAD,
    password: CONFIG.password,
    users: Object.keys(CONFIG.users),
  });
});

app.post('/api/login', express.json({ limit: '4kb' }), async (req, res) => {
  // JSON only: a cross-site form cannot send it without a CORS preflight, so no login CSRF.
  if (!req.is('application/json')) return res.status(415).json({ detail: 'send the credentials as JSON' });
  const { username, password } = req.body ?? {};
  if (typeof username !== 'string' || typeof password !== 'string') {
    return res.status(400).json({ detail: 'send {"username": ..., "password": ...}' });
  }
  const known = Object.hasOwn(CONFIG.users, username);
  // Constant-time comparison (of digests, which have equal lengths), and one answer for unknown users and
  // wrong passwords.
  const digest = (text) => crypto.createHash('sha256').update(text).digest();
  if (!(crypto.timingSafeEqual(digest(password), digest(CONFIG.password)) && known)) {
    return res.status(401).json({ detail: 'unknown user or wrong password' });
  }
  res.json(await sessions.login(res, username, { req, accessClaims: { name: CONFIG.users[username] } }));
});

app.get('/api/me', liveSession, (req, res) => {
  const claims = req.auth;
  res.json({
    user_id: claims.userId,
    name: claims.get('name'),
    server: 'express',
    issued_at: claims.issuedAt,
    expires_at: claims.expiresAt,
  });
});

app.get('/api/sessions', liveSession, async (req, res) => {
  const current = req.auth.sessionHandle;
  const rows = await manager.listSessions(req.auth.userId);
  res.json({
    sessions: rows.map((s) => ({
      handle: s.handle,
      current: s.handle === current,
      user_agent: s.userAgent,
      ip: s.ip,
      created_at: s.createdAt,
      refreshed_at: s.refreshedAt,
      idle_expires_at: s.idleExpiresAt,
    })),
  });
});

app.post('/api/sessions/revoke-others', liveSession, async (req, res) => {
  res.json({ revoked: await manager.revokeAll(req.auth.userId, { keep: req.auth.sessionHandle }) });
});

app.post('/api/sessions/:handle/revoke', liveSession, async (req, res) => {
  const session = await manager.getSession(req.params.handle);
  // Someone else's handle answers exactly like an unknown one.
  if (session === null || session.userId !== req.auth.userId) {
    return res.status(404).json({ detail: 'no such session' });
  }
  res.json({ revoked: await manager.revoke(req.params.handle) });
});

app.use(sessions.errorHandler());

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 3000);
const server = app.listen(port, host, () => {
  console.log(`sessionward demo (Express) on http://${host}:${server.address().port}/  (SQLite: ${DB_PATH})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections(); // browsers keep idle connections open
  });
}
