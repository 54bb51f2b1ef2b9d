// Compiled (not run) by express-types.test.js with `tsc --noEmit --strict`: the declarations of
// sessionward/express must accept ordinary Express code and refuse misuse (lines marked @ts-expect-error).
import express from 'express';
import { HttpSessions, SessionManager, MemoryStore } from 'sessionward';
import type { AccessClaims, Session } from 'sessionward';
import { sessionward, Sessionward, STATUS_BY_CODE, type LoginResponseBody } from 'sessionward/express';

const manager = new SessionManager({ issuer: 'https://issuer.test', audience: 'api.test', store: new MemoryStore() });
const sessions: Sessionward = sessionward({ manager, http: new HttpSessions({ mode: 'both' }), logger: console });
const app = express();
app.use(sessions.routes());
app.post(sessions.refreshPath, sessions.refreshHandler());
app.post(sessions.logoutPath, sessions.logoutHandler());

app.post('/login', express.json(), async (req, res) => {
  const body: LoginResponseBody = await sessions.login(res, 'alice', { accessClaims: { role: 'admin' }, ip: null });
  const access: string | undefined = body.access_token;
  res.json({ ...body, access });
});

app.get('/me', sessions.requireSession(), (req, res) => {
  const claims: AccessClaims | null | undefined = req.auth;
  res.json({ user: claims?.userId });
});
app.get('/live', sessions.requireLiveSession(), (req, res) => {
  const session: Session | undefined = req.authSession;
  res.json({ data: session?.data });
});
app.get('/admin', sessions.requireClaim('role', 'admin'), sessions.requireScope('write', { claim: 'perms' }));
app.get('/maybe', sessions.optionalSession());
app.use(sessions.errorHandler());

const status: number = STATUS_BY_CODE.token_theft;
void status;

// @ts-expect-error a claim value must be JSON data
sessions.requireClaim('role', () => 'admin');
// @ts-expect-error the manager is required
sessionward({});
// @ts-expect-error login needs a user id
void sessions.login({} as express.Response);
