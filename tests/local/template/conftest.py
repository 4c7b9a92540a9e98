"""Fixtures for `faasgi serve --template`: the test project (project/) and JWT signing keys
made here with cryptography, published as a JWKS file for `--jwks`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).parent / "project"
ISSUER = "https://issuer.example.com/"
AUDIENCE = "todo-app"


class Keys:
    """An RS256 key pair and its JWKS; `token(**claims)` signs a JWT with good defaults."""

    def __init__(self, folder: Path) -> None:
        jwt = pytest.importorskip("jwt")
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        public.update(kid="test-key", use="sig", alg="RS256")
        self.jwks_path = folder / "jwks.json"
        self.jwks_path.write_text(json.dumps({"keys": [public]}))

    def token(self, key: Any = None, **claims: Any) -> str:
        import jwt

        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-1",
            "iat": now,
            "exp": now + 600,
            "scope": "todo.read todo.write",
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return str(
            jwt.encode(payload, key or self.private, algorithm="RS256", headers={"kid": "test-key"})
        )


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("jwks"))


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """`write("template.yaml", text)`: a file in the test's own folder."""

    def make(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return make
