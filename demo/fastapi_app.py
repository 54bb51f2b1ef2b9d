"""The sessionward demo, FastAPI edition: sign-in, a protected page and API, "your sessions", sign-out.

Run it with ``scripts/demo`` (or ``uvicorn fastapi_app:app`` from this directory). ``demo/express_app.js`` is the
same demo in Express; both serve the pages of ``demo/static/`` and share one SQLite file, so a session started
on one is accepted by the other.

Settings (environment), shared with the Express demo:

- ``SESSIONWARD_DEMO_DB``: the SQLite file (default ``$TMPDIR/sessionward-demo/sessions.sqlite3``);
- ``SESSIONWARD_DEMO_ACCESS_TTL``: access-token lifetime in seconds (default 20, short so refreshes show);
- ``SESSIONWARD_DEMO_GRACE_PERIOD``: refresh-token grace window in seconds (default 10);
- ``SESSIONWARD_DEMO_REFRESH_AHEAD``: how early the pages refresh before expiry, in seconds (default 5; 0 turns
  refresh-ahead off, so that the expired-token path is the one taken).
"""

from __future__ import annotations

import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from sessionward import (
    AccessClaims,
    HttpSessions,
    SessionManager,
    SqliteStore,
    TheftEvent,
    TokenTheftError,
    UnauthorisedError,
)
from sessionward.fastapi import SessionwardFastAPI

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
BROWSER_HELPER = HERE.parent / "node" / "browser" / "sessionward-browser.js"
CONFIG = json.loads((HERE / "demo.json").read_text())


def _seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


DEFAULT_DB = Path(tempfile.gettempdir(), "sessionward-demo", "sessions.sqlite3")
DB_PATH = Path(os.environ.get("SESSIONWARD_DEMO_DB") or DEFAULT_DB)
DB_PATH.parent.mkdir(parents=True, exist_ok=True)
ACCESS_TTL = _seconds("SESSIONWARD_DEMO_ACCESS_TTL", 20)
REFRESH_AHEAD = _seconds("SESSIONWARD_DEMO_REFRESH_AHEAD", 5)
# Which sessions a theft verdict revoked, so that the legitimate device is told why it was signed out (the store
# deletes a revoked session, and the thief, not the victim, received the theft answer). Shared with the Express
# demo; session handles are not secrets.
THEFTS_PATH = Path(f"{DB_PATH}-thefts.jsonl")


def record_theft(event: TheftEvent) -> None:
    with THEFTS_PATH.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"session_handle": event.session_handle, "detected_at": event.detected_at}) + "\n")


def was_stolen(session_handle: str) -> bool:
    try:
        lines = THEFTS_PATH.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    return any(json.loads(line).get("session_handle") == session_handle for line in lines if line.strip())


manager = SessionManager(
    issuer=CONFIG["issuer"],
    audience=CONFIG["audience"],
    store=SqliteStore(str(DB_PATH)),
    access_ttl=ACCESS_TTL,
    grace_period=_seconds("SESSIONWARD_DEMO_GRACE_PERIOD", 10),
    # One machine signs and verifies: no clock skew to allow for, and a short TTL should mean what it says.
    leeway=0,
    front_token_claims=["name"],
    on_theft=record_theft,
)
# The demo runs on http://localhost, where browsers drop Secure cookies: secure=False is for this demo only.
# Never turn it off in production. SameSite stays Lax (the default).
sessions = SessionwardFastAPI(manager, HttpSessions(secure=False, same_site="lax"))

app = FastAPI(title="sessionward demo (FastAPI)")
sessions.install(app)


@app.middleware("http")
async def security_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    response.headers.setdefault("content-security-policy", "default-src 'self'; frame-ancestors 'none'")
    response.headers.setdefault("x-content-type-options", "nosniff")
    response.headers.setdefault("referrer-policy", "same-origin")
    if request.url.path.startswith("/api/"):
        response.headers.setdefault("cache-control", "no-store")
    return response


