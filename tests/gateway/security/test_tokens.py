"""Access tokens the gateway issues to portal clients."""

from __future__ import annotations

import jwt
import pytest

from gateway.security.tokens import TokenError, TokenIssuer


def test_issued_token_verifies_to_its_client() -> None:
    issuer = TokenIssuer("k" * 32, 900)
    claims = issuer.verify(issuer.issue("portal-a", 3, ["lookup"]))
    assert (claims.client_id, claims.secret_version) == ("portal-a", 3)


def test_token_signed_with_another_key_is_invalid() -> None:
    token = TokenIssuer("a" * 32, 900).issue("portal-a", 1, ["lookup"])
    with pytest.raises(TokenError) as caught:
        TokenIssuer("b" * 32, 900).verify(token)
    assert caught.value.code == "token_invalid"


def test_expired_token_is_refused_as_expired() -> None:
    token = jwt.encode(
        {"iss": "lgsp-gateway", "aud": "lgsp-api", "sub": "p", "sv": 1, "jti": "j", "exp": 1},
        "k" * 32,
        algorithm="HS256",
    )
    with pytest.raises(TokenError) as caught:
        TokenIssuer("k" * 32, 900).verify(token)
    assert caught.value.code == "token_expired"


def test_unsigned_token_is_refused() -> None:
    """The ``none`` algorithm must never be accepted."""
    token = jwt.encode(
        {
            "iss": "lgsp-gateway",
            "aud": "lgsp-api",
            "sub": "p",
            "sv": 1,
            "jti": "j",
            "exp": 4_000_000_000,
        },
        key=None,  # type: ignore[arg-type]  # alg none: what an attacker sends
        algorithm="none",
    )
    with pytest.raises(TokenError):
        TokenIssuer("k" * 32, 900).verify(token)
