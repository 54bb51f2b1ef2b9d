#!/usr/bin/env python3
"""Verify sessionward access tokens with PyJWT, an independent JWT implementation, given only the JWKS.

Run by core/tests/interop_pyjwt.rs (through scripts/test-all, which installs requirements.txt into .venv):

    python tests/interop/verify_with_pyjwt.py VECTORS.json

VECTORS.json:

    {
      "issuer": "...", "audience": "...",
      "now": 1700000000,                      # when the tokens were minted (sessionward::unix_now())
      "jwks": {"keys": [...]},                # the issuer's public JWKS: the only key material used
      "tokens": [{"name": "...", "alg": "EdDSA", "kid": "...", "token": "...",
                  "expect": {...every claim of the payload...}}],
      "forged": [{"name": "...", "token": "...", "reject_as": "InvalidSignatureError"}],
      "hs256": {"secret_b64url": "...", "kid": "hs1", "tokens": [...], "forged": [...]},   # optional
      "mint": {"alg": "EdDSA", "known_kid": "...", "out": "/path/minted.json"}           # optional
    }

Every token must verify by the rules an independent relying party would apply: the key is selected by the
header's `kid` from the JWKS, the algorithm is pinned to that key's `alg` (never taken from the token), and
`iss`, `aud`, `exp`, `iat` are checked with leeway 0 and `exp iat sub jti iss aud` required. The payload must
equal `expect` exactly and the header must be exactly `{"alg", "typ": "at+jwt", "kid"}`. HS256 tokens are
verified with the shared secret instead. Every forged token must be rejected, by the named PyJWT error when
`reject_as` is given (`UnknownKid` means no key in the JWKS has the token's kid).

PyJWT has no "now" parameter and verifies at the real clock, so the tokens must be minted at the real
current time; `now` is only used to say so clearly when that was not the case.

With "mint", the script also signs tokens with a key of the same algorithm that it generates itself (so
sessionward cannot know it) and writes them to `out` for the Rust side to check that sessionward refuses them:

    {"claims": {...}, "verify_jwk": {...public JWK of the new key, oct JWK for HS256...},
     "tokens": {"unknown_kid": "...", "known_kid": "..."}}

`unknown_kid` names the new key's own kid; `known_kid` names the issuer's kid but is signed by the new key.

Prints one line per check and exits 1 if any check failed, 2 on unusable input, 3 if PyJWT is missing.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import warnings

try:
    import cryptography
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from jwt.algorithms import get_default_algorithms
except ImportError as error:  # pragma: no cover - environment problem, reported plainly
    print(
        f"FAIL cannot import PyJWT with cryptography ({error}) in {sys.executable}: install "
        "tests/interop/requirements.txt into it, or run scripts/test-all",
        file=sys.stderr,
    )
    sys.exit(3)

ACCESS_TOKEN_TYP = "at+jwt"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
# A test run taking longer than this between minting and verifying means the clocks disagree.
MAX_CLOCK_GAP = 600


class Rejected(Exception):
    """A token refused before PyJWT itself was asked (no key for its kid)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def ok(self, message: str) -> None:
        self.passed += 1
        print(f"ok   {message}", flush=True)

    def fail(self, message: str) -> None:
        self.failed += 1
        print(f"FAIL {message}", flush=True)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def describe(error: BaseException) -> str:
    kind = error.kind if isinstance(error, Rejected) else type(error).__name__
    return f"{kind}: {error}"


def error_kind(error: BaseException) -> str:
    return error.kind if isinstance(error, Rejected) else type(error).__name__


