// Types of sessionward-browser.js, the fetch wrapper for cookie-mode sessions.

/** The non-secret front token the page may read: who is signed in, until when, and the CSRF token. */
export interface FrontToken {
  userId: string;
  /** When the access token expires, in seconds since the epoch (server clock). */
  expiresAt: number;
  /** The double-submit CSRF token (the access token's `jti`). */
  csrf: string;
  /** The allowlisted claims (`frontTokenClaims` / `front_token_claims` on the server). */
  claims: Record<string, unknown>;
}

export interface ClientSession {
  userId: string;
  expiresAt: number;
  claims: Record<string, unknown>;
}

export interface ClientOptions {
  /** The refresh route, where the refresh cookie is scoped (default `/auth/refresh`). */
  refreshPath?: string;
  /** The sign-out route (default `/auth/logout`). */
  logoutPath?: string;
  /** The CSRF header name (default `x-csrf-token`); `null` when the server's CSRF check is off. */
  csrfHeader?: string | null;
  /** The front cookie name (default `sw_front`). */
  frontCookie?: string;
  /** `fetch` credentials mode (default `same-origin`). */
  credentials?: RequestCredentials;
  /** Seconds before expiry to refresh ahead (default 30, capped at half the token's lifetime); `0` or `false` turns it off. */
  refreshAhead?: number | false;
  /** Coordinate tabs with Web Locks and BroadcastChannel (default `true`). Correctness never depends on it. */
  coordinate?: boolean;
  /** Name of the Web Lock (`<name>:refresh`) and BroadcastChannel (default `sessionward`). */
  name?: string;
  /** More origins (besides the page's) whose requests get the CSRF header and the refresh handling. */
  origins?: string[];
  /** The `fetch` to wrap (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

export interface RefreshedDetail extends ClientSession {
  /** `network`: this tab refreshed; `tab`: another tab did and this one picked up the new cookies. */
  source: 'network' | 'tab';
}

export interface SignedOutDetail {
  /** `theft`: a refresh token was replayed and the server revoked the session; `unauthorised`: the server
   * refused the session (expired, revoked, signed out elsewhere); `logout`: `client.logout()`. */
  reason: 'theft' | 'unauthorised' | 'logout';
  source: 'network' | 'tab';
}

export interface TheftDetail {
  source: 'network' | 'tab';
}

export interface SessionwardClientEventMap {
  refreshed: CustomEvent<RefreshedDetail>;
  signedout: CustomEvent<SignedOutDetail>;
  theft: CustomEvent<TheftDetail>;
}

export declare class SessionwardClient extends EventTarget {
  constructor(options?: ClientOptions);
  /** The signed-in user as the front token tells it, or `null`. */
  readonly session: ClientSession | null;
  /** Whether a front token is present (the server still decides on every request). */
  readonly signedIn: boolean;
  /** `fetch` with the session: cookies, CSRF header, one silent refresh and retry on `try_refresh`. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Refresh now (shared with any refresh in flight); whether the session was refreshed. */
  refresh(): Promise<boolean>;
  /** Sign out on the server; whether a session was revoked. Always emits `signedout` (reason `logout`). */
  logout(): Promise<boolean>;
  /** Stop the refresh timer and leave the tab channel. */
  close(): void;
  addEventListener<K extends keyof SessionwardClientEventMap>(
    type: K,
    listener: (this: SessionwardClient, event: SessionwardClientEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SessionwardClientEventMap>(
    type: K,
    listener: (this: SessionwardClient, event: SessionwardClientEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** A client for this origin's sessions. */
export declare function createClient(options?: ClientOptions): SessionwardClient;

/** The front token in `cookieString` (default `document.cookie`), or `null`. */
export declare function readFrontToken(frontCookie?: string, cookieString?: string): FrontToken | null;

/** Decode the front token wire form, or `null` when malformed. */
export declare function decodeFrontToken(value: string): FrontToken | null;
