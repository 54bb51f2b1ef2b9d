'use strict'
// sessionward for Node: the native addon (built by `npm install` into sessionward.node) plus the error
// classes, which live here so `instanceof` works; the addon builds every error through `makeError`, and every
// `AccessClaims` through `makeClaims` (a JavaScript object is much cheaper to create than a native one).

const path = require('node:path')

function load() {
  const file = path.join(__dirname, 'sessionward.node')
  try {
    return require(file)
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      const hint = new Error(
        `sessionward: the native addon ${file} is missing. Build it with \`npm run build\` in ${__dirname} ` +
          '(needs Rust: https://rustup.rs), or reinstall the package.',
      )
      hint.code = 'ERR_SESSIONWARD_NOT_BUILT'
      throw hint
    }
    throw err
  }
}

const native = load()

/** Base class of every error sessionward throws for a failed session operation. */
class SessionwardError extends Error {
  constructor(message, fields) {
    super(message)
    Object.assign(this, fields)
  }

  /** The JSON body a web framework sends: the code and the fixed public sentence (never `message`). */
  toJSON() {
    return { error: this.code, message: this.publicMessage }
  }
}
SessionwardError.prototype.name = 'SessionwardError'

function subclass(name) {
  const C = { [name]: class extends SessionwardError {} }[name]
  C.prototype.name = name
  return C
}

const TryRefreshError = subclass('TryRefreshError')
const UnauthorisedError = subclass('UnauthorisedError')
const TokenTheftError = subclass('TokenTheftError')
const InvalidClaimError = subclass('InvalidClaimError')
const InvalidArgumentError = subclass('InvalidArgumentError')
const ConfigurationError = subclass('ConfigurationError')
const StoreUnavailableError = subclass('StoreUnavailableError')

const CLASSES = {
  try_refresh: TryRefreshError,
  unauthorised: UnauthorisedError,
  token_theft: TokenTheftError,
  invalid_claim: InvalidClaimError,
  invalid_argument: InvalidArgumentError,
  bad_configuration: ConfigurationError,
  store_unavailable: StoreUnavailableError,
}

// Called by the addon with the fields of one error: `kind` is 'sessionward' for a core error, 'type' or
// 'range' for a bad argument; reason, session handle, user id and claim are null unless the code has them.
function makeError(kind, code, status, message, publicMessage, reason, sessionHandle, userId, claim) {
  const fields = { code, status, publicMessage }
  if (reason !== null) fields.reason = reason
  if (sessionHandle !== null) fields.sessionHandle = sessionHandle
  if (userId !== null) fields.userId = userId
  if (claim !== null) fields.claim = claim
  if (kind === 'type' || kind === 'range') {
    return Object.assign(kind === 'type' ? new TypeError(message) : new RangeError(message), fields)
  }
  return new (CLASSES[code] || SessionwardError)(message, fields)
}
native.registerErrorFactory(makeError)

// Passed by `makeClaims` only, so applications cannot construct claims that were never verified.
const VERIFIED = Symbol('verified')

/** The verified claims of an access token (returned by `verify` and `authenticate`; not constructed directly). */
class AccessClaims {
  #userId
  #sessionHandle
  #tokenId
  #issuer
  #audience
  #issuedAt
  #expiresAt
  #kid
  #custom // the application's claims as JSON text, parsed when read

  constructor(verified, userId, sessionHandle, tokenId, issuer, audience, issuedAt, expiresAt, kid, custom) {
    if (verified !== VERIFIED) throw new TypeError('AccessClaims come from verify(); they cannot be constructed')
    this.#userId = userId
    this.#sessionHandle = sessionHandle
    this.#tokenId = tokenId
    this.#issuer = issuer
    this.#audience = audience
    this.#issuedAt = issuedAt
    this.#expiresAt = expiresAt
    this.#kid = kid
    this.#custom = custom
  }

  /** `sub`: the user id. */
  get userId() {
    return this.#userId
  }
  /** `sid`: the session handle. */
  get sessionHandle() {
    return this.#sessionHandle
  }
  /** `jti` (also the double-submit CSRF token). */
  get tokenId() {
    return this.#tokenId
  }
  /** `iss`. */
  get issuer() {
    return this.#issuer
  }
  /** `aud`, as a new list. */
  get audience() {
    return this.#audience.slice()
  }
  /** `iat`. */
  get issuedAt() {
    return this.#issuedAt
  }
  /** `exp`. */
  get expiresAt() {
    return this.#expiresAt
  }
  /** The `kid` of the signing key. */
  get kid() {
    return this.#kid
  }
  /** The application's own claims, as a new plain object. */
  get claims() {
    return JSON.parse(this.#custom)
  }
  /** One custom claim, or `undefined`. */
  get(name) {
    if (typeof name !== 'string') {
      const message = `name must be a string, not ${name === null ? 'null' : typeof name}`
      throw makeError('type', 'invalid_argument', 400, message, PUBLIC_MESSAGES.invalid_argument, null, null, null, null)
    }
    const claims = JSON.parse(this.#custom)
    return Object.hasOwn(claims, name) ? claims[name] : undefined
  }
  /** Throw the `invalid_claim` error (HTTP 403) unless custom claim `name` equals `value`. */
  requireEq(name, value) {
    native.claimsRequireEq(this.#custom, name, value)
  }
  /** Throw the `invalid_claim` error (HTTP 403) unless claim `name` is an array (or space-separated string) containing `item`. */
  requireContains(name, item) {
    native.claimsRequireContains(this.#custom, name, item)
  }
  /** All claims as one object, registered ones (`sub sid jti iss aud iat exp`) included. */
  toJSON() {
    return {
      ...JSON.parse(this.#custom),
      iss: this.#issuer,
      sub: this.#userId,
      aud: this.#audience.slice(),
      sid: this.#sessionHandle,
      jti: this.#tokenId,
      iat: this.#issuedAt,
      exp: this.#expiresAt,
    }
  }
}

// Called by the addon with the fields of verified claims (see bindings/node/src/claims.rs).
function makeClaims(userId, sessionHandle, tokenId, issuer, audience, issuedAt, expiresAt, kid, custom) {
  return new AccessClaims(VERIFIED, userId, sessionHandle, tokenId, issuer, audience, issuedAt, expiresAt, kid, custom)
}
native.registerClaimsFactory(makeClaims)

const ERROR_CODES = Object.freeze(native.errorCodes())
const UNAUTHORISED_REASONS = Object.freeze(native.unauthorisedReasons())
const ERROR_STATUS = Object.freeze(native.errorStatuses())
const PUBLIC_MESSAGES = Object.freeze(native.publicMessages())

module.exports = {
  SessionManager: native.SessionManager,
  HttpSessions: native.HttpSessions,
  Key: native.Key,
  MemoryStore: native.MemoryStore,
  SqliteStore: native.SqliteStore,
  PostgresStore: native.PostgresStore,
  RedisStore: native.RedisStore,
  RedisClusterStore: native.RedisClusterStore,
  AccessClaims,
  Session: native.Session,
  AccessToken: native.AccessToken,
  IssuedTokens: native.IssuedTokens,
  SessionwardError,
  TryRefreshError,
  UnauthorisedError,
  TokenTheftError,
  InvalidClaimError,
  InvalidArgumentError,
  ConfigurationError,
  StoreUnavailableError,
  ERROR_CODES,
  UNAUTHORISED_REASONS,
  ERROR_STATUS,
  PUBLIC_MESSAGES,
  version: native.version(),
}
