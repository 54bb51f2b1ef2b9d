'use strict';
/**
 * sessionward for Express (4 and 5): middleware putting the verified access claims on `req.auth`, claim checks,
 * the refresh and sign-out handlers, a sign-in helper and an error handler.
 *
 *     const express = require('express');
 *     const { SessionManager, SqliteStore, HttpSessions } = require('sessionward');
 *     const { sessionward } = require('sessionward/express');
 *
 *     const manager = new SessionManager({ issuer: 'https://example.com', audience: 'example-api',
 *                                          store: new SqliteStore('sessions.db') });
 *     const sessions = sessionward({ manager, http: new HttpSessions() });   // cookie mode, double-submit CSRF
 *     const app = express();
 *     app.use(sessions.routes());                       // POST /auth/refresh, POST /auth/logout
 *     app.post('/login', express.json(), async (req, res) => {
 *       const userId = ...;                             // authenticate the user first: not sessionward's job
 *       res.json(await sessions.login(res, userId, { accessClaims: { role: 'admin' } }));
 *     });
 *     app.get('/me', sessions.requireSession(), (req, res) => res.json({ user: req.auth.userId }));
 *     app.use(sessions.errorHandler());                 // last: answers sessionward errors as JSON
 *
 * The status codes, JSON bodies, headers and cookies are those of the Python integrations
 * (`python/sessionward/_web.py`), so one client talks to either server: 401 `try_refresh` (refresh, then retry),
 * 401 `unauthorised` (sign in again; also a missing or wrong CSRF header), 401 `token_theft`, 403
 * `invalid_claim`, 400 `invalid_argument`, 503 `store_unavailable`, 500 `bad_configuration`, each with the body
 * `{"error": code, "message": publicSentence}`. Error messages (which name the failed check, the session or store
 * details) are only logged, never sent; no token is ever logged.
 */

const { debuglog } = require('node:util');
const native = require('./index.js');

/** The HTTP status of each error code (the core's `Error::http_status`, through the addon). */
const STATUS_BY_CODE = native.ERROR_STATUS;

/** The `message` sent to clients for each code (the core's `Error::public_message`, as in Python). */
const PUBLIC_MESSAGES = native.PUBLIC_MESSAGES;

/** The largest refresh or sign-out body read from a bearer client (a refresh token is 68 characters). */
const MAX_REFRESH_BODY_BYTES = 16384;

/** Where `routes()` mounts the sign-out handler unless told otherwise (refresh lives at `http.refreshPath`). */
const DEFAULT_LOGOUT_PATH = '/auth/logout';

// `unauthorised` reasons for which the session cookies are left alone:
// - Missing: nothing to delete, and a cross-site request (which carries no SameSite cookies) must not be able to
//   sign the user out by provoking the deletion;
// - Csrf: the request is presumably forged; the victim's session is fine;
// - UnknownKey: after a key rotation an instance that has not yet reloaded the shared key ring refuses tokens
//   signed by the new key; the session is fine.
const KEEP_COOKIES_REASONS = new Set(['Missing', 'Csrf', 'UnknownKey']);

const JSON_BODY_HINT = 'the request body must be a JSON object such as {"refresh_token": "..."}';

const ERROR_CLASSES = {
  try_refresh: native.TryRefreshError,
  unauthorised: native.UnauthorisedError,
  token_theft: native.TokenTheftError,
  invalid_claim: native.InvalidClaimError,
  invalid_argument: native.InvalidArgumentError,
  bad_configuration: native.ConfigurationError,
  store_unavailable: native.StoreUnavailableError,
};

/** Whether `err` is an error sessionward raised (native or made here), i.e. one `errorHandler()` answers. */
function isSessionwardError(err) {
  return err instanceof native.SessionwardError && Object.hasOwn(STATUS_BY_CODE, err.code);
}

