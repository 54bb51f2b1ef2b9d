// The FastAPI and Express demos on one SQLite file: a session started on one is accepted and refreshed by the
// other (one key ring, shared through the store; browsers send a host's cookies to every port).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  callApiButton,
  expressUnavailable,
  freshDataDir,
  launchBrowser,
  recordResponses,
  removeDir,
  signIn,
  startDemo,
  waitForAccessExpiry,
} from './harness.js';

const unavailable = expressUnavailable();
const skip = unavailable && process.env.SESSIONWARD_REQUIRE_SERVICES !== '1' ? `skipped: ${unavailable}` : false;

let dataDir;
let fastapi;
let express;
let browser;

before(async () => {
  if (skip) return;
  dataDir = freshDataDir();
  const db = join(dataDir, 'sessions.sqlite3');
  fastapi = await startDemo('fastapi', db);
  express = await startDemo('express', db);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all([fastapi?.stop(), express?.stop()]);
  if (dataDir) removeDir(dataDir);
});

const title = 'a session signed in on the FastAPI demo is accepted and refreshed by the Express demo, and back';
test(title, { skip, timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, fastapi.url);
  assert.equal(await page.textContent('#server'), 'fastapi');

  await page.goto(`${express.url}/app`);
  await page.waitForFunction(() => document.querySelector('#api-result').textContent !== '');
  assert.equal(await page.textContent('#server'), 'express');
  assert.equal(await page.textContent('#who'), 'Alice Liddell (alice)');

  // Express rotates the refresh token FastAPI issued...
  await waitForAccessExpiry(page);
  const responses = recordResponses(page);
  await callApiButton(page);
  assert.deepEqual(
    responses.filter((r) => r.path !== '/favicon.ico').map((r) => `${r.method} ${r.path} ${r.status}`),
    ['GET /api/me 401', 'POST /auth/refresh 200', 'GET /api/me 200'],
  );

  // ...and FastAPI accepts the tokens Express minted, and lists the one session.
  await page.goto(`${fastapi.url}/sessions`);
  await page.waitForSelector('#sessions tbody tr');
  assert.equal(await page.textContent('#server'), 'fastapi');
  assert.equal(await page.locator('#sessions tbody tr').count(), 1);
  await context.close();
});
