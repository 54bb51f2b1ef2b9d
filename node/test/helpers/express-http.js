'use strict';
// Test helpers for the Express integration: a real server on 127.0.0.1:0, a fetch client with a small cookie jar
// (path scoping, deletions), Set-Cookie parsing and front-token decoding done independently of the library.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');

/** Listen on an ephemeral port; resolves to `{url, close}`. */
function listen(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(done);
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** `{name: {value, attributes: Set}}` of a response's Set-Cookie headers; a name must not repeat. */
function setCookies(response) {
  const out = {};
  for (const header of response.headers.getSetCookie()) {
    const [pair, ...attributes] = header.split('; ');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    assert.ok(!(name in out), `cookie ${name} set twice`);
    out[name] = { value: pair.slice(at + 1), attributes: new Set(attributes) };
  }
  return out;
}

/** Decode a front token (unpadded base64url JSON). */
function frontToken(value) {
  return JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
}

/** A browser-like client: keeps cookies (by name and Path), sends them to matching paths. */
class Client {
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.jar = new Map(); // name -> {value, path}
  }

  names() {
    return new Set(this.jar.keys());
  }

  cookieHeader(requestPath) {
    const pairs = [];
    for (const [name, { value, path: cookiePath }] of this.jar) {
      const prefix = cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`;
      if (requestPath === cookiePath || requestPath.startsWith(prefix)) {
        pairs.push(`${name}=${value}`);
      }
    }
    return pairs.length ? pairs.join('; ') : undefined;
  }

  _store(response) {
    for (const [name, { value, attributes }] of Object.entries(setCookies(response))) {
      const deleted = attributes.has('Max-Age=0');
      const cookiePath = [...attributes].find((a) => a.startsWith('Path='))?.slice(5) ?? '/';
      if (deleted) this.jar.delete(name);
      else this.jar.set(name, { value, path: cookiePath });
    }
  }

  /**
   * Send a request. `options.headers` are added (a `cookie` header given replaces the jar's); `options.json` is
   * sent as application/json; `options.body` as is. Resolves to `{status, headers, text, body, cookies}`.
   */
  async request(method, requestPath, options = {}) {
    const headers = { ...(options.headers ?? {}) };
    if (!('cookie' in headers)) {
      const cookie = this.cookieHeader(requestPath);
      if (cookie) headers.cookie = cookie;
    } else if (headers.cookie === undefined) {
      delete headers.cookie;
    }
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(this.baseUrl + requestPath, { method, headers, body });
    this._store(response);
    const text = await response.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed, cookies: setCookies(response) };
  }

  get(requestPath, options) {
    return this.request('GET', requestPath, options);
  }

  post(requestPath, options) {
    return this.request('POST', requestPath, options);
  }
}

/** A fake clock in Unix seconds, starting at the current second. */
class Clock {
  constructor(start = Math.floor(Date.now() / 1000)) {
    this.now = start;
  }
  advance(seconds) {
    this.now += seconds;
  }
}

/** A temporary directory removed when `t` (a node:test context) ends. */
function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sessionward-express-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

module.exports = { listen, setCookies, frontToken, Client, Clock, tempDir };