class Verifier:
    """How a relying party that holds only the JWKS (and, for HS256, the shared secret) verifies a token."""

    def __init__(self, issuer: str, audience: str, jwks: dict | None, hs256: dict | None) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks = jwks
        self.key_set = jwt.PyJWKSet.from_dict(jwks) if jwks and jwks.get("keys") else None
        self.hs_secret = b64url_decode(hs256["secret_b64url"]) if hs256 else None
        self.hs_kid = hs256.get("kid") if hs256 else None

    def _decode(self, token: str, key, algorithm: str) -> dict:
        return jwt.decode_complete(
            token,
            key=key,
            algorithms=[algorithm],
            audience=self.audience,
            issuer=self.issuer,
            leeway=0,
            options={"require": REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
        )

    def with_jwks(self, token: str) -> tuple[dict, str]:
        """Verify with the JWKS key named by the header's kid; returns the decoded token and the pinned alg."""
        kid = jwt.get_unverified_header(token).get("kid")
        if self.key_set is None:
            raise Rejected("UnknownKid", "the JWKS holds no keys")
        try:
            key = self.key_set[kid]
        except KeyError:
            raise Rejected("UnknownKid", f"no key in the JWKS has kid {kid!r}") from None
        # The algorithm comes from the key (its published `alg`), never from the token header.
        return self._decode(token, key, key.algorithm_name), key.algorithm_name

    def with_secret(self, token: str) -> tuple[dict, str]:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid != self.hs_kid:
            raise Rejected("UnknownKid", f"kid {kid!r} is not the shared secret's kid {self.hs_kid!r}")
        return self._decode(token, self.hs_secret, "HS256"), "HS256"


def check_jwks(checks: Checks, jwks: dict) -> None:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        checks.fail(f"JWKS has no `keys` list: {jwks!r}")
        return
    for jwk in keys:
        kid = jwk.get("kid")
        leaked = sorted(PRIVATE_JWK_MEMBERS & jwk.keys())
        if leaked:
            checks.fail(f"JWKS key {kid!r} carries private members {leaked}")
        elif "alg" not in jwk or not kid:
            checks.fail(f"JWKS key {kid!r} lacks `alg` or `kid`, so a verifier cannot pin its algorithm: {jwk!r}")
        else:
            try:
                parsed = jwt.PyJWK(jwk)
            except jwt.PyJWTError as error:
                checks.fail(f"JWKS key {kid!r} is not usable by PyJWT ({describe(error)}): {jwk!r}")
            else:
                checks.ok(f"JWKS key {kid!r} ({jwk['kty']}, {parsed.algorithm_name}) is public-only and loads in PyJWT")


def check_token(checks: Checks, verify, case: dict) -> None:
    name, token, expect = case["name"], case["token"], case["expect"]
    label = f"{case['alg']} token {name!r}"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            decoded, pinned = verify(token)
    except (jwt.PyJWTError, Rejected) as error:
        checks.fail(f"{label}: PyJWT REJECTED a genuine token: {describe(error)}")
        return
    for warning in caught:
        print(f"note {label}: PyJWT warned: {warning.category.__name__}: {warning.message}", flush=True)
    problems = []
    if pinned != case["alg"]:
        problems.append(f"the key for its kid is pinned to {pinned!r}, expected {case['alg']!r}")
    expected_header = {"alg": case["alg"], "typ": ACCESS_TOKEN_TYP, "kid": case["kid"]}
    if decoded["header"] != expected_header:
        problems.append(f"header is {decoded['header']!r}, expected exactly {expected_header!r}")
    payload = decoded["payload"]
    if payload != expect:
        for claim in sorted(set(payload) | set(expect)):
            got, want = payload.get(claim, "<absent>"), expect.get(claim, "<absent>")
            if got != want:
                problems.append(f"claim {claim!r} is {got!r}, expected {want!r}")
    if problems:
        checks.fail(f"{label}: verified, but " + "; ".join(problems))
    else:
        checks.ok(
            f"{label} (kid {case['kid']}): signature, iss, aud, exp, iat verified; header typ {ACCESS_TOKEN_TYP}; "
            f"claims equal expected ({', '.join(sorted(expect))})"
        )


def check_forged(checks: Checks, verify, case, scheme: str) -> None:
    if isinstance(case, str):
        case = {"name": "forged", "token": case}
    name, token, reject_as = case["name"], case["token"], case.get("reject_as")
    label = f"forged {scheme} token {name!r}"
    try:
        decoded, _ = verify(token)
    except (jwt.PyJWTError, Rejected) as error:
        if reject_as and error_kind(error) != reject_as:
            checks.fail(f"{label}: rejected, but for the wrong reason ({describe(error)}; expected {reject_as})")
        else:
            checks.ok(f"{label}: rejected ({describe(error)})")
        return
    checks.fail(f"{label}: ACCEPTED by PyJWT (header {decoded['header']!r}, claims {decoded['payload']!r})")


def mint_unknown_key_tokens(checks: Checks, vectors: dict) -> None:
    """Sign tokens with a fresh key sessionward does not know, for the Rust side to refuse."""
    mint = vectors["mint"]
    alg = mint["alg"]
    algorithm = get_default_algorithms()[alg]
    if alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif alg == "RS256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "HS256":
        private = os.urandom(32)
    else:
        checks.fail(f"mint: unsupported algorithm {alg!r}")
        return
    own_kid = "pyjwt-" + os.urandom(6).hex()
    if alg == "HS256":
        verify_jwk = algorithm.to_jwk(private, as_dict=True)
    else:
        verify_jwk = algorithm.to_jwk(private.public_key(), as_dict=True)
    verify_jwk.update({"kid": own_kid, "alg": alg, "use": "sig"})
    iat = int(time.time())
    claims = {
        "iss": vectors["issuer"],
        "aud": vectors["audience"],
        "sub": "pyjwt-user",
        "sid": "pyjwt-session",
        "jti": b64url_encode(os.urandom(16)),
        "iat": iat,
        "exp": iat + 300,
        "role": "admin",
    }
    tokens = {
        label: jwt.encode(claims, private, algorithm=alg, headers={"kid": kid, "typ": ACCESS_TOKEN_TYP})
        for label, kid in (("unknown_kid", own_kid), ("known_kid", mint["known_kid"]))
    }
    with open(mint["out"], "w", encoding="utf-8") as out:
        json.dump({"claims": claims, "verify_jwk": verify_jwk, "tokens": tokens}, out)
    checks.ok(
        f"minted {alg} tokens with a PyJWT-generated key (kid {own_kid}, and one naming kid {mint['known_kid']}) "
        f"-> {mint['out']}"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} VECTORS.json", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            vectors = json.load(f)
        issuer, audience, minted_at = vectors["issuer"], vectors["audience"], vectors["now"]
    except (OSError, ValueError, KeyError) as error:
        print(f"FAIL cannot read test vectors {argv[1]!r}: {error!r}", file=sys.stderr)
        return 2

    print(f"PyJWT {jwt.__version__}, cryptography {cryptography.__version__}, Python {sys.version.split()[0]}")
    checks = Checks()
    gap = time.time() - minted_at
    if not -2 <= gap <= MAX_CLOCK_GAP:
        checks.fail(
            f"the tokens were minted at now={minted_at} but this clock says {int(time.time())}: PyJWT verifies "
            "exp/iat at the real time, so mint the vectors with sessionward::unix_now()"
        )

    jwks = vectors.get("jwks") or {"keys": []}
    hs256 = vectors.get("hs256")
    try:
        verifier = Verifier(issuer, audience, jwks, hs256)
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        checks.fail(f"PyJWT cannot load the JWKS / HS256 secret: {describe(error)}; JWKS: {json.dumps(jwks)}")
        print(f"{checks.passed} passed, {checks.failed} failed")
        return 1

    check_jwks(checks, jwks)
    if vectors.get("tokens") and verifier.key_set is not None:
        usable = {key.key_id for key in verifier.key_set}
        skipped = [jwk.get("kid") for jwk in jwks["keys"] if jwk.get("kid") not in usable]
        if skipped:
            checks.fail(f"PyJWKSet skipped JWKS keys it could not use: {skipped}")
    for case in vectors.get("tokens", []):
        check_token(checks, verifier.with_jwks, case)
    for case in vectors.get("forged", []):
        check_forged(checks, verifier.with_jwks, case, "JWKS")
    if hs256:
        for case in hs256.get("tokens", []):
            check_token(checks, verifier.with_secret, case)
        for case in hs256.get("forged", []):
            check_forged(checks, verifier.with_secret, case, "HS256")
    if vectors.get("mint"):
        mint_unknown_key_tokens(checks, vectors)

    if not vectors.get("tokens") and not (hs256 or {}).get("tokens"):
        checks.fail("the vector file holds no genuine tokens to check")
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
