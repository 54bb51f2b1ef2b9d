"""The Python error contract matches the Rust core's codes and reasons."""

from __future__ import annotations

import sessionward as sw


def test_error_codes_and_reasons_match_the_core() -> None:
    from sessionward import _native

    assert set(_native.UNAUTHORISED_REASONS) == sw.errors.UNAUTHORISED_REASONS
    classes = [
        sw.TryRefreshError,
        sw.UnauthorisedError,
        sw.TokenTheftError,
        sw.InvalidClaimError,
        sw.InvalidArgumentError,
        sw.ConfigurationError,
        sw.StoreUnavailableError,
    ]
    assert [c.code for c in classes] == list(_native.ERROR_CODES)
