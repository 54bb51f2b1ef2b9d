'use strict';
// The Express app the integration tests drive: every part of sessionward/express on real routes, a manager on a
// memory or SQLite store, and a fake clock handed to both.

const path = require('node:path');
const express = require('express');
const { SessionManager, HttpSessions, MemoryStore, SqliteStore } = require('sessionward');
const { sessionward } = require('sessionward/express');
const { Clock, listen, tempDir } = require('./express-http');

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api.test';

/** A store of `kind` ('memory' or 'sqlite', the latter on a temp file removed after `t`). */
function makeStore(t, kind) {
  if (kind === 'memory') return new MemoryStore();
  return new SqliteStore(path.join(tempDir(t), 'sessions.db'));
}

/** Records log lines by level. */
function captureLogger() {
  const lines = { error: [], warn: [], debug: [] };
  return {
    lines,
    error: (message) => lines.error.push(message),
    warn: (message) => lines.warn.push(message),
    debug: (message) => lines.debug.push(message),
  };
}

/**
 * The test app on `sessions`: `extra(app, sessions)` adds routes before the error handler, `after` after it;
 * `expressModule` is the Express to build it with.
 */
function makeApp(sessions, { extra, after, expressModule = express } = {}) {
  const app = expressModule();
  if (expressModule === express) {
    app.use(sessions.routes());
  } else {
    // Another Express major: mount the handlers directly (routes() builds its Router with the `express` the
    // package resolves, which here is the Express 5 of the dev dependencies).
    app.post(sessions.refreshPath, sessions.refreshHandler());
    app.post(sessions.logoutPath, sessions.logoutHandler());
  }

  // Written for Express 4 too: a rejected promise is handed to next() by hand.
  app.post('/login', expressModule.json(), (req, res, next) => {
    const { user_id: userId, claims = {}, data } = req.body;
    sessions.login(res, userId, { accessClaims: claims, data }).then((body) => res.json(body), next);
  });
  app.get('/me', sessions.requireSession(), (req, res) => {
    res.json({ user_id: req.auth.userId, jti: req.auth.tokenId, sid: req.auth.sessionHandle });
  });
  app.post('/items', sessions.requireSession(), (req, res) => res.json({ created_by: req.auth.userId }));
  app.get('/maybe', sessions.optionalSession(), (req, res) => res.json({ user_id: req.auth?.userId ?? null }));
  app.get('/admin', sessions.requireClaim('role', 'admin'), (req, res) => res.json({ admin: req.auth.userId }));
  app.get('/write', sessions.requireScope('write'), (req, res) => res.json({ writer: req.auth.userId }));
  app.get('/live', sessions.requireLiveSession(), (req, res) => {
    res.json({ user_id: req.auth.userId, data: req.authSession.data ?? null, handle: req.authSession.handle });
  });
  app.get('/cookies', (req, res) => {
    const names = (req.headers.cookie ?? '').split(';').map((p) => p.split('=')[0].trim()).filter(Boolean);
    res.json(names.sort());
  });
  if (extra) extra(app, sessions);
  app.use(sessions.errorHandler());
  if (after) after(app, sessions);
  return app;
}

/**
 * A started app: `{url, clock, manager, sessions, thefts, nextTheft(), logger}`. Options: `store` ('memory' or
 * 'sqlite'), `http` (HttpSessions options), `sessions` (more sessionward options), and the options of `makeApp`.
 */
async function startApp(t, options = {}) {
  const clock = new Clock();
  const thefts = [];
  let waiters = [];
  const manager = new SessionManager({
    issuer: ISSUER,
    audience: AUDIENCE,
    store: makeStore(t, options.store ?? 'memory'),
    now: clock.now,
    onTheft: (event) => {
      thefts.push(event);
      for (const resolve of waiters) resolve(event);
      waiters = [];
    },
  });
  const logger = captureLogger();
  const sessions = sessionward({
    manager,
    http: new HttpSessions(options.http ?? {}),
    logger,
    now: () => clock.now,
    ...(options.sessions ?? {}),
  });
  const server = await listen(makeApp(sessions, options));
  t.after(server.close);
  const nextTheft = () =>
    thefts.length ? Promise.resolve(thefts[thefts.length - 1]) : new Promise((r) => waiters.push(r));
  return { url: server.url, clock, manager, sessions, thefts, nextTheft, logger };
}

module.exports = { ISSUER, AUDIENCE, makeStore, makeApp, startApp, captureLogger };