async def live_session(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> AccessClaims:
    """The verified claims, whose session the store confirms is alive: a revocation (sign-out elsewhere, theft)
    takes effect at once instead of when the access token expires."""
    session = await manager.aget_session(claims.session_handle)
    if session is None or session.user_id != claims.user_id:
        if was_stolen(claims.session_handle):
            message = "token_theft: the session was revoked after a refresh token replay"
            raise TokenTheftError(message, claims.session_handle, claims.user_id)
        raise UnauthorisedError("unauthorised: the session was revoked; sign in again", "SessionRevoked")
    return claims


Live = Annotated[AccessClaims, Depends(live_session)]


# -- pages ----------------------------------------------------------------------------------------------------


@app.get("/", include_in_schema=False)
def sign_in_page() -> FileResponse:
    return FileResponse(STATIC / "index.html")


@app.get("/app", include_in_schema=False)
def protected_page() -> FileResponse:
    # A static shell: its content comes from the protected API, which is where the session is checked.
    return FileResponse(STATIC / "app.html")


@app.get("/sessions", include_in_schema=False)
def sessions_page() -> FileResponse:
    return FileResponse(STATIC / "sessions.html")


@app.get("/lib/sessionward-browser.js", include_in_schema=False)
def browser_helper() -> FileResponse:
    return FileResponse(BROWSER_HELPER, media_type="text/javascript")


app.mount("/static", StaticFiles(directory=STATIC), name="static")


# -- API ------------------------------------------------------------------------------------------------------


@app.get("/api/config")
def config() -> dict[str, Any]:
    return {
        "server": "fastapi",
        "access_ttl": ACCESS_TTL,
        "refresh_ahead": REFRESH_AHEAD,
        "password": CONFIG["password"],
        "users": list(CONFIG["users"]),
    }


@app.post("/api/login")
async def login(request: Request, response: Response) -> dict[str, Any]:
    # JSON only: a cross-site form cannot send it without a CORS preflight, so no login CSRF.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the credentials as JSON")
    try:
        body = await request.json()
        username, password = str(body["username"]), str(body["password"])
    except (ValueError, KeyError, TypeError):
        raise HTTPException(400, 'send {"username": ..., "password": ...}') from None
    known = username in CONFIG["users"]
    # Constant-time comparison, and the same answer for unknown users and wrong passwords.
    if not (hmac.compare_digest(password.encode(), CONFIG["password"].encode()) and known):
        raise HTTPException(401, "unknown user or wrong password")
    claims = {"name": CONFIG["users"][username]}
    issued = await sessions.alogin(response, username, request=request, access_claims=claims)
    return sessions.login_response_data(issued)


@app.get("/api/me")
def me(claims: Live) -> dict[str, Any]:
    return {
        "user_id": claims.user_id,
        "name": claims.get("name"),
        "server": "fastapi",
        "issued_at": claims.issued_at,
        "expires_at": claims.expires_at,
    }


def _session_row(session: Any, current: str) -> dict[str, Any]:
    return {
        "handle": session.handle,
        "current": session.handle == current,
        "user_agent": session.user_agent,
        "ip": session.ip,
        "created_at": session.created_at,
        "refreshed_at": session.refreshed_at,
        "idle_expires_at": session.idle_expires_at,
    }


@app.get("/api/sessions")
async def list_sessions(claims: Live) -> dict[str, Any]:
    rows = await manager.alist_sessions(claims.user_id)
    return {"sessions": [_session_row(s, claims.session_handle) for s in rows]}


@app.post("/api/sessions/revoke-others")
async def revoke_others(claims: Live) -> dict[str, int]:
    return {"revoked": await manager.arevoke_all(claims.user_id, keep=claims.session_handle)}


@app.post("/api/sessions/{handle}/revoke")
async def revoke_one(handle: str, claims: Live) -> dict[str, bool]:
    session = await manager.aget_session(handle)
    # Someone else's handle answers exactly like an unknown one.
    if session is None or session.user_id != claims.user_id:
        raise HTTPException(404, "no such session")
    return {"revoked": await manager.arevoke(handle)}