/** A sessionward error raised by this module (bad refresh body, dead session), of the native classes. */
function sessionwardError(code, message, props) {
  const fields = { code, status: STATUS_BY_CODE[code], publicMessage: PUBLIC_MESSAGES[code], ...props };
  return new ERROR_CLASSES[code](message, fields);
}

function invalidArgument(message) {
  return sessionwardError('invalid_argument', `invalid argument: ${message}`);
}

/** The HTTP status to answer `err` with. */
function statusFor(err) {
  return STATUS_BY_CODE[err.code] ?? (Number.isInteger(err.status) ? err.status : 500);
}

/** The JSON body of an error response: `{"error": code, "message": publicSentence}`. */
function errorResponseBody(err) {
  return { error: err.code, message: PUBLIC_MESSAGES[err.code] ?? 'The session request failed.' };
}

/** Whether `err` means "the request carried no token at all" (not "a token was refused"). */
function isMissingToken(err) {
  return err.code === 'unauthorised' && err.reason === 'Missing';
}

/**
 * Whether the answer to `err` deletes the session cookies (in cookie and both modes): yes for `token_theft` and
 * for `unauthorised` when a token was refused or the session is gone; no when the request carried no token,
 * failed the CSRF check, or named a signing key this instance does not know yet.
 */
function clearsCookies(err) {
  if (err.code === 'token_theft') return true;
  return err.code === 'unauthorised' && !KEEP_COOKIES_REASONS.has(err.reason);
}

/**
 * The `refresh_token` of a raw refresh or sign-out body `{"refresh_token": "swr_..."}` (Python's
 * `parse_refresh_body`). Empty body or no member: `undefined`. Not sent as `application/json`, not a JSON
 * object, over `MAX_REFRESH_BODY_BYTES`, or a member that is not a string: `invalid_argument` (400). Requiring
 * JSON matters: a cross-site form can post `text/plain` without a CORS preflight, and in `both` mode a refresh
 * answered with cookies would sign the victim's browser into the attacker's session.
 */
function parseRefreshBody(body, contentType) {
  if (body.length > MAX_REFRESH_BODY_BYTES) {
    throw invalidArgument(`the request body is larger than ${MAX_REFRESH_BODY_BYTES} bytes`);
  }
  if (body.every((byte) => byte === 0x20 || (byte >= 0x09 && byte <= 0x0d))) return undefined;
  requireJsonContentType(contentType);
  let data;
  try {
    data = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw invalidArgument(JSON_BODY_HINT);
  }
  return tokenMember(data);
}

function requireJsonContentType(contentType) {
  const mediaType = String(contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw invalidArgument('send the refresh token as a JSON body with Content-Type: application/json');
  }
}

function tokenMember(data) {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw invalidArgument(JSON_BODY_HINT);
  const token = data.refresh_token;
  if (token === undefined || token === null) return undefined;
  if (typeof token !== 'string') throw invalidArgument('refresh_token must be a string');
  return token;
}

/** The token of a body some parser already put on `req.body` (`express.json()`, `express.raw()`, ...). */
function tokenFromParsedBody(body, contentType) {
  if (typeof body === 'string') return parseRefreshBody(Buffer.from(body), contentType);
  if (body instanceof Uint8Array) return parseRefreshBody(body, contentType);
  // body-parser 1 (Express 4) leaves `{}` when there was no body or its type did not match.
  if (body !== null && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) {
    return undefined;
  }
  // A form parser's object is refused like the raw form would be: only JSON bodies carry refresh tokens.
  requireJsonContentType(contentType);
  return tokenMember(body);
}

