"""Cross-language token vectors: fixed test keys, and access tokens minted from them by each package.

`python vectors.py` (with the sessionward Python package installed) writes `keys.json` if it is missing and
rewrites `minted-by-python.json`; `node vectors.js` rewrites `minted-by-node.json`. Every implementation verifies
every file (`test_vectors.py` here for Python, `node/test/vectors.test.js` for Node, `core/tests/vectors.rs` for
Rust), so a change in one package's token format that the others do not accept fails CI.

The keys here are TEST KEYS, published in this repository: never use them for anything else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEYS_FILE = HERE / "keys.json"
ISSUER = "https://vectors.sessionward.test"
AUDIENCE = "vectors-api"
# Every vector is minted at this instant (2027-01-15T08:00:00Z) and verified as of a second later.
MINTED_AT = 1_800_000_000
ACCESS_TTL = 900
ACCESS_CLAIMS = {"role": "editor", "org": {"id": 1234, "name": "Example Org Ltd"}, "scopes": ["read", "write"]}
ALGORITHMS = ("EdDSA", "ES256", "RS256", "HS256")


def _generate_keys() -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    def pem(private: Any) -> str:
        return private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    return {
        "comment": "TEST KEYS for the cross-language vectors: public, never use them elsewhere",
        "EdDSA": {"kid": "vec-eddsa", "private_pem": pem(ed25519.Ed25519PrivateKey.generate())},
        "ES256": {"kid": "vec-es256", "private_pem": pem(ec.generate_private_key(ec.SECP256R1()))},
        "RS256": {"kid": "vec-rs256", "private_pem": pem(rsa.generate_private_key(65537, 2048))},
        "HS256": {"kid": "vec-hs256", "secret_hex": __import__("secrets").token_hex(32)},
    }


def load_keys() -> dict[str, Any]:
    keys: dict[str, Any] = json.loads(KEYS_FILE.read_text())
    return keys


def python_key(algorithm: str, entry: dict[str, Any]) -> Any:
    import sessionward

    if algorithm == "HS256":
        return sessionward.Key.from_secret(bytes.fromhex(entry["secret_hex"]), kid=entry["kid"])
    return sessionward.Key.from_pem(algorithm, entry["private_pem"], kid=entry["kid"])


def manager_for(algorithm: str) -> Any:
    """A manager holding only the vector key of `algorithm`, on a private memory store."""
    import sessionward

    return sessionward.SessionManager(
        issuer=ISSUER,
        audience=AUDIENCE,
        store=sessionward.MemoryStore(),
        algorithm=algorithm,
        keys=[python_key(algorithm, load_keys()[algorithm])],
        access_ttl=ACCESS_TTL,
        now=MINTED_AT,
    )


def mint() -> list[dict[str, Any]]:
    vectors = []
    for algorithm in ALGORITHMS:
        issued = manager_for(algorithm).create_session(
            f"user-{algorithm.lower()}", access_claims=ACCESS_CLAIMS, now=MINTED_AT
        )
        vectors.append(
            {
                "algorithm": algorithm,
                "token": issued.access_token,
                "front_token": issued.access.front_token,
                "sub": f"user-{algorithm.lower()}",
                "sid": issued.session.handle,
                "jti": issued.access.token_id,
                "exp": issued.access.expires_at,
            }
        )
    return vectors


def write(producer: str, vectors: list[dict[str, Any]]) -> None:
    document = {
        "producer": producer,
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "minted_at": MINTED_AT,
        "access_claims": ACCESS_CLAIMS,
        "vectors": vectors,
    }
    (HERE / f"minted-by-{producer}.json").write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    if not KEYS_FILE.exists():
        KEYS_FILE.write_text(json.dumps(_generate_keys(), indent=2) + "\n")
    write("python", mint())
