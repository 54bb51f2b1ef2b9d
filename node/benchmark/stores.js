// Store throughput and latency from Node: createSession and refresh on every store with 1, 8 and 64 concurrent
// callers, the Node side of core/benches/stores.rs and python/benches/stores.py (same operations, same cells).
//
// "Node (Promises)": N async chains on one event loop awaiting the Promise API; the calls run on libuv's pool,
// UV_THREADPOOL_SIZE threads (default 4), which bounds the real concurrency as it does in an app that keeps the
// default. Each network store gets a pool of one connection per caller; every run uses its own prefix.
//
//   node benchmark/stores.js                         # ~2 s per cell
//   SESSIONWARD_BENCH_SECONDS=5 node benchmark/stores.js
//
// Servers from SESSIONWARD_POSTGRES_URL / SESSIONWARD_REDIS_URL; one that does not answer is left out with a note.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const sw = require('..');

const CALLERS = [1, 8, 64];
const SECONDS = Number(process.env.SESSIONWARD_BENCH_SECONDS || 2);
const POSTGRES_URL = process.env.SESSIONWARD_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.SESSIONWARD_REDIS_URL || 'redis://127.0.0.1:6379/';
const PREFIX = `swnodebench_${process.pid.toString(16)}_`;
const CLAIMS = { role: 'editor' };

function cell(latencies, elapsedS) {
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.max(1, Math.ceil(latencies.length * q)) - 1];
  return `${Math.round(latencies.length / elapsedS)}/s (${at(0.5).toFixed(2)} / ${at(0.99).toFixed(2)} ms)`;
}

// `op(state)` awaited in a loop on `callers` chains for SECONDS; returns the table cell.
async function chains(callers, setup, op) {
  const states = await Promise.all(Array.from({ length: callers }, (_, i) => setup(i)));
  const latencies = [];
  const began = performance.now();
  const end = began + SECONDS * 1000;
  await Promise.all(
    states.map(async (_, i) => {
      for (let start = performance.now(); start < end; start = performance.now()) {
        states[i] = await op(states[i]);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return cell(latencies, (performance.now() - began) / 1000);
}

function manager(store) {
  return new sw.SessionManager({ issuer: 'https://auth.example.com', audience: 'example-api', store });
}

async function rows(name, openStore) {
  const create = [];
  const refresh = [];
  for (const callers of CALLERS) {
    const m = manager(openStore(callers));
    create.push(await chains(callers, (i) => i, async (i) => (await m.createSession(`user-${i}`, { accessClaims: CLAIMS }), i)));
    // Each caller rotates its own session's chain: every call is a real rotation.
    refresh.push(
      await chains(
        callers,
        async (i) => (await m.createSession(`user-${i}`, { accessClaims: CLAIMS })).refreshToken,
        async (token) => (await m.refresh(token)).refreshToken,
      ),
    );
  }
  console.log(`| Node (Promises) | ${name} | create | ${create.join(' | ')} |`);
  console.log(`| Node (Promises) | ${name} | refresh | ${refresh.join(' | ')} |`);
}

function reachable(openStore, what) {
  try {
    openStore(1);
    return true;
  } catch (err) {
    if (err.code !== 'store_unavailable') throw err;
    console.error(`${what} left out: ${err.message}`);
    return false;
  }
}

function cleanup() {
  const quiet = { stdio: ['ignore', 'pipe', 'ignore'] };
  try {
    const tables = ['sessions', 'keys', 'schema_migrations'].map((t) => `${PREFIX}${t}`).join(', ');
    execFileSync('psql', [POSTGRES_URL, '-q', '-c', `DROP TABLE IF EXISTS ${tables}`], quiet);
  } catch {} // psql missing or server gone: nothing to clean
  try {
    const keys = execFileSync('redis-cli', ['-u', REDIS_URL, '--scan', '--pattern', `${PREFIX}*`], quiet).toString().split(/\s+/).filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) execFileSync('redis-cli', ['-u', REDIS_URL, 'DEL', ...keys.slice(i, i + 500)], quiet);
  } catch {}
}

async function main() {
  console.log(`${SECONDS} s per cell; cells: ops/s (p50 / p99 latency); UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE || 4}\n`);
  console.log('| binding | store | operation | 1 caller | 8 callers | 64 callers |');
  console.log('|---|---|---|---|---|---|');
  await rows('memory', () => new sw.MemoryStore());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-node-bench-'));
  let files = 0;
  try {
    await rows('SQLite (file, WAL)', () => new sw.SqliteStore(path.join(dir, `s${files++}.db`)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const postgres = (callers) => new sw.PostgresStore(POSTGRES_URL, { poolSize: callers, tablePrefix: PREFIX });
  const redis = (callers) => new sw.RedisStore(REDIS_URL, { poolSize: callers, keyPrefix: PREFIX });
  try {
    if (reachable(postgres, 'PostgreSQL')) await rows('PostgreSQL', postgres);
    if (reachable(redis, 'Redis')) await rows('Redis', redis);
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