/** Read a request body of at most `limit` bytes (`invalid_argument` beyond). */
function readBody(req, limit) {
  const length = req.headers['content-length'];
  if (length !== undefined && /^\d+$/.test(length) && Number(length) > limit) {
    return Promise.reject(invalidArgument(`the request body is larger than ${limit} bytes`));
  }
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const done = (settle, value) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle(value);
    };
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.resume(); // discard the rest; the 400 closes the connection
        done(reject, invalidArgument(`the request body is larger than ${limit} bytes`));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => done(resolve, Buffer.concat(chunks));
    const onError = (err) => done(reject, err);
    const onClose = () => done(reject, new Error('the client closed the connection before sending the whole body'));
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function headerValue(req, name) {
  const value = req.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.join(name.toLowerCase() === 'cookie' ? '; ' : ', ');
  return value;
}

function defined(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined && v !== null));
}

/** A JSON value (what a claim can equal): null, string, finite number, boolean, arrays and plain objects. */
function isJsonData(value) {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonData);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value).every(isJsonData);
  }
  return false;
}

// Errors are logged with their full message (which never contains a token): server failures as errors, theft as
// a warning, the rest (expected client errors) only under NODE_DEBUG=sessionward.
const debug = debuglog('sessionward');
const DEFAULT_LOGGER = Object.freeze({
  error: (message) => console.error(message),
  warn: (message) => console.warn(message),
  debug: (message) => debug('%s', message),
});
const SILENT_LOGGER = Object.freeze({ error() {}, warn() {}, debug() {} });

/**
 * A `SessionManager` and its `HttpSessions` with the Express glue. Holds no per-request state: build one per
 * application (at startup) and use its middleware factories on any number of routes.
 */
class Sessionward {
  /**
   * @param {object} options
   * @param {import('./index').SessionManager} options.manager
   * @param {import('./index').HttpSessions} [options.http] transport settings (default: `new HttpSessions()`,
   *   cookie mode with double-submit CSRF)
   * @param {string} [options.logoutPath] where `routes()` mounts the sign-out handler (default `/auth/logout`)
   * @param {{error: Function, warn: Function, debug: Function} | null} [options.logger] where errors are logged
   *   (default: `console.error`/`console.warn`, debug via `NODE_DEBUG=sessionward`; `null` for none)
   * @param {() => number} [options.now] a clock in Unix seconds passed to every call (tests); default: the core's
   */
  constructor(options) {
    const { manager, http, logoutPath = DEFAULT_LOGOUT_PATH, logger = DEFAULT_LOGGER, now } = options ?? {};
    if (manager === null || typeof manager !== 'object' || typeof manager.verify !== 'function') {
      throw new TypeError('sessionward({manager}) needs a SessionManager');
    }
    if (now !== undefined && typeof now !== 'function') {
      throw new TypeError('now must be a function returning Unix time in seconds');
    }
    if (typeof logoutPath !== 'string' || !logoutPath.startsWith('/')) {
      throw new TypeError('logoutPath must be a path starting with "/"');
    }
    /** The session manager. */
    this.manager = manager;
    /** The transport settings. */
    this.http = http ?? new native.HttpSessions();
    /** Where `routes()` mounts the sign-out handler. */
    this.logoutPath = logoutPath;
    this.logger = logger ?? SILENT_LOGGER;
    this._now = now;
  }

  /** Where the refresh handler must be mounted: the only path the refresh cookie is sent to. */
  get refreshPath() {
    return this.http.refreshPath;
  }

  /** Whether sessions travel in cookies (modes `cookie` and `both`). */
  get usesCookies() {
    return this.http.mode !== 'header';
  }

  /** Whether bodies carry the tokens and requests may bring them in headers/bodies (modes `header`, `both`). */
  get returnsTokens() {
    return this.http.mode !== 'cookie';
  }

  _time() {
    return this._now === undefined ? {} : { now: this._now() };
  }

  /** The request headers sessionward reads, as the native `HttpSessions` calls take them. */
  credentials(req) {
    const csrfHeader = this.http.csrfHeader;
    return defined({
      method: req.method,
      cookie: headerValue(req, 'cookie'),
      authorization: headerValue(req, 'authorization'),
      csrf: csrfHeader ? headerValue(req, csrfHeader) : undefined,
      ...this._time(),
    });
  }

