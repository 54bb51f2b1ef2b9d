'use strict'
// Keys from PEM, JWK and secrets; tokens verified by `jose` given only the JWKS (or the shared secret).

const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const { sw, ISSUER, AUDIENCE, NOW, manager } = require('./helpers/common')

function nodeKeyPair(algorithm) {
  if (algorithm === 'EdDSA') return crypto.generateKeyPairSync('ed25519')
  if (algorithm === 'ES256') return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
}

const pem = (key, type) => key.export({ format: 'pem', type })

for (const algorithm of ['EdDSA', 'ES256', 'RS256']) {
  test(`${algorithm}: PEM and JWK keys; jose verifies from the JWKS alone`, async () => {
    const { jwtVerify, createLocalJWKSet } = await import('jose')
    const pair = nodeKeyPair(algorithm)
    const key = sw.Key.fromPem(algorithm, pem(pair.privateKey, 'pkcs8'), 'signing-1')
    assert.strictEqual(key.kid, 'signing-1')
    assert.strictEqual(key.algorithm, algorithm)
    assert.strictEqual(key.canSign, true)
    const jwk = key.publicJwk()
    assert.strictEqual(jwk.kid, 'signing-1')
    assert.strictEqual(jwk.alg, algorithm)
    assert.strictEqual(jwk.use, 'sig')
    assert.ok(!('d' in jwk), 'the public JWK has no private member')

    const verifier = sw.Key.fromPem(algorithm, pem(pair.publicKey, 'spki'), 'signing-1')
    assert.strictEqual(verifier.canSign, false)
    const fromJwk = sw.Key.fromJwk(jwk)
    assert.strictEqual(fromJwk.canSign, false)
    assert.deepStrictEqual(sw.Key.fromJwk(JSON.stringify(jwk)).publicJwk(), jwk)

    const m = manager({ keys: [key] })
    const issued = m.createSessionSync('user-1', { accessClaims: { role: 'admin' }, now: NOW })
    // A verify-only manager from the public JWK accepts the token.
    const checker = manager({ keys: [fromJwk] })
    assert.strictEqual(checker.verify(issued.accessToken, { now: NOW }).userId, 'user-1')

    const jwks = m.jwks()
    assert.deepStrictEqual(jwks, { keys: [jwk] })
    const { payload, protectedHeader } = await jwtVerify(issued.accessToken, createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [algorithm],
      typ: 'at+jwt',
      currentDate: new Date((NOW + 1) * 1000),
    })
    assert.strictEqual(protectedHeader.kid, 'signing-1')
    assert.strictEqual(payload.sub, 'user-1')
    assert.strictEqual(payload.role, 'admin')
    assert.strictEqual(payload.sid, issued.session.handle)

    // A PEM under the wrong algorithm is refused.
    const other = algorithm === 'EdDSA' ? 'ES256' : 'EdDSA'
    assert.throws(() => sw.Key.fromPem(other, pem(pair.privateKey, 'pkcs8')), { code: 'bad_configuration' })
  })
}

for (const algorithm of ['EdDSA', 'ES256', 'RS256']) {
  test(`${algorithm}: generated keys publish a JWKS that jose accepts`, async () => {
    const { jwtVerify, createLocalJWKSet } = await import('jose')
    const m = manager({ algorithm })
    const issued = await m.createSession('user-9', { now: NOW })
    const { payload } = await jwtVerify(issued.accessToken, createLocalJWKSet(m.jwks()), {
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(NOW * 1000),
    })
    assert.strictEqual(payload.sub, 'user-9')
    const generated = sw.Key.generate(algorithm)
    assert.strictEqual(generated.algorithm, algorithm)
    assert.match(generated.kid, /^[A-Za-z0-9_-]+$/)
  })
}

test('HS256: a shared secret signs; jose verifies with the secret; the JWKS never holds it', async () => {
  const { jwtVerify } = await import('jose')
  const secret = crypto.randomBytes(32)
  const key = sw.Key.fromSecret(secret, 'shared-1')
  assert.strictEqual(key.algorithm, 'HS256')
  assert.strictEqual(key.publicJwk(), null)
  assert.strictEqual(sw.Key.generate('HS256').publicJwk(), null)
  const m = manager({ keys: [key] })
  assert.deepStrictEqual(m.jwks(), { keys: [] })
  const issued = m.createSessionSync('user-1', { now: NOW })
  const { payload } = await jwtVerify(issued.accessToken, new Uint8Array(secret), {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['HS256'],
    currentDate: new Date(NOW * 1000),
  })
  assert.strictEqual(payload.sub, 'user-1')
  // A Uint8Array works as well as a Buffer; a short secret is refused.
  assert.strictEqual(sw.Key.fromSecret(new Uint8Array(secret), 'shared-1').kid, 'shared-1')
  assert.throws(() => sw.Key.fromSecret(Buffer.alloc(31)), { code: 'bad_configuration' })
})

test('weak and malformed keys are refused at import', () => {
  const rsa1024 = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 })
  assert.throws(() => sw.Key.fromPem('RS256', pem(rsa1024.privateKey, 'pkcs8')), { code: 'bad_configuration' })
  assert.throws(() => sw.Key.fromPem('EdDSA', 'not a pem'), { code: 'bad_configuration' })
  assert.throws(() => sw.Key.fromJwk('{"kty":"OKP"}'), { code: 'bad_configuration' })
  assert.throws(() => sw.Key.fromSecret(Buffer.alloc(32), 'bad kid!'), { code: 'bad_configuration' })
  assert.throws(() => new sw.Key(), /constructor/i)
})
