"""The todo list's password hashes: scrypt with a random salt and the cost stored beside
the hash, compared in constant time. Never stores or logs a clear password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any, Final

#: scrypt's cost for new passwords: 16 MiB and ~50 ms per hash (OWASP's minimum, n=2^14
#: with r=8, p=1 is 2^17 of work), which makes guessing from a stolen table slow.
SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
_SALT_BYTES = 16
_HASH_BYTES = 32


def hash_password(password: str, *, n: int = SCRYPT_N) -> dict[str, Any]:
    """A new random salt and the scrypt hash of `password`, with the cost parameters, so
    that raising the cost later still verifies the hashes stored before."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return {
        "kdf": "scrypt",
        "n": n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": base64.b64encode(salt).decode("ascii"),
        "hash": base64.b64encode(digest).decode("ascii"),
    }


def verify_password(password: str, stored: Mapping[str, Any]) -> bool:
    """Whether `password` matches the stored hash; compared in constant time."""
    if stored.get("kdf") != "scrypt":
        return False
    salt = base64.b64decode(stored["salt"])
    expected = base64.b64decode(stored["hash"])
    digest = _scrypt(password, salt, int(stored["n"]), int(stored["r"]), int(stored["p"]))
    return hmac.compare_digest(digest, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    # maxmem: scrypt needs 128 * r * n bytes (OpenSSL's default cap is 32 MiB).
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=128 * r * (n + p + 2) + 1024 * 1024,
        dklen=_HASH_BYTES,
    )


__all__ = ["SCRYPT_N", "SCRYPT_P", "SCRYPT_R", "hash_password", "verify_password"]
