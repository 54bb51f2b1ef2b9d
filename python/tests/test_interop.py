"""Tokens minted by sessionward verify in independent JWT libraries given only the public JWKS (or, for
HS256, the shared secret): PyJWT and joserfc. Algorithms are pinned per key, never taken from the token.

PyJWT has no ``now`` parameter, so its tokens are minted at the real clock; joserfc takes ``now``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from typing import Any
from unittest import mock

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, SecurityWarning
from joserfc.jwk import KeySet, OctKey

from sessionward import Key, MemoryStore, SessionManager, UnauthorisedError

NOW = 1_700_000_000.0
ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
ASYMMETRIC = ["EdDSA", "ES256", "RS256"]
SECRET = b"interop-shared-secret-of-32-byte"
REQUIRED = ["exp", "iat", "sub", "jti", "iss", "aud"]
CUSTOM = {"role": "editor", "org": {"id": 1234, "name": "Example Org Ltd"}, "scopes": ["read", "write", "admin"]}


def make_manager(now: float, **kwargs: Any) -> SessionManager:
    with mock.patch("time.time", return_value=now):
        return SessionManager(issuer=ISSUER, audience=AUDIENCE, store=MemoryStore(), **kwargs)


def b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def expected_payload(manager: SessionManager, token: str, now: float) -> dict[str, Any]:
    claims = manager.verify(token, now=now)
    return {
        **CUSTOM,
        "iss": ISSUER,
        "sub": claims.user_id,
        "aud": AUDIENCE,  # minted as a single string
        "sid": claims.session_handle,
        "jti": claims.token_id,
        "iat": claims.issued_at,
        "exp": claims.expires_at,
    }


def forge(token: str) -> str:
    header, payload, signature = token.split(".")
    body = {**b64json(payload), "role": "admin"}
    raw = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{header}.{raw}.{signature}"


# ----- PyJWT -----


def pyjwt_decode(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """What an independent relying party does: key by kid from the JWKS, algorithm pinned to that key."""
    keyset = jwt.PyJWKSet.from_dict(jwks)
    kid = jwt.get_unverified_header(token)["kid"]
    entry = next(k for k in jwks["keys"] if k["kid"] == kid)
    key = next(k for k in keyset.keys if k.key_id == kid)
    decoded: dict[str, Any] = jwt.decode(
        token,
        key=key,
        algorithms=[entry["alg"]],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": REQUIRED},
        leeway=0,
    )
    return decoded


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_pyjwt_verifies_with_jwks_only(algorithm: Any) -> None:
    now = float(int(time.time()))
    manager = make_manager(now, algorithm=algorithm)
    issued = manager.create_session("user-42", access_claims=CUSTOM, now=now)
    jwks = json.loads(json.dumps(manager.jwks()))  # as a verifier would fetch it
    assert all(k["alg"] == algorithm for k in jwks["keys"])
    for token in (issued.access_token, manager.refresh(issued.refresh_token, now=now).access_token):
        assert pyjwt_decode(token, jwks) == expected_payload(manager, token, now)
        assert jwt.get_unverified_header(token) == {
            "alg": algorithm,
            "typ": "at+jwt",
            "kid": jwks["keys"][0]["kid"],
        }
    with pytest.raises(jwt.InvalidSignatureError):
        pyjwt_decode(forge(issued.access_token), jwks)
    # A relying party pinned to the key's algorithm refuses any other.
    other = "ES256" if algorithm != "ES256" else "EdDSA"
    keyset = jwt.PyJWKSet.from_dict(jwks)
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(issued.access_token, key=keyset.keys[0], algorithms=[other], audience=AUDIENCE)


def test_pyjwt_after_rotation_sees_both_keys() -> None:
    now = float(int(time.time()))
    manager = make_manager(now)
    old = manager.create_session("u", access_claims=CUSTOM, now=now)
    manager.rotate_keys(now=now)
    jwks = manager.jwks()
    assert len(jwks["keys"]) == 2
    assert pyjwt_decode(old.access_token, jwks)["sub"] == "u"


def test_pyjwt_hs256_with_shared_secret() -> None:
    now = float(int(time.time()))
    manager = make_manager(now, keys=[Key.from_secret(SECRET, kid="hs1")])
    assert manager.jwks() == {"keys": []}
    token = manager.create_session("user-42", access_claims=CUSTOM, now=now).access_token
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "at+jwt", "kid": "hs1"}
    decoded = jwt.decode(
        token, key=SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, options={"require": REQUIRED}
    )
    assert decoded == expected_payload(manager, token, now)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, key=b"another-secret-of-32-bytes-long!", algorithms=["HS256"], audience=AUDIENCE)


def test_sessionward_verifies_pyjwt_hs256_tokens() -> None:
    """The other direction: a token minted by PyJWT with the shared secret and sessionward's claims."""
    manager = make_manager(NOW, keys=[Key.from_secret(SECRET, kid="hs1")])
    claims = {
        "iss": ISSUER, "sub": "u", "aud": AUDIENCE, "sid": "s1", "jti": "j1", "iat": int(NOW), "exp": int(NOW) + 60,
    }
    good = jwt.encode({**claims, "role": "r"}, SECRET, algorithm="HS256", headers={"typ": "at+jwt", "kid": "hs1"})
    verified = manager.verify(good, now=NOW)
    assert (verified.user_id, verified.session_handle, verified.token_id, verified["role"]) == ("u", "s1", "j1", "r")
    for headers, reason in [
        ({"typ": "JWT", "kid": "hs1"}, "Header"),  # not an access token
        ({"typ": "at+jwt", "kid": "other"}, "UnknownKey"),
        ({"typ": "at+jwt", "kid": "hs1", "jku": "https://evil.example"}, "Header"),
    ]:
        bad = jwt.encode(claims, SECRET, algorithm="HS256", headers=headers)
        with pytest.raises(UnauthorisedError) as info:
            manager.verify(bad, now=NOW)
        assert info.value.reason == reason
    wrong_secret = jwt.encode(claims, b"x" * 32, algorithm="HS256", headers={"typ": "at+jwt", "kid": "hs1"})
    with pytest.raises(UnauthorisedError) as info:
        manager.verify(wrong_secret, now=NOW)
    assert info.value.reason == "Signature"


