// Side-by-side benchmark of sessionward's Node package against the JWT libraries Node users pick instead
// (jsonwebtoken, fast-jwt, jose, @node-rs/jsonwebtoken), on the same key and the same claims, in one run;
// then store calls (create / refresh on SQLite) and the event-loop delay they cause.
//
//   node benchmark/bench.js              # everything, ~2-3 min on 2 vCPUs
//   node benchmark/bench.js --quick      # shorter runs (a smoke test of the script)
//   node benchmark/bench.js --with-rust  # also run the core's Criterion verify group and print the ratios
//   npm run bench                        # installs @node-rs/jsonwebtoken (not a devDependency: see below), runs
//
// Medians are what the tables report: a median resists the GC pauses and scheduler noise a mean picks up.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const { Bench } = require('tinybench');
const jsonwebtoken = require('jsonwebtoken');
const fastJwt = require('fast-jwt');
// @node-rs/jsonwebtoken is not in devDependencies: its lock entries name per-platform packages that this
// project's registry mirror does not all carry, which breaks `npm ci`. `npm run bench` installs it unsaved.
const nodeRsJwt = optional('@node-rs/jsonwebtoken');
const sw = require('..');

function optional(name) {
  try {
    return require(name);
  } catch {
    process.stderr.write(`${name} is not installed: left out (npm run bench installs it)\n`);
    return null;
  }
}

const QUICK = process.argv.includes('--quick');
const WITH_RUST = process.argv.includes('--with-rust');
const TIME_MS = QUICK ? 100 : 700;
const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'example-api';
// The custom claims of the core's Criterion bench (core/benches/README.md), so the figures compare.
const CLAIMS = { role: 'editor', org: { id: 1234, name: 'Example Org Ltd' }, scopes: ['read', 'write', 'admin'], plan: 'pro' };
const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'];

function keyPair(algorithm) {
  if (algorithm === 'HS256') {
    const secret = crypto.randomBytes(32);
    return { secret, sign: crypto.createSecretKey(secret), verify: crypto.createSecretKey(secret) };
  }
  const { privateKey, publicKey } =
    algorithm === 'EdDSA'
      ? crypto.generateKeyPairSync('ed25519')
      : algorithm === 'ES256'
        ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }),
    sign: privateKey,
    verify: publicKey,
  };
}

