"""Python verifies the tokens every implementation minted (`minted-by-*.json`), as of their minting time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

import sessionward

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vectors  # noqa: E402

LEEWAY = 30  # the default `leeway` of every package

PRODUCERS = sorted(p.name for p in vectors.HERE.glob("minted-by-*.json"))
CASES = [
    pytest.param(document, vector, id=f"{document['producer']}-{vector['algorithm']}")
    for document in (json.loads((vectors.HERE / name).read_text()) for name in PRODUCERS)
    for vector in document["vectors"]
]


def test_every_producer_has_vectors() -> None:
    # Python and Node must both have published theirs; a missing file would silently shrink the matrix.
    assert {"minted-by-python.json", "minted-by-node.json"} <= set(PRODUCERS)


@pytest.mark.parametrize(("document", "vector"), CASES)
def test_verifies(document: dict[str, Any], vector: dict[str, Any]) -> None:
    manager = vectors.manager_for(vector["algorithm"])
    claims = manager.verify(vector["token"], now=document["minted_at"] + 1)
    assert (claims.user_id, claims.session_handle, claims.token_id) == (vector["sub"], vector["sid"], vector["jti"])
    assert (claims.issuer, claims.audience, claims.expires_at) == (document["issuer"], [document["audience"]], vector["exp"])
    assert claims.claims == document["access_claims"]


@pytest.mark.parametrize(("document", "vector"), CASES)
def test_expires_and_resists_tampering(document: dict[str, Any], vector: dict[str, Any]) -> None:
    manager = vectors.manager_for(vector["algorithm"])
    with pytest.raises(sessionward.TryRefreshError):
        manager.verify(vector["token"], now=vector["exp"] + LEEWAY + 1)
    header, payload, signature = vector["token"].split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(sessionward.UnauthorisedError):
        manager.verify(f"{header}.{payload}.{flipped}", now=document["minted_at"] + 1)
