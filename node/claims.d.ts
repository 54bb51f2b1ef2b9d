// Hand-written declaration of `AccessClaims`, a JavaScript class in index.js (the addon passes it the claims
// of each verified token). errors.d.ts re-exports it; the generated index.d.ts refers to it by import type.

/** The verified claims of an access token (returned by `verify` and `authenticate`; not constructed directly). */
export declare class AccessClaims {
  private constructor()
  /** `sub`: the user id. */
  get userId(): string
  /** `sid`: the session handle. */
  get sessionHandle(): string
  /** `jti` (also the double-submit CSRF token). */
  get tokenId(): string
  /** `iss`. */
  get issuer(): string
  /** `aud`, as a new list. */
  get audience(): Array<string>
  /** `iat`. */
  get issuedAt(): number
  /** `exp`. */
  get expiresAt(): number
  /** The `kid` of the signing key. */
  get kid(): string
  /** The application's own claims, as a new plain object. */
  get claims(): Record<string, any>
  /** One custom claim, or `undefined`. */
  get(name: string): any
  /** Throw the `invalid_claim` error (HTTP 403) unless custom claim `name` equals `value`. */
  requireEq(name: string, value: any): void
  /**
   * Throw the `invalid_claim` error (HTTP 403) unless claim `name` is an array (or space-separated string,
   * like OAuth `scope`) containing `item`.
   */
  requireContains(name: string, item: string): void
  /** All claims as one object, registered ones (`sub sid jti iss aud iat exp`) included. */
  toJSON(): Record<string, any>
}