# ----- joserfc -----


def joserfc_decode(token: str, key: Any, algorithm: str, now: float) -> dict[str, Any]:
    # joserfc warns that "EdDSA" is deprecated by RFC 9864 (fully-specified "Ed25519"), but still verifies it.
    expect_warning: Any = (
        pytest.warns(SecurityWarning, match="RFC 9864") if algorithm == "EdDSA" else contextlib.nullcontext()
    )
    with expect_warning:
        decoded = jose_jwt.decode(token, key, algorithms=[algorithm])
    registry = jose_jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=0,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True},
        jti={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    registry.validate(decoded.claims)
    assert decoded.header["typ"] == "at+jwt"
    return dict(decoded.claims)


@pytest.mark.parametrize("algorithm", ASYMMETRIC)
def test_joserfc_verifies_with_jwks_only(algorithm: Any) -> None:
    manager = make_manager(NOW, algorithm=algorithm)
    issued = manager.create_session("user-42", access_claims=CUSTOM, now=NOW)
    keyset = KeySet.import_key_set(json.loads(json.dumps(manager.jwks())))  # type: ignore[arg-type]
    token = issued.access_token
    assert joserfc_decode(token, keyset, algorithm, NOW + 10) == expected_payload(manager, token, NOW)
    with pytest.raises(BadSignatureError):
        joserfc_decode(forge(token), keyset, algorithm, NOW + 10)
    with pytest.raises(ExpiredTokenError):
        joserfc_decode(token, keyset, algorithm, NOW + 901)


def test_joserfc_hs256_with_shared_secret() -> None:
    manager = make_manager(NOW, keys=[Key.from_secret(SECRET, kid="hs1")])
    token = manager.create_session("user-42", access_claims=CUSTOM, now=NOW).access_token
    key = OctKey.import_key(SECRET)
    assert joserfc_decode(token, key, "HS256", NOW) == expected_payload(manager, token, NOW)
    with pytest.raises(BadSignatureError):
        joserfc_decode(token, OctKey.import_key(b"y" * 32), "HS256", NOW)
