// The end-to-end harness: start a demo server on a fresh SQLite file, launch Debian's Chromium, sign in.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'tests/e2e/artifacts');
export const PASSWORD = 'correct horse battery staple';

/** The demo's timing in these tests: short access tokens; a grace window long enough for two tabs' refreshes
 * sent together to converge (it counts whole seconds); no refresh-ahead on the pages, so that the expired-token
 * path is the one exercised. */
export const TIMING = { accessTtl: 5, gracePeriod: 2 };

const CHROMIUM = process.env.SESSIONWARD_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the Express demo cannot run here, or null when it can (the Node package must be built). */
export function expressUnavailable() {
  try {
    createRequire(import.meta.url)(join(ROOT, 'node/express.js'));
    return null;
  } catch (err) {
    return `the Node package does not load (build it: cd node && npm ci): ${err.message.split('\n')[0]}`;
  }
}

/** Servers to test: both demos unless SESSIONWARD_E2E_SERVERS names some (comma-separated). */
export function serversToTest() {
  return (process.env.SESSIONWARD_E2E_SERVERS ?? 'fastapi,express').split(',').map((s) => s.trim()).filter(Boolean);
}

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** A fresh data directory (SQLite file and theft notices) for one test run. */
export function freshDataDir() {
  return mkdtempSync(join(tmpdir(), 'sessionward-e2e-'));
}

/**
 * Start a demo server (`fastapi` or `express`) on a free port, serving `db`; resolves `{url, stop()}` once it
 * answers. Its output is kept and shown if it fails to start.
 */
export async function startDemo(kind, db) {
  const port = await freePort();
  const env = {
    ...process.env,
    SESSIONWARD_DEMO_DB: db,
    SESSIONWARD_DEMO_ACCESS_TTL: String(TIMING.accessTtl),
    SESSIONWARD_DEMO_GRACE_PERIOD: String(TIMING.gracePeriod),
    SESSIONWARD_DEMO_REFRESH_AHEAD: '0',
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  const python = process.env.SESSIONWARD_PYTHON ?? join(ROOT, '.venv/bin/python');
  const [command, args] =
    kind === 'fastapi'
      ? [python, ['-m', 'uvicorn', 'fastapi_app:app', '--host', '127.0.0.1', '--port', `${port}`, '--log-level=error']]
      : [process.execPath, ['express_app.js']];
  const child = spawn(command, args, { cwd: join(ROOT, 'demo'), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const res = await fetch(`${url}/api/config`).catch(() => null);
    if (res?.ok) break;
    if (child.exitCode !== null || i > 300) {
      child.kill();
      throw new Error(`the ${kind} demo did not start:\n${output}`);
    }
    await sleep(100);
  }
  return {
    kind,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Launch Chromium from Debian's package (never downloaded); each `newContext()` is a separate device. */
export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Sign in through the demo's form; resolves once the protected page has loaded the API's answer. */
export async function signIn(page, url, user = 'alice') {
  await page.goto(`${url}/`);
  await page.selectOption('#username', user);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${url}/app`), page.click('button[type=submit]')]);
  await page.waitForFunction(() => document.querySelector('#api-result').textContent !== '');
}

/** Click the protected page's "Call the protected API" and wait for its answer to be logged. */
export async function callApiButton(page) {
  const before = await page.locator('#events li.answered').count();
  await page.click('#call-api');
  await page.waitForFunction((n) => document.querySelectorAll('#events li.answered').length > n, before);
}

/** The session cookies of a browser context, by name. */
export async function sessionCookies(context) {
  const cookies = await context.cookies();
  return Object.fromEntries(cookies.filter((c) => c.name.startsWith('sw_')).map((c) => [c.name, c]));
}

/** Wait until the access token named by the page's front token has expired (server and tests share a clock). */
export async function waitForAccessExpiry(page) {
  const expiresAt = await page.evaluate(() => globalThis.demo.client.session.expiresAt);
  const wait = expiresAt * 1000 - Date.now();
  if (wait > 0) await sleep(wait + 50);
  return expiresAt;
}

/** Record the responses of a page or context as `{method, path, status}`. */
export function recordResponses(target) {
  const seen = [];
  target.on('response', (response) => {
    const url = new URL(response.url());
    seen.push({ method: response.request().method(), path: url.pathname, status: response.status() });
  });
  return seen;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

export { sleep };