function decodePart(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

// One algorithm's contestants: a sessionward manager holding the key, and each peer set up once (keys parsed
// once into the library's own key type), all signing and verifying the same header and claims.
async function contestants(algorithm) {
  const pair = keyPair(algorithm);
  const key =
    algorithm === 'HS256' ? sw.Key.fromSecret(pair.secret, 'bench') : sw.Key.fromPem(algorithm, pair.privatePem, 'bench');
  const manager = new sw.SessionManager({
    issuer: ISSUER,
    audience: AUDIENCE,
    store: new sw.MemoryStore(),
    keys: [key],
    sharedKeys: false,
  });
  const issued = manager.createSessionSync('user-42', { accessClaims: CLAIMS });
  const token = issued.accessToken;
  const [headerPart, payloadPart] = token.split('.');
  const header = decodePart(headerPart);
  const payload = decodePart(payloadPart);
  const handle = issued.session.handle;

  const jose = await import('jose'); // ESM only
  const joseSignKey = pair.sign;
  const joseVerifyKey = pair.verify;
  const nodeRsSignKey = algorithm === 'HS256' ? pair.secret : pair.privatePem;
  const nodeRsVerifyKey = algorithm === 'HS256' ? pair.secret : pair.publicPem;
  const fastSign = fastJwt.createSigner({ key: algorithm === 'HS256' ? pair.secret : pair.privatePem, algorithm, kid: 'bench', header: { typ: 'at+jwt' } });
  const fastVerify = fastJwt.createVerifier({
    key: algorithm === 'HS256' ? pair.secret : pair.publicPem,
    algorithms: [algorithm],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
  });
  const { iat, exp, ...rest } = payload;
  const peers = {
    jsonwebtoken:
      algorithm === 'EdDSA'
        ? null // jsonwebtoken 9 has no EdDSA
        : {
            sign: () => jsonwebtoken.sign(payload, pair.sign, { algorithm, header: { ...header, alg: algorithm } }),
            verify: (t) => jsonwebtoken.verify(t, pair.verify, { algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE }),
          },
    'fast-jwt': { sign: () => fastSign(payload), verify: (t) => fastVerify(t) },
    '@node-rs/jsonwebtoken (sync)': nodeRsJwt && {
      sign: () => nodeRsJwt.signSync({ ...payload }, nodeRsSignKey, { algorithm, keyId: 'bench' }),
      verify: (t) => nodeRsJwt.verifySync(t, nodeRsVerifyKey, { algorithms: [algorithm], iss: [ISSUER], aud: [AUDIENCE] }),
      setsTyp: false, // its Header has no `typ`: it signs `typ: JWT`, which sessionward rightly refuses
    },
    'jose (async)': {
      sign: () =>
        new jose.SignJWT(rest).setProtectedHeader({ alg: algorithm, typ: 'at+jwt', kid: 'bench' }).setIssuedAt(iat).setExpirationTime(exp).sign(joseSignKey),
      verify: (t) => jose.jwtVerify(t, joseVerifyKey, { algorithms: [algorithm], issuer: ISSUER, audience: AUDIENCE }),
      async: true,
    },
  };
  const ours = {
    sign: () => manager.regenerateAccessTokenSync(handle).token,
    verify: (t) => manager.verify(t),
  };
  // Correctness before speed: every verifier accepts every signer's token, with the same subject.
  const ourClaims = ours.verify(token);
  if (ourClaims.userId !== 'user-42' || ourClaims.claims.org.id !== 1234) throw new Error('sessionward verify disagrees');
  for (const [name, peer] of Object.entries(peers)) {
    if (peer === null) continue;
    const verified = await peer.verify(token);
    const sub = verified.sub ?? verified.payload?.sub;
    if (sub !== 'user-42') throw new Error(`${name} did not verify sessionward's token`);
    const theirs = await peer.sign();
    const theirHeader = decodePart(theirs.split('.')[0]);
    if (theirHeader.kid !== 'bench') throw new Error(`${name} signed without the kid: ${JSON.stringify(theirHeader)}`);
    if (peer.setsTyp !== false && ours.verify(theirs).userId !== 'user-42') throw new Error(`sessionward did not verify ${name}'s token`);
  }
  return { token, ours, peers };
}

function medianUs(task) {
  return task.result.latency.p50 * 1000;
}

async function timeCalls(entries) {
  const bench = new Bench({ time: TIME_MS, warmupTime: Math.min(TIME_MS, 200) });
  for (const [name, fn] of entries) bench.add(name, fn);
  await bench.run();
  return Object.fromEntries(bench.tasks.map((t) => [t.name, medianUs(t)]));
}

async function jwtTable() {
  const rows = {};
  for (const algorithm of ALGORITHMS) {
    const { token, ours, peers } = await contestants(algorithm);
    const entries = [
      [`sessionward sign`, ours.sign],
      [`sessionward verify`, () => ours.verify(token)],
    ];
    for (const [name, peer] of Object.entries(peers)) {
      if (peer === null) continue;
      entries.push([`${name} sign`, peer.sign], [`${name} verify`, () => peer.verify(token)]);
    }
    const results = await timeCalls(entries);
    for (const [name, us] of Object.entries(results)) {
      const [lib, op] = [name.slice(0, name.lastIndexOf(' ')), name.slice(name.lastIndexOf(' ') + 1)];
      rows[lib] ??= {};
      rows[lib][`${algorithm} ${op}`] = us;
    }
    process.stderr.write(`  ${algorithm} done\n`);
  }
  return rows;
}

function printJwtTable(rows, rustVerify) {
  const columns = ALGORITHMS.flatMap((a) => [`${a} sign`, `${a} verify`]);
  console.log('\nµs per operation, median (lower is better); ops/s = 1e6 / µs\n');
  console.log(`| library | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '--:').join('|')}|`);
  for (const [lib, cells] of Object.entries(rows)) {
    const shown = columns.map((c) => (cells[c] === undefined ? '–' : cells[c] < 10 ? cells[c].toFixed(2) : cells[c].toFixed(1)));
    console.log(`| ${lib} | ${shown.join(' | ')} |`);
  }
  console.log('\nsessionward against the fastest peer (peer µs / sessionward µs; above 1 = sessionward faster):\n');
  for (const column of columns) {
    const ours = rows['sessionward'][column];
    const best = Object.entries(rows)
      .filter(([lib, cells]) => lib !== 'sessionward' && cells[column] !== undefined)
      .sort((a, b) => a[1][column] - b[1][column])[0];
    console.log(`- ${column}: ${(best[1][column] / ours).toFixed(2)}x against ${best[0]} (${best[1][column].toFixed(2)} µs)`);
  }
  if (rustVerify) {
    console.log('\nNode verify against the core\'s own Rust verify, same machine, same run (Node µs / Rust µs):\n');
    for (const algorithm of ALGORITHMS) {
      const node = rows['sessionward'][`${algorithm} verify`];
      console.log(`- ${algorithm}: ${node.toFixed(2)} / ${rustVerify[algorithm].toFixed(2)} = ${(node / rustVerify[algorithm]).toFixed(2)}`);
    }
  }
}

// The core's Criterion verify group, run now so that the Rust and Node figures come from one run.
function rustVerifyMedians() {
  const root = path.resolve(__dirname, '..', '..');
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target');
  execFileSync('cargo', ['bench', '-p', 'sessionward', '--bench', 'core', '--', 'verify/.*/sessionward'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const medians = {};
  for (const algorithm of ALGORITHMS) {
    // Criterion turns the '/' of a benchmark id into '_' in its directory names.
    const file = path.join(target, 'criterion', 'verify', `${algorithm}_sessionward`, 'new', 'estimates.json');
    medians[algorithm] = JSON.parse(fs.readFileSync(file, 'utf8')).median.point_estimate / 1000;
  }
  return medians;
}

// Store calls on a SQLite file: the Promise API (libuv pool) and the sync twins.
async function storeTable() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-'));
  const manager = new sw.SessionManager({ issuer: ISSUER, audience: AUDIENCE, store: new sw.SqliteStore(path.join(dir, 'bench.db')) });
  let asyncToken = (await manager.createSession('bench-async', { accessClaims: CLAIMS })).refreshToken;
  let syncToken = manager.createSessionSync('bench-sync', { accessClaims: CLAIMS }).refreshToken;
  const results = await timeCalls([
    ['createSession (Promise)', () => manager.createSession('u', { accessClaims: CLAIMS, userAgent: 'bench', ip: '127.0.0.1' })],
    ['createSessionSync', () => manager.createSessionSync('u', { accessClaims: CLAIMS, userAgent: 'bench', ip: '127.0.0.1' })],
    ['refresh (Promise)', async () => { asyncToken = (await manager.refresh(asyncToken)).refreshToken; }],
    ['refreshSync', () => { syncToken = manager.refreshSync(syncToken).refreshToken; }],
  ]);
  console.log('\nSQLite store (temp file, WAL), EdDSA, µs per call, median:\n');
  console.log('| call | µs | calls/s |\n|---|--:|--:|');
  for (const [name, us] of Object.entries(results)) console.log(`| ${name} | ${us.toFixed(1)} | ${Math.round(1e6 / us)} |`);
  return { manager, dir };
}

// A refresh storm (64 concurrent refresh chains) with a timer-driven event-loop delay monitor running: the
// Promise calls must leave the loop free, and the sync twin shows what blocking it would cost.
// monitorEventLoopDelay records the time between its timer's ticks, so an idle loop reads the sampling interval
// itself: the table reports what exceeds it.
const SAMPLE_MS = 5;
function delayMs(histogram, percentile) {
  const ns = percentile === 'max' ? histogram.max : histogram.percentile(percentile);
  return Math.max(0, ns / 1e6 - SAMPLE_MS).toFixed(1);
}

async function eventLoopDelay({ manager }) {
  const issued = await Promise.all(Array.from({ length: 64 }, (_, i) => manager.createSession(`storm-${i}`)));
  const chains = issued.map((tokens) => tokens.refreshToken); // the newest refresh token of each chain
  const seconds = QUICK ? 1 : 3;
  async function storm(useSync) {
    const histogram = monitorEventLoopDelay({ resolution: SAMPLE_MS });
    histogram.enable();
    const deadline = Date.now() + seconds * 1000;
    let refreshes = 0;
    await Promise.all(
      chains.map(async (_, chain) => {
        while (Date.now() < deadline) {
          const token = chains[chain];
          chains[chain] = useSync ? manager.refreshSync(token).refreshToken : (await manager.refresh(token)).refreshToken;
          refreshes += 1;
          if (useSync) await new Promise(setImmediate);
        }
      }),
    );
    histogram.disable();
    return { refreshes: refreshes / seconds, histogram };
  }
  const idle = monitorEventLoopDelay({ resolution: SAMPLE_MS });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  idle.disable();
  const promised = await storm(false);
  const blocking = await storm(true);
  const row = (name, rate, h) => `| ${name} | ${rate} | ${delayMs(h, 50)} | ${delayMs(h, 99)} | ${delayMs(h, 'max')} |`;
  console.log('\nEvent-loop delay during a refresh storm (64 concurrent chains, SQLite), ms beyond the sampling interval:\n');
  console.log('| run | refreshes/s | delay p50 | delay p99 | delay max |\n|---|--:|--:|--:|--:|');
  console.log(row('idle loop (baseline)', '–', idle));
  console.log(row('refresh() Promises', Math.round(promised.refreshes), promised.histogram));
  console.log(row('refreshSync(), one per tick (for contrast)', Math.round(blocking.refreshes), blocking.histogram));
}

async function main() {
  console.log(`sessionward ${sw.version}, Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0].model}), ${new Date().toISOString()}`);
  const rustVerify = WITH_RUST ? rustVerifyMedians() : null;
  const rows = await jwtTable();
  printJwtTable(rows, rustVerify);
  const stores = await storeTable();
  await eventLoopDelay(stores);
  fs.rmSync(stores.dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
