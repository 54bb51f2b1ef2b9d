// ESM entry of sessionward/express: the CommonJS module's exports, named and default.
import express from './express.js';

export const {
  sessionward,
  Sessionward,
  STATUS_BY_CODE,
  PUBLIC_MESSAGES,
  MAX_REFRESH_BODY_BYTES,
  DEFAULT_LOGOUT_PATH,
  isSessionwardError,
  clearsCookies,
  errorResponseBody,
  parseRefreshBody,
} = express;
export default express;
