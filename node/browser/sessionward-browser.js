// sessionward for the browser: a fetch wrapper for cookie-mode sessions. Dependency-free ES module.
//
//   import { createClient } from 'sessionward/browser'   // or <script type="module"> from your server
//   const client = createClient()
//   client.addEventListener('signedout', (e) => location.assign('/login?reason=' + e.detail.reason))
//   const res = await client.fetch('/api/orders', { method: 'POST', body: JSON.stringify(order) })
//
// What it does, and why:
// - sends cookies (`credentials`) and, on state-changing requests to the app's own origin, the CSRF header
//   with the front token's `csrf` (double submit: only same-origin script can read the front cookie);
// - on a 401 whose JSON `error` is `try_refresh`, refreshes once and retries the call. One refresh is in
//   flight per tab; tabs also take a Web Lock so that one of them refreshes and the others reuse its cookies.
//   That is an optimisation only: if two tabs do refresh at once, the server's grace window gives both the
//   same successor token;
// - refreshes ahead of expiry, from the expiry in the front token;
// - emits `refreshed`, `signedout` and `theft` events (it is an EventTarget), also for what other tabs saw
//   (BroadcastChannel).
// It never sees the access or refresh token: they are httpOnly cookies. The front token it reads is not a
// secret and proves nothing to the server.

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

const DEFAULTS = {
  refreshPath: '/auth/refresh',
  logoutPath: '/auth/logout',
  csrfHeader: 'x-csrf-token',
  frontCookie: 'sw_front',
  credentials: 'same-origin',
  refreshAhead: 30,
  coordinate: true,
  name: 'sessionward',
};

/**
 * The front token of `cookieString` (default `document.cookie`): `{userId, expiresAt, csrf, claims}`, or
 * `null` when absent or malformed. With duplicate cookies the first wins, as on the server.
 */
export function readFrontToken(frontCookie = DEFAULTS.frontCookie, cookieString = globalThis.document?.cookie ?? '') {
  for (const pair of cookieString.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== frontCookie) continue;
    return decodeFrontToken(pair.slice(eq + 1).trim());
  }
  return null;
}

/** The front token wire form (unpadded base64url of `{"uid","exp","csrf","claims"}`) decoded, or `null`. */
export function decodeFrontToken(value) {
  try {
    const b64 = value.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(b64 + '==='.slice((b64.length + 3) % 4));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const wire = JSON.parse(json);
    if (typeof wire?.uid !== 'string' || !Number.isSafeInteger(wire.exp) || typeof wire.csrf !== 'string') {
      return null;
    }
    const claims = wire.claims !== null && typeof wire.claims === 'object' ? wire.claims : {};
    return { userId: wire.uid, expiresAt: wire.exp, csrf: wire.csrf, claims };
  } catch {
    return null;
  }
}

/** A client for one origin's sessions; see {@link SessionwardClient}. */
export function createClient(options = {}) {
  return new SessionwardClient(options);
}

export class SessionwardClient extends EventTarget {
  #opts;
  #fetch;
  #origins;
  #inflight = null;
  #timer = null;
  #tracked = null; // csrf of the front token the timer was set for
  #trackedSince = 0; // when (server time, ms) that front token was first seen
  #skewMs = 0; // server clock minus ours, from the Date header of responses
  #channel = null;
  #onVisible = null;