  /**
   * The verified claims of the request's access token (cookie or `Authorization` header as the mode allows; for a
   * cookie on a state-changing method, also the CSRF header). Throws `try_refresh` when expired and `unauthorised`
   * otherwise, including when the request carries no token. Synchronous: no store.
   */
  authenticate(req) {
    return this.http.authenticate(this.manager, this.credentials(req));
  }

  /** Like `authenticate`, but `null` when the request carries no token at all (a refused token still throws). */
  authenticateOptional(req) {
    try {
      return this.authenticate(req);
    } catch (err) {
      if (isMissingToken(err)) return null;
      throw err;
    }
  }

  /**
   * `authenticate`, then a store read checking that the session is still alive (revocation, sign-out and theft
   * take effect at once instead of at the access token's expiry). Resolves to `{claims, session}`; rejects with
   * `unauthorised` (reason `SessionRevoked`) for a dead session.
   */
  async authenticateLive(req) {
    const claims = this.authenticate(req);
    const session = await this.manager.getSession(claims.sessionHandle, this._time());
    if (session === null || session === undefined || session.userId !== claims.userId) {
      throw sessionwardError('unauthorised', 'unauthorised: the session is unknown or was revoked; sign in again', {
        reason: 'SessionRevoked',
      });
    }
    return { claims, session };
  }

  // -- middleware -------------------------------------------------------------------------------------------

  /**
   * Middleware requiring a valid access token: its `AccessClaims` go to `req.auth`. Errors (401 `try_refresh` /
   * `unauthorised`) go to `next(err)`, for `errorHandler()`. Offline and synchronous: microseconds, no store.
   */
  requireSession() {
    return (req, res, next) => {
      try {
        req.auth = this.authenticate(req);
      } catch (err) {
        return next(err);
      }
      next();
    };
  }

  /**
   * Middleware setting `req.auth` to the claims, or to `null` only when the request carries no token at all. A
   * token that is present but expired, invalid or failing the CSRF check is still an error (401), so that the
   * client refreshes or signs in again instead of silently seeing the anonymous page.
   */
  optionalSession() {
    return (req, res, next) => {
      try {
        req.auth = this.authenticateOptional(req);
      } catch (err) {
        return next(err);
      }
      next();
    };
  }

  /**
   * `requireSession()` plus a store read confirming the session is alive: sets `req.auth` (claims) and
   * `req.authSession` (the `Session`, with its server-side `data`). The read runs off the event loop.
   */
  requireLiveSession() {
    return (req, res, next) => {
      this.authenticateLive(req).then(({ claims, session }) => {
        req.auth = claims;
        req.authSession = session;
        next();
      }, next);
    };
  }

  /**
   * Middleware requiring a valid access token whose custom claim `name` equals `value` (JSON data), else 403
   * `invalid_claim`. Sets `req.auth`; no `requireSession()` needed before it.
   */
  requireClaim(name, value) {
    if (typeof name !== 'string') throw new TypeError('requireClaim(name, value): name must be a string');
    if (!isJsonData(value)) {
      throw new TypeError('requireClaim(name, value): value must be JSON data (it could never match a claim)');
    }
    return this._checking((claims) => claims.requireEq(name, value));
  }

  /**
   * Middleware requiring a valid access token whose claim `claim` (default `scope`: a list, or a space-separated
   * string such as OAuth's) contains `item`, else 403 `invalid_claim`. Sets `req.auth`.
   */
  requireScope(item, { claim = 'scope' } = {}) {
    if (typeof item !== 'string' || typeof claim !== 'string') {
      throw new TypeError('requireScope(item, {claim}): item and claim must be strings');
    }
    return this._checking((claims) => claims.requireContains(claim, item));
  }

