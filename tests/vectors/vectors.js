// The Node side of the cross-language vectors (vectors.py tells the whole story; the Node test that reads them is
// node/test/vectors.test.js):
// `node vectors.js` rewrites minted-by-node.json from the fixed test keys in keys.json.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const sw = require('../../node');

const KEYS = JSON.parse(fs.readFileSync(path.join(__dirname, 'keys.json'), 'utf8'));
const ISSUER = 'https://vectors.sessionward.test';
const AUDIENCE = 'vectors-api';
const MINTED_AT = 1_800_000_000;
const ACCESS_TTL = 900;
const ACCESS_CLAIMS = { role: 'editor', org: { id: 1234, name: 'Example Org Ltd' }, scopes: ['read', 'write'] };
const ALGORITHMS = ['EdDSA', 'ES256', 'RS256', 'HS256'];

function key(algorithm) {
  const entry = KEYS[algorithm];
  return algorithm === 'HS256'
    ? sw.Key.fromSecret(Buffer.from(entry.secret_hex, 'hex'), entry.kid)
    : sw.Key.fromPem(algorithm, entry.private_pem, entry.kid);
}

/** A manager holding only the vector key of `algorithm`, on a private memory store. */
function managerFor(algorithm) {
  return new sw.SessionManager({
    issuer: ISSUER,
    audience: AUDIENCE,
    store: new sw.MemoryStore(),
    algorithm,
    keys: [key(algorithm)],
    accessTtl: ACCESS_TTL,
    now: MINTED_AT,
  });
}

function mint() {
  return ALGORITHMS.map((algorithm) => {
    const sub = `user-${algorithm.toLowerCase()}`;
    const issued = managerFor(algorithm).createSessionSync(sub, { accessClaims: ACCESS_CLAIMS, now: MINTED_AT });
    return {
      algorithm,
      token: issued.accessToken,
      front_token: issued.access.frontToken,
      sub,
      sid: issued.session.handle,
      jti: issued.access.tokenId,
      exp: issued.access.expiresAt,
    };
  });
}

module.exports = { KEYS, ISSUER, AUDIENCE, MINTED_AT, ACCESS_CLAIMS, ALGORITHMS, managerFor };

if (require.main === module) {
  const document = { producer: 'node', issuer: ISSUER, audience: AUDIENCE, minted_at: MINTED_AT, access_claims: ACCESS_CLAIMS, vectors: mint() };
  fs.writeFileSync(path.join(__dirname, 'minted-by-node.json'), `${JSON.stringify(document, null, 2)}\n`);
}
