// One Node app instance for the multi-instance tests: a SessionManager on the store named in argv, driven by
// JSON lines on stdin (one request per line, one answer per line on stdout). The Python test is the other
// instance; both share the store, so a session made by one must be served by the other.
'use strict';

const readline = require('node:readline');
const sw = require('../../node');

const [kind, url, prefix] = process.argv.slice(2);

function openStore() {
  switch (kind) {
    case 'sqlite':
      return new sw.SqliteStore(url);
    case 'postgres':
      return new sw.PostgresStore(url, { tablePrefix: prefix });
    case 'redis':
      return new sw.RedisStore(url, { keyPrefix: prefix });
    default:
      throw new Error(`unknown store kind ${kind}`);
  }
}

const manager = new sw.SessionManager({
  issuer: 'https://multi.test',
  audience: 'multi-api',
  store: openStore(),
  onTheft: (event) => reply({ event: 'theft', session_handle: event.sessionHandle }),
});

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function failure(err) {
  if (typeof err.code !== 'string') throw err;
  return { ok: false, code: err.code };
}

// Each operation answers a plain JSON object; sessionward errors become {ok: false, code}.
const operations = {
  async create({ user_id: userId }) {
    return { ok: true, tokens: (await manager.createSession(userId)).toJSON() };
  },
  async verify({ token }) {
    const claims = manager.verify(token);
    return { ok: true, user_id: claims.userId, session_handle: claims.sessionHandle };
  },
  async verify_live({ token }) {
    const { claims } = await manager.verifyWithStore(token);
    return { ok: true, user_id: claims.userId, session_handle: claims.sessionHandle };
  },
  async refresh({ token }) {
    return { ok: true, tokens: (await manager.refresh(token)).toJSON() };
  },
  // `count` refreshes of one token, all started at wall-clock time `start_at_ms` so that they race the
  // Python instance's threads started at the same moment.
  async refresh_many({ token, count, start_at_ms: startAtMs }) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAtMs - Date.now())));
    const attempts = Array.from({ length: count }, () =>
      manager.refresh(token).then(
        (issued) => ({ ok: true, tokens: issued.toJSON() }),
        (err) => failure(err),
      ),
    );
    return { ok: true, results: await Promise.all(attempts) };
  },
  async revoke({ handle }) {
    return { ok: true, revoked: await manager.revoke(handle) };
  },
  async get_session({ handle }) {
    const session = await manager.getSession(handle);
    return { ok: true, session: session === null ? null : session.toJSON() };
  },
};

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const request = JSON.parse(line);
  let answer;
  try {
    answer = await operations[request.op](request);
  } catch (err) {
    answer = failure(err);
  }
  reply({ id: request.id, ...answer });
});
reply({ ready: true });
