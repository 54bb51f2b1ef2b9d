// Node verifies the tokens every implementation minted (tests/vectors/minted-by-*.json; vectors.py there tells
// how they are made), as of their minting time; and the `jose` package, given only the public JWKS, verifies them
// too: an independent verifier for the asymmetric keys.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test } = require('node:test');

const VECTORS = path.join(__dirname, '..', '..', 'tests', 'vectors');
const { managerFor } = require(path.join(VECTORS, 'vectors.js'));

const LEEWAY = 30; // the default `leeway` of every package
const documents = fs
  .readdirSync(VECTORS)
  .filter((name) => /^minted-by-.*\.json$/.test(name))
  .map((name) => JSON.parse(fs.readFileSync(path.join(VECTORS, name), 'utf8')));

test('Python and Node both published vectors', () => {
  assert.deepEqual(documents.map((d) => d.producer).sort(), ['node', 'python']);
});

for (const document of documents) {
  for (const vector of document.vectors) {
    const name = `${document.producer} ${vector.algorithm}`;

    test(`verifies the token minted by ${name}`, () => {
      const claims = managerFor(vector.algorithm).verify(vector.token, { now: document.minted_at + 1 });
      assert.deepEqual(
        [claims.userId, claims.sessionHandle, claims.tokenId, claims.expiresAt, claims.issuer, claims.audience],
        [vector.sub, vector.sid, vector.jti, vector.exp, document.issuer, [document.audience]],
      );
      assert.deepEqual(claims.claims, document.access_claims);
    });

    test(`the token minted by ${name} expires and resists tampering`, () => {
      const manager = managerFor(vector.algorithm);
      assert.throws(() => manager.verify(vector.token, { now: vector.exp + LEEWAY + 1 }), { code: 'try_refresh' });
      const [header, payload, signature] = vector.token.split('.');
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      assert.throws(() => manager.verify(`${header}.${payload}.${flipped}`, { now: document.minted_at + 1 }), {
        code: 'unauthorised',
      });
    });

    if (vector.algorithm !== 'HS256') {
      test(`jose verifies the token minted by ${name} from the JWKS alone`, async () => {
        const jose = await import('jose');
        const jwks = jose.createLocalJWKSet(managerFor(vector.algorithm).jwks());
        const { payload, protectedHeader } = await jose.jwtVerify(vector.token, jwks, {
          issuer: document.issuer,
          audience: document.audience,
          algorithms: [vector.algorithm],
          typ: 'at+jwt',
          currentDate: new Date((document.minted_at + 1) * 1000),
        });
        assert.equal(payload.sub, vector.sub);
        assert.equal(protectedHeader.kid, managerFor(vector.algorithm).jwks().keys[0].kid);
      });
    }
  }
}
