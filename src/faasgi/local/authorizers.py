"""API Gateway's authorizers in front of the template's routes: HTTP API JWT authorizers
(verified with PyJWT against keys from `--jwks`, never fetched from the issuer) and Lambda
authorizers (REQUEST and TOKEN, REST and HTTP), with their result cache.

What the client gets when it is refused is API Gateway's answer: a missing identity source
401 `{"message":"Unauthorized"}` (the function is not called:
https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html, identitySource), a
JWT that fails validation 401, one without a route's scope 403 `{"message":"Forbidden"}`
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html),
a Lambda authorizer's denial 403 (REST: "User is not authorized to access this resource"),
its "Unauthorized" error 401
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html),
and any other failure of the authorizer 500.
"""

from __future__ import annotations

import fnmatch
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from faasgi.http import Request, Response
from faasgi.local.pool import Outcome
from faasgi.local.template.intrinsics import ACCOUNT
from faasgi.local.template.model import Authorizer, Route

UNAUTHORIZED = (401, "Unauthorized")
FORBIDDEN = (403, "Forbidden")
REST_DENIED = (403, "User is not authorized to access this resource")
FAILED = (500, "Internal Server Error")
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class Refused(Exception):
    """The authorizer refused the request: the answer the client gets."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.message = message

    def response(self) -> Response:
        body = json.dumps({"message": self.message}).encode("utf-8")
        return Response(self.status, [("content-type", "application/json")], body)


class KeySource:
    """Signing keys for JWT authorizers: a JWKS file, or a JWKS URL on this machine."""

    def __init__(self, spec: str) -> None:
        import jwt

        self.spec = spec
        self._client: Any = None
        self._set: Any = None
        if spec.startswith(("http://", "https://")):
            host = urlsplit(spec).hostname or ""
            if host not in _LOOPBACK:
                raise ValueError(f"--jwks URL must be on this machine (127.0.0.1), got {host}")
            self._client = jwt.PyJWKClient(spec, cache_keys=True)
        else:
            with open(spec, encoding="utf-8") as file:
                self._set = jwt.PyJWKSet.from_dict(json.load(file))

    def key(self, token: str) -> Any:
        import jwt

        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token).key
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._set.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise jwt.InvalidTokenError(f"no key with kid {kid!r} in {self.spec}")


def identity_value(source: str, request: Request) -> str | None:
    """The value an identity source names (`$request.header.X`, `method.request.header.X`,
    `$request.querystring.X`, `method.request.querystring.X`); None when absent or empty."""
    kind, _, name = source.rpartition(".")
    if kind.endswith("header"):
        wanted = name.lower()
        value = next((v for k, v in request.headers if k.lower() == wanted), None)
    elif kind.endswith("querystring"):
        value = dict(parse_qsl(request.query_string, keep_blank_values=True)).get(name)
    else:
        value = None
    return value or None


def route_arn(route: Route, method: str, path: str) -> str:
    stage = route.stage
    return f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{route.api}/{stage}/{method}{path}"


class Authorizers:
    """Decides, per request, whether a route's authorizer lets it through."""

    def __init__(self, specs: Mapping[str, Authorizer], invoker: Any, keys: KeySource | None):
        self.specs = dict(specs)
        #: `invoke(function_name, request_id, event_bytes) -> Outcome`
        self.invoker = invoker
        self.keys = keys
        self._cache: dict[tuple[Any, ...], tuple[float, dict[str, Any]]] = {}

    async def check(
        self, route: Route, request: Request, event: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The `requestContext.authorizer` to pass on (None: the route has no authorizer);
        Refused when the request is turned away."""
        if route.authorizer is None:
            return None
        spec = self.specs[route.authorizer]
        if spec.kind == "jwt":
            return self._jwt(spec, route, request)
        return await self._lambda(spec, route, request, event)

    def _jwt(self, spec: Authorizer, route: Route, request: Request) -> dict[str, Any]:
        import jwt

        header = spec.identity[0] if spec.identity else "$request.header.Authorization"
        token = identity_value(header, request)
        if token is None:
            raise Refused(*UNAUTHORIZED, f"no token in {header}")
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if self.keys is None:
            raise Refused(*UNAUTHORIZED, "no --jwks given: cannot verify JWTs")
        try:
            key = self.keys.key(token)
            claims = jwt.decode(
                token,
                key,
                # API Gateway accepts only RSA-signed JWTs (the JWT authorizer page above);
                # never the algorithm the token names for itself.
                algorithms=list(_RSA_ALGORITHMS),
                issuer=spec.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=0,
            )
        except jwt.PyJWTError as error:
            raise Refused(*UNAUTHORIZED, f"JWT rejected: {error}") from None
        # `client_id` counts only when there is no `aud` (the workflow on the JWT page).
        audiences = claims["aud"] if "aud" in claims else claims.get("client_id", [])
        audiences = [audiences] if isinstance(audiences, str) else list(audiences)
        if spec.audience and not set(audiences) & set(spec.audience):
            raise Refused(*UNAUTHORIZED, f"JWT audience {audiences} not in {list(spec.audience)}")
        scopes = claims.get("scope", claims.get("scp", []))
        scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
        if route.scopes and not set(scopes) & set(route.scopes):
            raise Refused(*FORBIDDEN, f"JWT lacks every scope of {list(route.scopes)}")
        shown = {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}
        return {"jwt": {"claims": shown, "scopes": scopes or None}}

    async def _lambda(
        self, spec: Authorizer, route: Route, request: Request, event: dict[str, Any]
    ) -> dict[str, Any]:
        values = [identity_value(source, request) for source in spec.identity]
        if any(value is None for value in values):
            raise Refused(*UNAUTHORIZED, f"identity source missing: {list(spec.identity)}")
        arn = route_arn(route, request.method, request.path.decode("utf-8", "replace"))
        key = (spec.name, *values) if spec.ttl > 0 and values else None
        if key is not None:
            cached = self._cache.get(key)
            if cached is not None and cached[0] > time.monotonic():
                return self._decide(spec, cached[1], arn)
        if spec.kind == "token":
            payload: dict[str, Any] = {
                "type": "TOKEN",
                "authorizationToken": values[0],
                "methodArn": arn,
            }
        elif spec.payload == "2.0":
            payload = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
            payload.update(type="REQUEST", routeArn=arn, identitySource=values)
        else:
            payload = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
            payload.update(type="REQUEST", methodArn=arn)
        outcome: Outcome = await self.invoker(
            spec.function, str(uuid.uuid4()), json.dumps(payload).encode("utf-8")
        )
        if outcome.failure == "error":
            message = json.loads(outcome.payload).get("errorMessage")
            if message == "Unauthorized":
                raise Refused(*UNAUTHORIZED, "the authorizer raised Unauthorized")
            raise Refused(*FAILED, f"the authorizer raised: {message}")
        if outcome.failure is not None:
            raise Refused(*FAILED, f"the authorizer failed: {outcome.failure}")
        try:
            answer = json.loads(outcome.payload)
        except ValueError:
            raise Refused(*FAILED, "the authorizer's answer is not JSON") from None
        if key is not None and isinstance(answer, dict):
            self._cache[key] = (time.monotonic() + spec.ttl, answer)
        return self._decide(spec, answer, arn)

    def _decide(self, spec: Authorizer, answer: Any, arn: str) -> dict[str, Any]:
        if not isinstance(answer, dict):
            raise Refused(*FAILED, "the authorizer's answer is not an object")
        context = answer.get("context") or {}
        if spec.simple and spec.payload == "2.0":
            if answer.get("isAuthorized") is not True:
                raise Refused(*FORBIDDEN, "the authorizer answered isAuthorized false")
            return {"lambda": context}
        if not _policy_allows(answer.get("policyDocument"), arn):
            denied = REST_DENIED if spec.api_kind == "rest" else FORBIDDEN
            raise Refused(*denied, "the authorizer's policy does not allow this route")
        if spec.payload == "2.0":
            return {"lambda": context}
        return {"principalId": answer.get("principalId"), **context, "integrationLatency": 0}


def _policy_allows(policy: Any, arn: str) -> bool:
    """An IAM policy allows `execute-api:Invoke` on `arn`: some Allow matches, no Deny does."""
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


__all__ = ["Authorizers", "KeySource", "Refused", "identity_value", "route_arn"]