  _checking(check) {
    return (req, res, next) => {
      try {
        const claims = this.authenticate(req);
        check(claims);
        req.auth = claims;
      } catch (err) {
        return next(err);
      }
      next();
    };
  }

  // -- handlers ---------------------------------------------------------------------------------------------

  /**
   * The refresh handler; mount it with `app.post(sessions.refreshPath, ...)`. Cookie mode reads the refresh cookie
   * and requires the CSRF header; header mode reads `{"refresh_token": "..."}` from an `application/json` body
   * (read here, with a size limit, unless a body parser already set `req.body`). Answers 200 with
   * `loginResponseData` and the new cookies, or the sessionward error response itself.
   */
  refreshHandler() {
    return (req, res, next) => {
      this._refresh(req, res).catch((err) => this._answer(err, res, next));
    };
  }

  /**
   * The sign-out handler: revokes the session named by the access token (even an expired one) or the refresh
   * token, answers `{"revoked": bool}` and deletes the cookies. A request carrying no token at all is refused
   * (401) and deletes nothing, so that a cross-site form cannot sign users out; so is a cookie-borne one without
   * the CSRF header.
   */
  logoutHandler() {
    return (req, res, next) => {
      this._logout(req, res).catch((err) => this._answer(err, res, next));
    };
  }

  /**
   * An Express `Router` with `POST refreshPath` and `POST logoutPath`. Mount it before any app-wide session
   * middleware, so that a client with an expired access token can still refresh and sign out.
   */
  routes() {
    const router = require('express').Router();
    router.post(this.refreshPath, this.refreshHandler());
    router.post(this.logoutPath, this.logoutHandler());
    return router;
  }

  async _refresh(req, res) {
    const bodyToken = await this._bodyToken(req, res);
    const issued = await this.http.refresh(this.manager, defined({ ...this.credentials(req), bodyToken }));
    this.setSessionCookies(res, issued);
    res.json(this.loginResponseData(issued));
  }

  async _logout(req, res) {
    const bodyToken = await this._bodyToken(req, res);
    const revoked = await this.http.logout(this.manager, defined({ ...this.credentials(req), bodyToken }));
    res.set('Cache-Control', 'no-store');
    this.clearSessionCookies(res);
    res.json({ revoked: Boolean(revoked) });
  }

  /** The refresh token of a bearer client's body; cookie mode never reads the body. */
  async _bodyToken(req, res) {
    if (!this.returnsTokens) return undefined;
    const contentType = headerValue(req, 'content-type');
    if (req.body !== undefined) return tokenFromParsedBody(req.body, contentType);
    let body;
    try {
      body = await readBody(req, MAX_REFRESH_BODY_BYTES);
    } catch (err) {
      if (isSessionwardError(err)) res.set('Connection', 'close'); // the rest of the body is not read
      throw err;
    }
    return parseRefreshBody(body, contentType);
  }

  _answer(err, res, next) {
    if (isSessionwardError(err) && !res.headersSent) {
      this.sendError(res, err);
    } else {
      next(err);
    }
  }

  // -- errors -----------------------------------------------------------------------------------------------

  /**
   * Error-handling middleware (install it last): answers each sessionward error with the status of its code, the
   * body `{"error": code, "message": publicSentence}`, `Cache-Control: no-store`, a `WWW-Authenticate` challenge
   * for bearer clients, and the cookie deletions when the session is known to be dead. Other errors go on to
   * `next(err)`.
   */
  errorHandler() {
    // Express recognises error handlers by their four parameters.
    // eslint-disable-next-line no-unused-vars
    return (err, req, res, next) => this._answer(err, res, next);
  }

