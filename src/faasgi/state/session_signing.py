"""The secret that signs session ids, and the signature itself (HMAC-SHA256 over a salted
id): a cookie whose signature does not verify is a new, empty session without a store read.
Never logs a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import warnings
from typing import Final

from faasgi.state.session import MissingSecret

#: Where the signing secret comes from when none is passed.
SECRET_ENV: Final = "FAASGI_SESSION_SECRET"
#: The secret of `dev=True`: public, so anyone can forge cookies. Local runs only.
DEV_SECRET: Final = "faasgi-dev-mode-secret-known-to-everyone"

_SALT = b"faasgi.session:"


def id_signature(secret: bytes, session_id: str) -> str:
    digest = hmac.new(secret, _SALT + session_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def secret_bytes(secret: str | bytes | None, dev: bool) -> bytes:
    if secret is None:
        secret = os.environ.get(SECRET_ENV) or None
    if secret is None:
        if not dev:
            raise MissingSecret(
                f"sessions need a signing secret: set {SECRET_ENV} (generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`) or pass "
                "secret=...; for a local run only, Sessions(..., dev=True)"
            )
        message = (
            "faasgi sessions run in DEV MODE with a publicly known secret: anyone can forge "
            f"session cookies. Set {SECRET_ENV} before deploying."
        )
        # One warning, not a warning and a log record too: both reach the instance's log
        # (stderr), so the same line appeared twice (logging.captureWarnings turns it into
        # a record for apps that route warnings through logging).
        warnings.warn(message, stacklevel=3)
        secret = DEV_SECRET
    raw = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(raw) < 16:
        raise MissingSecret(
            f"the session secret has {len(raw)} bytes; use at least 16 (32 is better)"
        )
    return raw


__all__ = ["DEV_SECRET", "SECRET_ENV", "id_signature", "secret_bytes"]
