// ESM entry point: the same objects as the CommonJS one (index.js).
import sessionward from './index.js'

export const {
  SessionManager,
  HttpSessions,
  Key,
  MemoryStore,
  SqliteStore,
  PostgresStore,
  RedisStore,
  RedisClusterStore,
  AccessClaims,
  Session,
  AccessToken,
  IssuedTokens,
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
} = sessionward
export default sessionward
