"""Keys (generate, PEM, JWK, secret, weak keys, static rings) and HttpSessions (cookies, CSRF, validation)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from unittest import mock

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from sessionward import (
    ConfigurationError,
    HttpSessions,
    InvalidArgumentError,
    IssuedTokens,
    Key,
    MemoryStore,
    SessionManager,
    SqliteStore,
    UnauthorisedError,
)

NOW = 1_700_000_000.0
T0 = int(NOW)
ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
KID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SECRET = b"0123456789abcdef0123456789abcdef"


def make_manager(**kwargs: Any) -> SessionManager:
    kwargs.setdefault("store", MemoryStore())
    with mock.patch("time.time", return_value=NOW):
        return SessionManager(issuer=ISSUER, audience=AUDIENCE, **kwargs)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def private_pem(key: Any) -> str:
    return str(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )


def public_pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


CRYPTO_KEYS = {
    "EdDSA": lambda: ed25519.Ed25519PrivateKey.generate(),
    "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
}


# ----- Key.generate -----


@pytest.mark.parametrize(
    ("algorithm", "kty"), [("EdDSA", "OKP"), ("ES256", "EC"), ("RS256", "RSA"), ("HS256", None)]
)
def test_generate(algorithm: Any, kty: str | None) -> None:
    key = Key.generate(algorithm)
    assert key.algorithm == algorithm
    assert key.can_sign is True
    assert KID_RE.match(key.kid)
    assert Key.generate(algorithm).kid != key.kid
    assert repr(key) == f'Key(kid="{key.kid}", algorithm="{algorithm}", can_sign=true)'
    jwk = key.public_jwk()
    if kty is None:
        assert jwk is None  # HS256 secrets are never published
    else:
        assert jwk is not None
        assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == (kty, key.kid, algorithm, "sig")
        assert "d" not in jwk


def test_generate_default_and_unknown_algorithm() -> None:
    assert Key.generate().algorithm == "EdDSA"
    for name in ["none", "HS512", "eddsa", ""]:
        with pytest.raises(ConfigurationError):
            Key.generate(name)  # type: ignore[arg-type]


# ----- Key.from_pem -----


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_from_pem_private_and_public(algorithm: Any) -> None:
    crypto = CRYPTO_KEYS[algorithm]()
    signer = Key.from_pem(algorithm, private_pem(crypto), kid="main-1")
    assert (signer.kid, signer.algorithm, signer.can_sign) == ("main-1", algorithm, True)
    verifier = Key.from_pem(algorithm, public_pem(crypto), "main-1")
    assert (verifier.kid, verifier.can_sign) == ("main-1", False)
    assert verifier.public_jwk() == signer.public_jwk()
    # A static ring: the private key signs, a service holding only the public key verifies.
    issuer = make_manager(keys=[signer])
    token = issuer.create_session("u", now=NOW).access_token
    assert b64json(token.split(".")[0]) == {"alg": algorithm, "kid": "main-1", "typ": "at+jwt"}
    verify_only = make_manager(keys=[verifier])
    assert verify_only.verify(token, now=NOW).user_id == "u"
    assert verify_only.jwks() == {"keys": [signer.public_jwk()]}
    with pytest.raises(ConfigurationError):
        verify_only.create_session("u", now=NOW)


def test_from_pem_random_kid_when_not_given() -> None:
    key = Key.from_pem("EdDSA", private_pem(ed25519.Ed25519PrivateKey.generate()))
    assert KID_RE.match(key.kid)


@pytest.mark.parametrize(
    ("algorithm", "pem"),
    [
        ("EdDSA", lambda: private_pem(ec.generate_private_key(ec.SECP256R1()))),  # wrong key type
        ("ES256", lambda: private_pem(ec.generate_private_key(ec.SECP384R1()))),  # wrong curve
        ("RS256", lambda: private_pem(ed25519.Ed25519PrivateKey.generate())),
        ("HS256", lambda: private_pem(ed25519.Ed25519PrivateKey.generate())),  # HS256 is a secret
        ("EdDSA", lambda: "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n"),
        ("EdDSA", lambda: "no pem at all"),
    ],
)
def test_from_pem_refuses_mismatched_or_corrupt_keys(algorithm: Any, pem: Any) -> None:
    with pytest.raises(ConfigurationError):
        Key.from_pem(algorithm, pem())


def test_weak_rsa_keys_are_refused() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ConfigurationError):  # aws-lc refuses it while parsing, with a generic message
        Key.from_pem("RS256", private_pem(weak))
    with pytest.raises(ConfigurationError, match="1024 bits"):
        Key.from_pem("RS256", public_pem(weak))
    numbers = weak.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "alg": "RS256",
        "n": b64url(numbers.n.to_bytes(128, "big")),
        "e": b64url(numbers.e.to_bytes(3, "big")),
    }
    with pytest.raises(ConfigurationError, match="1024 bits"):
        Key.from_jwk(jwk)


def test_small_order_ed25519_key_is_refused() -> None:
    identity = b"\x01" + b"\x00" * 31  # the neutral point: every signature would "verify"
    with pytest.raises(ConfigurationError, match="small order"):
        Key.from_jwk({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": b64url(identity)})


# ----- Key.from_jwk -----


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_from_jwk_public(algorithm: Any) -> None:
    source = Key.generate(algorithm)
    jwk = source.public_jwk()
    assert jwk is not None
    for form in (jwk, json.dumps(jwk)):
        key = Key.from_jwk(form)
        assert (key.kid, key.algorithm, key.can_sign) == (source.kid, algorithm, False)
        assert key.public_jwk() == jwk
    # Tokens of the source key verify with the imported public JWK.
    token = make_manager(keys=[source]).create_session("u", now=NOW).access_token
    assert make_manager(keys=[Key.from_jwk(jwk)]).verify(token, now=NOW).user_id == "u"


def test_from_jwk_private_okp_and_ec() -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    raw_d = ed.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    raw_x = ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    okp = Key.from_jwk(
        {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": "ed-1", "x": b64url(raw_x), "d": b64url(raw_d)}
    )
    assert (okp.kid, okp.can_sign) == ("ed-1", True)
    assert okp.public_jwk() == Key.from_pem("EdDSA", public_pem(ed), kid="ed-1").public_jwk()

    p256 = ec.generate_private_key(ec.SECP256R1())
    nums = p256.private_numbers()
    ec_key = Key.from_jwk(
        {
            "kty": "EC",
            "crv": "P-256",
            "alg": "ES256",
            "kid": "ec-1",
            "x": b64url(nums.public_numbers.x.to_bytes(32, "big")),
            "y": b64url(nums.public_numbers.y.to_bytes(32, "big")),
            "d": b64url(nums.private_value.to_bytes(32, "big")),
        }
    )
    assert (ec_key.kid, ec_key.algorithm, ec_key.can_sign) == ("ec-1", "ES256", True)
    manager = make_manager(keys=[okp, ec_key])
    assert manager.verify(manager.create_session("u", now=NOW).access_token, now=NOW).kid in {"ed-1", "ec-1"}


def test_from_jwk_oct_secret() -> None:
    key = Key.from_jwk({"kty": "oct", "alg": "HS256", "kid": "hs-1", "k": b64url(SECRET)})
    assert (key.kid, key.algorithm, key.can_sign, key.public_jwk()) == ("hs-1", "HS256", True, None)
    token = make_manager(keys=[key]).create_session("u", now=NOW).access_token
    assert make_manager(keys=[Key.from_secret(SECRET, kid="hs-1")]).verify(token, now=NOW).user_id == "u"
    with pytest.raises(ConfigurationError, match="31 bytes"):
        Key.from_jwk({"kty": "oct", "alg": "HS256", "k": b64url(SECRET[:31])})


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "OKP", "crv": "Ed25519", "x": b64url(b"\x02" * 32)},  # no alg
        {"kty": "EC", "crv": "P-256", "alg": "EdDSA", "x": "AA", "y": "AA"},  # kty does not fit alg
        {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": "too-short"},
        {"kty": "RSA", "alg": "RS256", "n": "AQAB", "e": "AQAB", "d": "AQAB"},  # RSA private JWK
        {"kty": "oct", "alg": "HS256"},  # no k
        {"kty": "OKP", "crv": "Ed25519", "alg": "none", "x": b64url(b"\x02" * 32)},
        "not json",
        "[1, 2]",
    ],
)
def test_from_jwk_refuses(jwk: Any) -> None:
    with pytest.raises(ConfigurationError):
        Key.from_jwk(jwk)


def test_from_jwk_bad_type() -> None:
    with pytest.raises(TypeError):
        Key.from_jwk(object())  # type: ignore[arg-type]


# ----- Key.from_secret -----


def test_from_secret() -> None:
    key = Key.from_secret(SECRET, kid="shared-1")
    assert (key.kid, key.algorithm, key.can_sign, key.public_jwk()) == ("shared-1", "HS256", True, None)
    assert KID_RE.match(Key.from_secret(SECRET).kid)
    assert Key.from_secret(SECRET * 4).can_sign


@pytest.mark.parametrize("length", [0, 1, 16, 31])
def test_short_secrets_are_refused(length: int) -> None:
    with pytest.raises(ConfigurationError, match=f"{length} bytes"):
        Key.from_secret(SECRET[:length])


@pytest.mark.parametrize("secret", ["a str of 32 characters.........", bytearray(SECRET), memoryview(SECRET)])
def test_secret_must_be_bytes(secret: Any) -> None:
    with pytest.raises(TypeError):
        Key.from_secret(secret)


@pytest.mark.parametrize("kid", ["", "has space", "x" * 65, "slash/kid", "ü"])
def test_bad_kids_are_refused(kid: str) -> None:
    with pytest.raises(ConfigurationError, match="key id"):
        Key.from_secret(SECRET, kid=kid)


# ----- static key rings -----


def test_static_ring_signs_with_last_signing_key_and_verifies_all() -> None:
    first, second = Key.generate("EdDSA"), Key.generate("ES256")
    old_token = make_manager(keys=[first]).create_session("u", now=NOW).access_token
    manager = make_manager(keys=[first, second])
    assert [k["kid"] for k in manager.jwks()["keys"]] == [first.kid, second.kid]
    # Keys of a static ring all activate at once; the core picks the last one that can sign.
    token = manager.create_session("u", now=NOW).access_token
    assert manager.verify(token, now=NOW).kid == second.kid
    assert manager.verify(old_token, now=NOW).kid == first.kid
    # A verify-only key after the signer does not take over signing.
    verify_only = Key.from_jwk(Key.generate("EdDSA").public_jwk() or {})
    assert make_manager(keys=[first, verify_only]).verify(
        make_manager(keys=[first, verify_only]).create_session("u", now=NOW).access_token, now=NOW
    ).kid == first.kid


def test_static_ring_refuses_duplicate_kids() -> None:
    with pytest.raises(ConfigurationError, match="already in the key ring"):
        make_manager(keys=[Key.from_secret(SECRET, kid="k"), Key.from_secret(SECRET * 2, kid="k")])


def test_static_ring_with_hs256_shared_secret() -> None:
    a = make_manager(keys=[Key.from_secret(SECRET, kid="hs")])
    b = make_manager(keys=[Key.from_secret(SECRET, kid="hs")])
    assert a.jwks() == {"keys": []}
    assert b.verify(a.create_session("u", now=NOW).access_token, now=NOW).user_id == "u"
    other = make_manager(keys=[Key.from_secret(b"x" * 32, kid="hs")])
    with pytest.raises(UnauthorisedError) as info:
        other.verify(a.create_session("u", now=NOW).access_token, now=NOW)
    assert info.value.reason == "Signature"


def test_static_ring_is_not_written_to_the_store(tmp_path: Any) -> None:
    path = tmp_path / "s.sqlite3"
    key = Key.generate("EdDSA")
    static = make_manager(store=SqliteStore(path), keys=[key])
    issued = static.create_session("u", now=NOW)
    shared = make_manager(store=SqliteStore(path))  # generates and shares its own key
    assert [k["kid"] for k in shared.jwks()["keys"]] != [key.kid]
    # Same sessions, different keys.
    session = shared.get_session(issued.session.handle, now=NOW)
    assert session is not None
    with pytest.raises(UnauthorisedError):
        shared.verify(issued.access_token, now=NOW)


def test_keys_must_be_key_objects() -> None:
    with pytest.raises(TypeError):
        make_manager(keys=["not a key"])
    with pytest.raises(TypeError):
        make_manager(keys=Key.generate())


# ----- HttpSessions: configuration -----


def test_http_sessions_defaults() -> None:
    http = HttpSessions()
    assert http.mode == "cookie"
    assert http.csrf_header == "x-csrf-token"
    assert (http.access_cookie, http.front_cookie, http.refresh_cookie) == ("sw_access", "sw_front", "sw_refresh")
    assert http.refresh_path == "/auth/refresh"


def test_http_sessions_custom_names_and_prefix() -> None:
    http = HttpSessions(
        mode="both", access_cookie="at", refresh_cookie="rt", front_cookie="ft", host_prefix=True,
        refresh_path="/api/refresh", csrf="custom_header", csrf_header="X-Requested-With",
    )
    assert http.mode == "both"
    assert (http.access_cookie, http.front_cookie, http.refresh_cookie) == ("__Host-at", "__Host-ft", "__Secure-rt")
    assert http.refresh_path == "/api/refresh"
    assert http.csrf_header == "x-requested-with"  # lower-cased
    assert HttpSessions(csrf="none").csrf_header is None


@pytest.mark.parametrize(
    "kwargs",
    [
        {"same_site": "none", "secure": False},
        {"host_prefix": True, "domain": "example.com"},
        {"host_prefix": True, "secure": False},
        {"host_prefix": True, "access_path": "/app"},
        {"access_cookie": "a=b"},
        {"front_cookie": "has space"},
        {"refresh_cookie": ""},
        {"access_cookie": "__Host-sw"},
        {"refresh_cookie": "__secure-sw"},
        {"access_cookie": "same", "front_cookie": "same"},
        {"refresh_path": "no-slash"},
        {"access_path": "/a;b"},
        {"domain": ""},
        {"domain": "example.com; HttpOnly"},
        {"csrf_header": "x csrf"},
        {"csrf_header": ""},
    ],
)
def test_http_sessions_refuses_bad_cookie_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        HttpSessions(**kwargs)


@pytest.mark.parametrize("kwargs", [{"mode": "cookies"}, {"same_site": "lenient"}, {"csrf": "token"}])
def test_http_sessions_refuses_unknown_choices(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        HttpSessions(**kwargs)


def test_same_site_is_case_insensitive() -> None:
    assert "SameSite=Strict" in HttpSessions(same_site="Strict").clear_cookies()[0]  # type: ignore[arg-type]


# ----- HttpSessions: cookies -----


@pytest.fixture
def manager() -> SessionManager:
    return make_manager()


@pytest.fixture
def issued(manager: SessionManager) -> IssuedTokens:
    return manager.create_session("u", now=NOW)


def test_session_cookies_exact(issued: IssuedTokens) -> None:
    cookies = HttpSessions().session_cookies(issued, now=NOW)
    lifetime = 14 * 86_400
    assert cookies == [
        f"sw_access={issued.access_token}; Max-Age={lifetime}; Path=/; Secure; HttpOnly; SameSite=Lax",
        f"sw_front={issued.access.front_token}; Max-Age={lifetime}; Path=/; Secure; SameSite=Lax",
        f"sw_refresh={issued.refresh_token}; Max-Age={lifetime}; Path=/auth/refresh; Secure; HttpOnly; SameSite=Lax",
    ]
    # Max-Age counts down from `now`.
    later = HttpSessions().session_cookies(issued, now=NOW + 100)
    assert f"Max-Age={lifetime - 100};" in later[2]


def test_session_cookies_with_attributes(issued: IssuedTokens) -> None:
    http = HttpSessions(domain="example.com", same_site="none", host_prefix=False, access_path="/app")
    cookies = http.session_cookies(issued, now=NOW)
    assert [c.split("=", 1)[0] for c in cookies] == ["sw_access", "sw_front", "sw_refresh"]
    assert all("; Domain=example.com; Secure;" in c and c.endswith("SameSite=None") for c in cookies)
    assert "; Path=/app;" in cookies[0] and "; Path=/app;" in cookies[1]
    insecure = HttpSessions(secure=False, same_site="strict").session_cookies(issued, now=NOW)
    assert all("Secure" not in c and c.endswith("; SameSite=Strict") for c in insecure)
    prefixed = HttpSessions(host_prefix=True).session_cookies(issued, now=NOW)
    assert [c.split("=", 1)[0] for c in prefixed] == ["__Host-sw_access", "__Host-sw_front", "__Secure-sw_refresh"]


def test_access_cookies_and_clear_cookies(manager: SessionManager, issued: IssuedTokens) -> None:
    http = HttpSessions()
    access = manager.regenerate_access_token(issued.session.handle, now=NOW + 10)
    cookies = http.access_cookies(access, issued.session.idle_expires_at, now=NOW + 10)
    assert cookies == [
        f"sw_access={access.token}; Max-Age={14 * 86_400 - 10}; Path=/; Secure; HttpOnly; SameSite=Lax",
        f"sw_front={access.front_token}; Max-Age={14 * 86_400 - 10}; Path=/; Secure; SameSite=Lax",
    ]
    epoch = "Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    assert http.clear_cookies() == [
        f"sw_access=; Max-Age=0; {epoch}; Path=/; Secure; HttpOnly; SameSite=Lax",
        f"sw_front=; Max-Age=0; {epoch}; Path=/; Secure; SameSite=Lax",
        f"sw_refresh=; Max-Age=0; {epoch}; Path=/auth/refresh; Secure; HttpOnly; SameSite=Lax",
    ]


def test_header_mode_sets_no_cookies(manager: SessionManager, issued: IssuedTokens) -> None:
    http = HttpSessions(mode="header")
    assert http.session_cookies(issued, now=NOW) == []
    assert http.access_cookies(issued.access, issued.refresh_expires_at, now=NOW) == []
    assert http.clear_cookies() == []
    assert len(HttpSessions(mode="both").session_cookies(issued, now=NOW)) == 3


# ----- HttpSessions: requests -----


def cookie_header(issued: IssuedTokens, refresh: bool = True) -> str:
    parts = [f"theme=dark", f"sw_access={issued.access_token}", f"sw_front={issued.access.front_token}"]
    if refresh:
        parts.append(f"sw_refresh={issued.refresh_token}")
    return "; ".join(parts)


def test_authenticate_cookie_mode_csrf(manager: SessionManager, issued: IssuedTokens) -> None:
    http = HttpSessions()
    cookie = cookie_header(issued)
    for method in ["GET", "HEAD", "OPTIONS", "get"]:
        assert http.authenticate(manager, method=method, cookie=cookie, now=NOW).user_id == "u"
    csrf = issued.access.token_id
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        assert http.authenticate(manager, method=method, cookie=cookie, csrf=csrf, now=NOW).user_id == "u"
        for bad in [None, "", "   ", "wrong", csrf + "x"]:
            with pytest.raises(UnauthorisedError) as info:
                http.authenticate(manager, method=method, cookie=cookie, csrf=bad, now=NOW)
            assert info.value.reason == "Csrf"
    # Cookie mode ignores bearer tokens.
    with pytest.raises(UnauthorisedError) as missing:
        http.authenticate(manager, method="GET", authorization=f"Bearer {issued.access_token}", now=NOW)
    assert missing.value.reason == "Missing"
    with pytest.raises(UnauthorisedError) as empty:
        http.authenticate(manager, method="GET", cookie="sw_access=; other=1", now=NOW)
    assert empty.value.reason == "Missing"


def test_authenticate_csrf_modes(manager: SessionManager, issued: IssuedTokens) -> None:
    cookie = cookie_header(issued)
    custom = HttpSessions(csrf="custom_header", csrf_header="x-requested-with")
    assert custom.authenticate(manager, method="POST", cookie=cookie, csrf="XMLHttpRequest", now=NOW).user_id == "u"
    with pytest.raises(UnauthorisedError):
        custom.authenticate(manager, method="POST", cookie=cookie, now=NOW)
    off = HttpSessions(csrf="none")
    assert off.authenticate(manager, method="POST", cookie=cookie, now=NOW).user_id == "u"


def test_authenticate_header_and_both_modes(manager: SessionManager, issued: IssuedTokens) -> None:
    bearer = f"Bearer {issued.access_token}"
    header = HttpSessions(mode="header")
    assert header.authenticate(manager, method="POST", authorization=bearer, now=NOW).user_id == "u"  # no CSRF
    assert header.authenticate(manager, method="GET", authorization=f"bearer {issued.access_token}", now=NOW)
    with pytest.raises(UnauthorisedError) as info:
        header.authenticate(manager, method="GET", cookie=cookie_header(issued), now=NOW)
    assert info.value.reason == "Missing"
    for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b"]:
        with pytest.raises(UnauthorisedError):
            header.authenticate(manager, method="GET", authorization=bad, now=NOW)
    both = HttpSessions(mode="both")
    assert both.authenticate(manager, method="POST", authorization=bearer, now=NOW).user_id == "u"
    with pytest.raises(UnauthorisedError) as csrf:
        both.authenticate(manager, method="POST", cookie=cookie_header(issued), now=NOW)
    assert csrf.value.reason == "Csrf"
    # An expired token asks for a refresh.
    from sessionward import TryRefreshError

    with pytest.raises(TryRefreshError):
        header.authenticate(manager, method="GET", authorization=bearer, now=NOW + 10_000)


def test_refresh_via_cookie_needs_csrf(manager: SessionManager, issued: IssuedTokens) -> None:
    http = HttpSessions()
    cookie = cookie_header(issued)
    with pytest.raises(UnauthorisedError) as info:
        http.refresh(manager, cookie=cookie, now=NOW + 5)
    assert info.value.reason == "Csrf"
    refreshed = http.refresh(manager, cookie=cookie, csrf=issued.access.token_id, now=NOW + 5)
    assert refreshed.session.handle == issued.session.handle
    assert refreshed.refresh_token != issued.refresh_token
    # No refresh cookie: Missing. A body token is ignored in cookie mode.
    with pytest.raises(UnauthorisedError) as missing:
        http.refresh(manager, cookie=cookie_header(issued, refresh=False), body_token=refreshed.refresh_token, now=NOW)
    assert missing.value.reason == "Missing"


def test_refresh_and_logout_in_header_mode(manager: SessionManager, issued: IssuedTokens) -> None:
    http = HttpSessions(mode="header")
    refreshed = http.refresh(manager, body_token=issued.refresh_token, now=NOW + 5)
    assert refreshed.session.handle == issued.session.handle
    with pytest.raises(UnauthorisedError) as info:
        http.refresh(manager, body_token="", now=NOW + 5)
    assert info.value.reason == "Missing"
    assert http.logout(manager, authorization=f"Bearer {refreshed.access_token}", now=NOW + 6) is True
    assert manager.get_session(issued.session.handle, now=NOW + 6) is None
    with pytest.raises(UnauthorisedError) as info:
        http.logout(manager, now=NOW + 6)
    assert info.value.reason == "Missing"


def test_logout_with_expired_access_token_or_refresh_token(manager: SessionManager) -> None:
    http = HttpSessions()
    a = manager.create_session("u", now=NOW)
    # A genuine but expired access token still names the session to revoke (CSRF still checked).
    with pytest.raises(UnauthorisedError) as info:
        http.logout(manager, cookie=cookie_header(a), now=NOW + 10_000)
    assert info.value.reason == "Csrf"
    assert http.logout(manager, cookie=cookie_header(a), csrf=a.access.token_id, now=NOW + 10_000) is True
    assert manager.get_session(a.session.handle, now=NOW) is None
    # With only the refresh cookie.
    b = manager.create_session("u", now=NOW)
    only_refresh = f"sw_front={b.access.front_token}; sw_refresh={b.refresh_token}"
    assert http.logout(manager, cookie=only_refresh, csrf=b.access.token_id, now=NOW) is True
    assert manager.get_session(b.session.handle, now=NOW) is None
    with pytest.raises(UnauthorisedError) as info:
        http.logout(manager, cookie="unrelated=1", now=NOW)
    assert info.value.reason == "Missing"
