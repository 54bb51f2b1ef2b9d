// Compiled, never run: `npx tsc --noEmit -p node/test/tsconfig.json` checks that every public call of the
// package type-checks under strict and isolatedModules (no const enums).

import {
  SessionManager,
  HttpSessions,
  Key,
  MemoryStore,
  SqliteStore,
  PostgresStore,
  RedisStore,
  RedisClusterStore,
  AccessClaims,
  AccessToken,
  IssuedTokens,
  Session,
  SessionwardError,
  TryRefreshError,
  UnauthorisedError,
  TokenTheftError,
  InvalidClaimError,
  InvalidArgumentError,
  ConfigurationError,
  StoreUnavailableError,
  ERROR_CODES,
  UNAUTHORISED_REASONS,
  ERROR_STATUS,
  PUBLIC_MESSAGES,
  version,
} from 'sessionward'
import type {
  Algorithm,
  ErrorCode,
  UnauthorisedReason,
  SessionManagerOptions,
  TheftEvent,
  VerifiedSession,
  TokensJson,
  SessionJson,
  Jwks,
  HttpSessionsOptions,
  TransportModeName,
} from 'sessionward'

async function everyCall(): Promise<void> {
  const algorithm: Algorithm = 'EdDSA'
  const generated: Key = Key.generate(algorithm)
  const pem: Key = Key.fromPem('ES256', '-----BEGIN PRIVATE KEY-----...', 'kid-1')
  const jwk: Key = Key.fromJwk({ kty: 'OKP', crv: 'Ed25519', x: '...', alg: 'EdDSA' })
  const fromText: Key = Key.fromJwk('{"kty":"OKP"}')
  const secret: Key = Key.fromSecret(Buffer.alloc(32), 'shared')
  const kid: string = generated.kid
  const alg: Algorithm = pem.algorithm
  const canSign: boolean = jwk.canSign
  const publicJwk: Record<string, string> | null = fromText.publicJwk()
  void [kid, alg, canSign, publicJwk, secret]

  const memory = new MemoryStore()
  const sqlite = new SqliteStore('sessions.sqlite3')
  const sqlitePath: string = sqlite.path
  const postgres = new PostgresStore('postgres://app@db/app', {
    poolSize: 4,
    connectTimeout: 2.5,
    statementTimeout: 5,
    tablePrefix: 'app_',
  })
  const migrations: string[] = PostgresStore.migrationsSql('app_')
  const redis = new RedisStore('redis://cache/', { poolSize: 4, timeout: 1, keyPrefix: 'app:' })
  const cluster = new RedisClusterStore(['redis://node-1:6379', 'redis://node-2:6379'], { poolSize: 4, timeout: 1, keyPrefix: 'app:' })
  void [sqlitePath, postgres.tablePrefix, postgres.poolSize, migrations, redis.keyPrefix, redis.poolSize, cluster.keyPrefix, cluster.poolSize]

  const onTheft = (event: TheftEvent): void => {
    const handle: string = event.sessionHandle
    const user: string = event.userId
    const at: number = event.detectedAt
    void [handle, user, at]
  }
  const options: SessionManagerOptions = {
    issuer: 'https://auth.example.com',
    audience: 'api',
    store: memory,
    algorithm: 'ES256',
    keys: [pem],
    sharedKeys: true,
    rotateKeysEvery: 86_400,
    publishKeysAhead: 600,
    keySyncInterval: 60,
    accessTtl: 900,
    idleTimeout: 3600,
    absoluteLifetime: 7200,
    gracePeriod: 60,
    leeway: 30,
    maxAccessTokenBytes: 3800,
    maxDataBytes: 65536,
    frontTokenClaims: ['role'],
    maxSessionsPerUser: 5,
    onTheft,
    now: 1_700_000_000,
  }
  const m = new SessionManager(options)
  new SessionManager({ issuer: 'i', audience: 'a', store: sqlite })
  new SessionManager({ issuer: 'i', audience: 'a', store: postgres })
  new SessionManager({ issuer: 'i', audience: 'a', store: redis })

  const issued: IssuedTokens = await m.createSession('user-1', {
    accessClaims: { role: 'admin' },
    data: { cart: [] },
    userAgent: 'ua',
    ip: '203.0.113.1',
    device: 'phone',
    now: 1_700_000_000,
  })
  const issuedSync: IssuedTokens = m.createSessionSync('user-1')
  const access: AccessToken = issued.access
  const token: string = issued.accessToken
  const refreshToken: string = issued.refreshToken
  const refreshExpiresAt: number = issued.refreshExpiresAt
  const body: TokensJson = issued.toJSON()
  const wire: string = body.access_token + body.refresh_token + body.front_token + body.session_handle
  const wireTimes: number = body.access_expires_at + body.refresh_expires_at
  void [access.token, access.expiresAt, access.tokenId, access.frontToken, refreshToken, refreshExpiresAt, wire, wireTimes]

  const claims: AccessClaims = m.verify(token, { now: 1_700_000_001 })
  const fields: [string, string, string, string, string[], number, number, string] = [
    claims.userId,
    claims.sessionHandle,
    claims.tokenId,
    claims.issuer,
    claims.audience,
    claims.issuedAt,
    claims.expiresAt,
    claims.kid,
  ]
  const custom: Record<string, unknown> = claims.claims
  const role: unknown = claims.get('role')
  claims.requireEq('role', 'admin')
  claims.requireContains('scope', 'read')
  const all: Record<string, unknown> = claims.toJSON()
  // @ts-expect-error AccessClaims come from verify only
  void new AccessClaims()
  void [fields, custom, role, all]

  const verified: VerifiedSession = await m.verifyWithStore(token)
  const verifiedSync: VerifiedSession = m.verifyWithStoreSync(token, { now: 1 })
  const session: Session = verified.session
  const sessionFields: [string, string, number, number, number, number] = [
    session.handle,
    session.userId,
    session.createdAt,
    session.refreshedAt,
    session.idleExpiresAt,
    session.absoluteExpiresAt,
  ]
  const meta: [string | null, string | null, string | null] = [session.userAgent, session.ip, session.device]
  const sessionJson: SessionJson = session.toJSON()
  void [verifiedSync.claims, session.accessClaims, session.data, sessionFields, meta, sessionJson.user_id]

  const next: IssuedTokens = await m.refresh(refreshToken, { now: 1 })
  m.refreshSync(next.refreshToken)
  const revoked: boolean = (await m.revoke(session.handle)) && m.revokeSync(session.handle)
  const byToken: boolean = (await m.revokeByRefreshToken(refreshToken)) || m.revokeByRefreshTokenSync(refreshToken)
  const count: number = (await m.revokeAll('user-1', { keep: session.handle })) + m.revokeAllSync('user-1')
  const list: Session[] = [...(await m.listSessions('user-1')), ...m.listSessionsSync('user-1', { now: 1 })]
  const one: Session | null = (await m.getSession(session.handle)) ?? m.getSessionSync(session.handle, { now: 1 })
  const updated: Session = await m.updateSessionData(session.handle, { theme: 'dark' })
  m.updateSessionDataSync(session.handle, null, { now: 1 })
  const reclaimed: Session = await m.updateAccessClaims(session.handle, { role: 'viewer' })
  m.updateAccessClaimsSync(session.handle, {}, { now: 1 })
  const regenerated: AccessToken = await m.regenerateAccessToken(session.handle)
  m.regenerateAccessTokenSync(session.handle, { now: 1 })
  const purged: number = (await m.purgeExpired()) + m.purgeExpiredSync({ now: 1 })
  const newKid: string = (await m.rotateKeys()) + m.rotateKeysSync({ now: 1 })
  const keyRevoked: boolean = (await m.revokeKey(newKid)) || m.revokeKeySync(newKid, { now: 1 })
  await m.syncKeys()
  m.syncKeysSync()
  const jwks: Jwks = m.jwks()
  const firstKid: string | undefined = jwks.keys[0]?.kid
  const meta2: [string, string, number] = [m.issuer, m.audience, m.accessTtl]
  void [revoked, byToken, count, list, one, updated, reclaimed, regenerated, purged, keyRevoked, firstKid, meta2]
  void issuedSync

  const httpOptions: HttpSessionsOptions = {
    mode: 'both',
    accessCookie: 'a',
    refreshCookie: 'r',
    frontCookie: 'f',
    domain: 'example.com',
    secure: true,
    sameSite: 'strict',
    accessPath: '/',
    refreshPath: '/auth/refresh',
    hostPrefix: false,
    csrf: 'custom_header',
    csrfHeader: 'x-requested-with',
  }
  const http = new HttpSessions(httpOptions)
  new HttpSessions()
  const mode: TransportModeName = http.mode
  const names: [string | null, string, string, string, string] = [
    http.csrfHeader,
    http.refreshPath,
    http.accessCookie,
    http.refreshCookie,
    http.frontCookie,
  ]
  const authed: AccessClaims = http.authenticate(m, { method: 'GET', cookie: 'a=b', authorization: 'Bearer x', csrf: 'c', now: 1 })
  const refreshed: IssuedTokens = await http.refresh(m, { method: 'POST', cookie: 'r=x', csrf: 'c', bodyToken: 'swr_x', now: 1 })
  http.refreshSync(m, { bodyToken: 'swr_x' })
  const out: boolean = (await http.logout(m)) || http.logoutSync(m, { cookie: 'a=b' })
  const setCookies: string[] = [
    ...http.sessionCookies(refreshed, { now: 1 }),
    ...http.accessCookies(regenerated, session.absoluteExpiresAt, { now: 1 }),
    ...http.clearCookies(),
  ]
  void [mode, names, authed, out, setCookies]
}

function errors(err: unknown): string {
  const codes: readonly ErrorCode[] = ERROR_CODES
  const reasons: readonly UnauthorisedReason[] = UNAUTHORISED_REASONS
  const v: string = version
  const status: number = ERROR_STATUS.token_theft
  const sentence: string = PUBLIC_MESSAGES[codes[0]]
  void [codes, reasons, v, status, sentence]
  if (err instanceof TokenTheftError) return err.sessionHandle + err.userId
  if (err instanceof UnauthorisedError) return err.reason
  if (err instanceof InvalidClaimError) return err.claim
  if (err instanceof TryRefreshError || err instanceof InvalidArgumentError) return err.code
  if (err instanceof ConfigurationError || err instanceof StoreUnavailableError) return err.publicMessage
  if (err instanceof SessionwardError) {
    const status: number = err.status
    const body: { error: ErrorCode; message: string } = err.toJSON()
    return `${status} ${body.error} ${body.message} ${err.message}`
  }
  return String(err)
}

void everyCall
void errors