  /**
   * The response to a sessionward error, framework-free: `{status, body, headers}` where `headers` is a list of
   * `[name, value]` pairs (`set-cookie` may repeat). See `errorHandler()`.
   */
  errorResponse(err) {
    const status = statusFor(err);
    const headers = [['cache-control', 'no-store']];
    if (this.returnsTokens) {
      if (status === 401) {
        headers.push(['www-authenticate', isMissingToken(err) ? 'Bearer' : 'Bearer error="invalid_token"']);
      } else if (err.code === 'invalid_claim') {
        headers.push(['www-authenticate', 'Bearer error="insufficient_scope"']);
      }
    }
    if (this.usesCookies && clearsCookies(err)) {
      for (const value of this.http.clearCookies()) headers.push(['set-cookie', value]);
    }
    return { status, body: errorResponseBody(err), headers };
  }

  /** Answer `err` on `res` (see `errorResponse`), logging it. */
  sendError(res, err) {
    const { status, body, headers } = this.errorResponse(err);
    this._log(err, status);
    res.status(status);
    for (const [name, value] of headers) {
      if (name === 'set-cookie') res.append('Set-Cookie', value);
      else res.set(name, value);
    }
    res.json(body);
  }

  _log(err, status) {
    if (status >= 500) this.logger.error(`sessionward ${err.code}: ${err.message}`);
    else if (err.code === 'token_theft') this.logger.warn(`sessionward: ${err.message}`);
    else if (err.code !== 'try_refresh') this.logger.debug(`sessionward ${err.code}: ${err.message}`);
  }

  // -- sign-in ----------------------------------------------------------------------------------------------

  /**
   * Sign a user in (already authenticated by the app): create the session, set its cookies and
   * `Cache-Control: no-store` on `res`, and resolve to the JSON body to answer with (`loginResponseData`).
   * `options` go to `manager.createSession` (`accessClaims`, `data`, `device`, `userAgent`, `ip`, `now`); the
   * request's `User-Agent` and `req.ip` are recorded unless given (pass `null` to record none).
   */
  async login(res, userId, options = {}) {
    const { req = res.req, ...rest } = options;
    const args = { ...this._time(), ...rest };
    if (req) {
      if (args.userAgent === undefined) args.userAgent = headerValue(req, 'user-agent');
      if (args.ip === undefined) args.ip = req.ip ?? req.socket?.remoteAddress;
    }
    const issued = await this.manager.createSession(userId, defined(args));
    this.setSessionCookies(res, issued);
    return this.loginResponseData(issued);
  }

  /**
   * The JSON body answering sign-in or refresh: `user_id`, `session_handle`, `access_expires_at`,
   * `refresh_expires_at` and the non-secret `front_token`; in `header` and `both` modes also `access_token` and
   * `refresh_token` (in `cookie` mode the tokens travel only in `HttpOnly` cookies).
   */
  loginResponseData(issued) {
    const data = {
      user_id: issued.session.userId,
      session_handle: issued.session.handle,
      access_expires_at: issued.access.expiresAt,
      refresh_expires_at: issued.refreshExpiresAt,
      front_token: issued.access.frontToken,
    };
    return this.returnsTokens ? Object.assign(data, issued.toJSON()) : data;
  }

  /** Add the session cookies (none in header mode) and `Cache-Control: no-store` to `res`. */
  setSessionCookies(res, issued) {
    res.set('Cache-Control', 'no-store');
    for (const value of this.http.sessionCookies(issued, this._time())) res.append('Set-Cookie', value);
  }

  /** Add the deletions of the session cookies (none in header mode) to `res`. */
  clearSessionCookies(res) {
    for (const value of this.http.clearCookies()) res.append('Set-Cookie', value);
  }
}

/** `new Sessionward(options)`: see the class. */
function sessionward(options) {
  return new Sessionward(options);
}

module.exports = {
  sessionward,
  Sessionward,
  STATUS_BY_CODE,
  PUBLIC_MESSAGES,
  MAX_REFRESH_BODY_BYTES,
  DEFAULT_LOGOUT_PATH,
  isSessionwardError,
  clearsCookies,
  errorResponseBody,
  parseRefreshBody,
};
