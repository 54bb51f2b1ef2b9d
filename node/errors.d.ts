// Hand-written declarations of what index.js adds in JavaScript: the error classes and the constants, and
// (from claims.d.ts) AccessClaims. (index.d.ts, generated from the Rust sources, re-exports this file.)

export { AccessClaims } from './claims'

/** Every stable error code, in the order of the core's `Error::CODES`. */
export type ErrorCode =
  | 'try_refresh'
  | 'unauthorised'
  | 'token_theft'
  | 'invalid_claim'
  | 'invalid_argument'
  | 'bad_configuration'
  | 'store_unavailable'

/** Why a token or session was refused (`reason` of an `unauthorised` error): for logs, never for clients. */
export type UnauthorisedReason =
  | 'Missing'
  | 'Malformed'
  | 'Algorithm'
  | 'UnknownKey'
  | 'Header'
  | 'Signature'
  | 'Claims'
  | 'Csrf'
  | 'SessionRevoked'
  | 'SessionExpired'

/** Every error code. */
export declare const ERROR_CODES: readonly ErrorCode[]
/** Every `reason` of an `unauthorised` error. */
export declare const UNAUTHORISED_REASONS: readonly UnauthorisedReason[]
/** The HTTP status of each error code (the core's `Error::http_status`). */
export declare const ERROR_STATUS: Readonly<Record<ErrorCode, number>>
/** The fixed public sentence of each error code, sent in JSON bodies (the same in every package). */
export declare const PUBLIC_MESSAGES: Readonly<Record<ErrorCode, string>>
/** The package version. */
export declare const version: string

/**
 * Base class of every error a session operation throws (or rejects with). `code` is the contract;
 * `message` may name the session, the user or the failed check and is for logs only; send `toJSON()`.
 */
export declare class SessionwardError extends Error {
  /** The stable code. */
  readonly code: ErrorCode
  /** The HTTP status to answer with (401, 403, 400, 500 or 503). */
  readonly status: number
  /** The fixed public sentence for the response body (the same in Rust, Python and Node). */
  readonly publicMessage: string
  /** `{ error: code, message: publicMessage }`: the JSON body a web framework sends. */
  toJSON(): { error: ErrorCode; message: string }
}

/** The access token expired (or its signing key was retired): refresh the session and retry (401). */
export declare class TryRefreshError extends SessionwardError {
  readonly code: 'try_refresh'
}

/** The token or session is not valid: sign in again (401). */
export declare class UnauthorisedError extends SessionwardError {
  readonly code: 'unauthorised'
  /** Which check failed, for logs and integrations (never send it to clients). */
  readonly reason: UnauthorisedReason
}

/** A superseded refresh token was replayed; the session has been revoked (401). */
export declare class TokenTheftError extends SessionwardError {
  readonly code: 'token_theft'
  /** The revoked session. */
  readonly sessionHandle: string
  /** Its user. */
  readonly userId: string
}

/** A verified token lacks a claim the route requires (403). */
export declare class InvalidClaimError extends SessionwardError {
  readonly code: 'invalid_claim'
  /** The claim name. */
  readonly claim: string
}

/**
 * The application passed a value sessionward refuses (reserved claim, oversized token, ...) (400). Arguments
 * of the wrong type throw a `TypeError`, and out-of-range ones a `RangeError`, with the same `code`.
 */
export declare class InvalidArgumentError extends SessionwardError {
  readonly code: 'invalid_argument'
}

/** The configuration or a key is unusable (weak key, unknown algorithm, inconsistent lifetimes) (500). */
export declare class ConfigurationError extends SessionwardError {
  readonly code: 'bad_configuration'
}

/** The session store failed; nothing was half-written and the call may be retried (503). */
export declare class StoreUnavailableError extends SessionwardError {
  readonly code: 'store_unavailable'
}