  constructor(options = {}) {
    super();
    this.#opts = { ...DEFAULTS, ...options };
    for (const path of ['refreshPath', 'logoutPath']) {
      if (typeof this.#opts[path] !== 'string' || !this.#opts[path].startsWith('/')) {
        throw new TypeError(`${path} must be a path starting with "/"`);
      }
    }
    if (!(this.#opts.refreshAhead === false || this.#opts.refreshAhead >= 0)) {
      throw new RangeError('refreshAhead must be a number of seconds >= 0, or false');
    }
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#origins = new Set([globalThis.location?.origin, ...(this.#opts.origins ?? [])].filter(Boolean));
    if (this.#opts.coordinate && typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(this.#opts.name);
      this.#channel.onmessage = (event) => this.#fromOtherTab(event.data);
    }
    if (globalThis.document?.addEventListener) {
      // Timers of hidden tabs are throttled or frozen: look again when the tab comes back.
      this.#onVisible = () => document.visibilityState === 'visible' && this.#schedule(true);
      document.addEventListener('visibilitychange', this.#onVisible);
    }
    this.#schedule(false);
  }

  /** The signed-in user as the front token tells it (`{userId, expiresAt, claims}`), or `null`. */
  get session() {
    const front = this.#front();
    return front && { userId: front.userId, expiresAt: front.expiresAt, claims: front.claims };
  }

  /** Whether a front token is present (the server still decides on every request). */
  get signedIn() {
    return this.#front() !== null;
  }

  /**
   * `fetch` with the session: cookies, the CSRF header on state-changing same-origin requests, and one
   * silent refresh plus retry on a `try_refresh` 401. Resolves to the final Response like `fetch`.
   */
  async fetch(input, init = {}) {
    const base = new Request(input, { credentials: this.#opts.credentials, ...init });
    if (!this.#origins.has(new URL(base.url).origin)) return this.#fetch(base);
    let front = this.#front();
    let response = await this.#send(base.clone(), front);
    let refreshed = false;
    for (let attempt = 0; response.status === 401 && attempt < 2; attempt++) {
      const code = await errorCode(response);
      if (code === 'try_refresh' && !refreshed) {
        refreshed = true;
        if (!(await this.#refresh(front?.csrf))) break;
      } else if (code === 'unauthorised' && attempt === 0 && rotatedSince(this.#front(), front)) {
        // Another tab rotated the cookies while this request was in flight, so its CSRF header may have come
        // from the previous front token: retry once with the current one.
      } else {
        if (code !== 'try_refresh') this.#verdict(code);
        break;
      }
      front = this.#front();
      response = await this.#send(base.clone(), front);
    }
    this.#schedule(false);
    return response;
  }

  /** Refresh now (shared with any refresh in flight). Resolves `true` if the session was refreshed. */
  refresh() {
    return this.#refresh(this.#front()?.csrf);
  }

  /** Sign out on the server (which clears the cookies). Resolves whether a session was revoked. */
  async logout() {
    const headers = this.#csrfHeaders(this.#front());
    let revoked = false;
    try {
      const response = await this.#fetch(this.#opts.logoutPath, {
        method: 'POST',
        credentials: this.#opts.credentials,
        headers,
        cache: 'no-store',
      });
      revoked = response.ok && (await response.json().catch(() => ({}))).revoked === true;
    } finally {
      this.#signedOut('logout');
    }
    return revoked;
  }

  /** Stop the refresh timer and leave the tab channel. */
  close() {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#channel?.close();
    this.#channel = null;
    if (this.#onVisible) document.removeEventListener('visibilitychange', this.#onVisible);
  }

  // -- internals ------------------------------------------------------------------------------------------

  #front() {
    return readFrontToken(this.#opts.frontCookie);
  }

  #serverNow() {
    return Date.now() + this.#skewMs;
  }

  #csrfHeaders(front) {
    return this.#opts.csrfHeader && front ? { [this.#opts.csrfHeader]: front.csrf } : {};
  }

  async #send(request, front) {
    if (!SAFE_METHODS.has(request.method.toUpperCase())) {
      const headers = new Headers(request.headers);
      for (const [name, value] of Object.entries(this.#csrfHeaders(front))) headers.set(name, value);
      request = new Request(request, { headers });
    }
    const response = await this.#fetch(request);
    this.#noteClock(response);
    return response;
  }

  #noteClock(response) {
    const date = Date.parse(response.headers.get('date') ?? '');
    if (Number.isFinite(date)) this.#skewMs = date - Date.now();
  }

  // Refresh unless the front token has already moved on from `staleCsrf` (another tab, or an earlier call).
  #refresh(staleCsrf) {
    this.#inflight ??= this.#refreshCoordinated(staleCsrf).finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async #refreshCoordinated(staleCsrf) {
    const locks = this.#opts.coordinate ? globalThis.navigator?.locks : undefined;
    if (locks?.request) return locks.request(`${this.#opts.name}:refresh`, () => this.#refreshUnlessDone(staleCsrf));
    return this.#refreshUnlessDone(staleCsrf);
  }

  async #refreshUnlessDone(staleCsrf) {
    const front = this.#front();
    if (front && front.csrf !== staleCsrf && front.expiresAt * 1000 > this.#serverNow()) {
      this.#refreshed('tab');
      return true;
    }
    let response;
    try {
      response = await this.#fetch(this.#opts.refreshPath, {
        method: 'POST',
        credentials: this.#opts.credentials,
        headers: this.#csrfHeaders(front),
        cache: 'no-store',
      });
    } catch {
      return false; // offline: keep the session, the caller gets its original answer
    }
    this.#noteClock(response);
    if (response.ok) {
      this.#refreshed('network');
      this.#channel?.postMessage({ type: 'refreshed' });
      return true;
    }
    if (response.status === 401) this.#verdict(await errorCode(response));
    return false; // 5xx (store unavailable): transient, try again later
  }

  #refreshed(source) {
    this.#schedule(false);
    const session = this.session;
    if (session) this.dispatchEvent(new CustomEvent('refreshed', { detail: { ...session, source } }));
  }

  // A 401 the client cannot fix: theft, or any other refusal meaning "sign in again".
  #verdict(code) {
    if (code === 'token_theft') this.#signedOut('theft');
    else if (code === 'unauthorised') this.#signedOut('unauthorised');
  }

  #signedOut(reason, fromTab = false) {
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#tracked = null;
    if (!fromTab) this.#channel?.postMessage({ type: 'signedout', reason });
    const source = fromTab ? 'tab' : 'network';
    if (reason === 'theft') this.dispatchEvent(new CustomEvent('theft', { detail: { source } }));
    this.dispatchEvent(new CustomEvent('signedout', { detail: { reason, source } }));
  }

  #fromOtherTab(message) {
    if (message?.type === 'refreshed') this.#refreshed('tab');
    else if (message?.type === 'signedout') this.#signedOut(String(message.reason), true);
  }

  // Set the refresh-ahead timer for the current front token: at `refreshAhead` seconds before expiry, but
  // never later than half-way through the token's lifetime as seen here (short TTLs, skewed clocks).
  #schedule(force) {
    const front = this.#front();
    if (!front || this.#opts.refreshAhead === false || this.#opts.refreshAhead === 0) {
      clearTimeout(this.#timer);
      this.#timer = null;
      this.#tracked = null;
      return;
    }
    const now = this.#serverNow();
    if (front.csrf === this.#tracked && !force) return;
    if (front.csrf !== this.#tracked) this.#trackedSince = now;
    this.#tracked = front.csrf;
    const expiresAt = front.expiresAt * 1000;
    const margin = Math.min(this.#opts.refreshAhead * 1000, Math.max(expiresAt - this.#trackedSince, 0) / 2);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#refresh(front.csrf);
    }, Math.max(expiresAt - margin - now, 0));
  }
}

function rotatedSince(now, before) {
  return now !== null && now.csrf !== before?.csrf;
}

async function errorCode(response) {
  if (!(response.headers.get('content-type') ?? '').includes('json')) return null;
  try {
    const body = await response.clone().json();
    return typeof body?.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}
