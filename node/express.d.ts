// Types of `sessionward/express` (hand-written; the implementation is express.js).
import type { ErrorRequestHandler, RequestHandler, Request, Response, Router } from 'express';
import type { AccessClaims, HttpSessions, IssuedTokens, Session, SessionManager } from './index';

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified access claims, set by `requireSession()`, `requireLiveSession()`, `requireClaim()`,
       * `requireScope()`, and by `optionalSession()` (`null` when the request carried no token).
       */
      auth?: AccessClaims | null;
      /** The live session (with its server-side `data`), set by `requireLiveSession()`. */
      authSession?: Session;
    }
  }
}

/** A stable sessionward error code. */
export type ErrorCode =
  | 'try_refresh'
  | 'unauthorised'
  | 'token_theft'
  | 'invalid_claim'
  | 'invalid_argument'
  | 'bad_configuration'
  | 'store_unavailable';

/** JSON data: what a claim can equal. */
export type JsonValue = null | string | number | boolean | JsonValue[] | { [key: string]: JsonValue };

/** Where errors are logged (`console`, pino, winston... fit). Messages never contain tokens. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

export interface SessionwardOptions {
  manager: SessionManager;
  /** Transport settings; default `new HttpSessions()` (cookie mode, double-submit CSRF). */
  http?: HttpSessions;
  /** Where `routes()` mounts the sign-out handler; default `/auth/logout`. */
  logoutPath?: string;
  /** Default: `console.error` / `console.warn`, debug under `NODE_DEBUG=sessionward`; `null` for none. */
  logger?: Logger | null;
  /** A clock in Unix seconds passed to every call (tests); default: the core's clock. */
  now?: () => number;
}

/** The body answering sign-in and refresh. The tokens are present in `header` and `both` modes only. */
export interface LoginResponseBody {
  user_id: string;
  session_handle: string;
  access_expires_at: number;
  refresh_expires_at: number;
  front_token: string;
  access_token?: string;
  refresh_token?: string;
}

/** The JSON body of every sessionward error response. */
export interface ErrorResponseBody {
  error: ErrorCode;
  message: string;
}

export interface ErrorResponse {
  status: number;
  body: ErrorResponseBody;
  /** `[name, value]` pairs; `set-cookie` may repeat. */
  headers: Array<[string, string]>;
}

export interface LoginOptions {
  accessClaims?: Record<string, JsonValue>;
  data?: JsonValue;
  /** Default: the request's `User-Agent`; `null` to record none. */
  userAgent?: string | null;
  /** Default: `req.ip`; `null` to record none. */
  ip?: string | null;
  device?: string | null;
  now?: number;
  /** The request whose metadata is recorded; default `res.req`. */
  req?: Request;
}

/** The credentials of a request, as the native `HttpSessions` calls take them. */
export interface RequestCredentials {
  method: string;
  cookie?: string;
  authorization?: string;
  csrf?: string;
  now?: number;
}

export class Sessionward {
  constructor(options: SessionwardOptions);
  readonly manager: SessionManager;
  readonly http: HttpSessions;
  readonly logoutPath: string;
  readonly logger: Logger;
  /** Where the refresh handler must be mounted: the only path the refresh cookie is sent to. */
  readonly refreshPath: string;
  /** Modes `cookie` and `both`. */
  readonly usesCookies: boolean;
  /** Modes `header` and `both`. */
  readonly returnsTokens: boolean;

  credentials(req: Request): RequestCredentials;
  /** Verified claims (sync, no store); throws `try_refresh` / `unauthorised`. */
  authenticate(req: Request): AccessClaims;
  /** `null` only when the request carries no token at all. */
  authenticateOptional(req: Request): AccessClaims | null;
  /** `authenticate` plus a store read confirming the session is alive. */
  authenticateLive(req: Request): Promise<{ claims: AccessClaims; session: Session }>;

  /** Sets `req.auth`; 401 errors go to `next(err)`. */
  requireSession(): RequestHandler;
  /** Sets `req.auth` to the claims or `null` (no token at all). */
  optionalSession(): RequestHandler;
  /** Sets `req.auth` and `req.authSession` after checking the store. */
  requireLiveSession(): RequestHandler;
  /** 403 `invalid_claim` unless claim `name` equals `value`. */
  requireClaim(name: string, value: JsonValue): RequestHandler;
  /** 403 `invalid_claim` unless claim `claim` (default `scope`) contains `item`. */
  requireScope(item: string, options?: { claim?: string }): RequestHandler;

  /** Mount with `app.post(sessions.refreshPath, sessions.refreshHandler())`. */
  refreshHandler(): RequestHandler;
  /** Answers `{"revoked": boolean}` and deletes the cookies. */
  logoutHandler(): RequestHandler;
  /** A router with `POST refreshPath` and `POST logoutPath`. */
  routes(): Router;

  /** Install last: answers sessionward errors, passes others to `next(err)`. */
  errorHandler(): ErrorRequestHandler;
  errorResponse(err: Error): ErrorResponse;
  sendError(res: Response, err: Error): void;

  /** Create the session, set its cookies on `res`, resolve to the body to answer with. */
  login(res: Response, userId: string, options?: LoginOptions): Promise<LoginResponseBody>;
  loginResponseData(issued: IssuedTokens): LoginResponseBody;
  setSessionCookies(res: Response, issued: IssuedTokens): void;
  clearSessionCookies(res: Response): void;
}

export function sessionward(options: SessionwardOptions): Sessionward;

export const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>>;
export const PUBLIC_MESSAGES: Readonly<Record<ErrorCode, string>>;
/** The largest refresh or sign-out body read (16384 bytes). */
export const MAX_REFRESH_BODY_BYTES: number;
export const DEFAULT_LOGOUT_PATH: string;
export function isSessionwardError(err: unknown): err is Error & { code: ErrorCode };
export function clearsCookies(err: Error & { code: string; reason?: string }): boolean;
export function errorResponseBody(err: Error & { code: string }): ErrorResponseBody;
/** The `refresh_token` of a raw body; throws `invalid_argument` for a body that is not an `application/json` object. */
export function parseRefreshBody(body: Uint8Array, contentType: string | undefined | null): string | undefined;

