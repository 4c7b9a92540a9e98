"""Lambda authorizers of HTTP APIs, in process with a stand-in for the authorizer
function: the payload API Gateway sends (compared with its sample event,
apiGatewayAuthorizerV2Event.json), simple responses, the missing-identity 401 without an
invocation, and the cache."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from faasgi.http import Request
from faasgi.local.authorizers import Authorizers, Refused
from faasgi.local.pool import Outcome
from faasgi.local.template.model import Authorizer, Route

SAMPLE = json.loads(
    (
        Path(__file__).parents[2]
        / "fixtures/events/aws-powertools-lambda-python/apiGatewayAuthorizerV2Event.json"
    ).read_text()
)
ROUTE = Route("http", "api", "GET", "/items", authorizer="api.Lambda")


class StandIn:
    """Answers as the authorizer function would; remembers the payloads it got."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.payloads: list[dict[str, Any]] = []

    async def __call__(self, name: str, request_id: str, event: bytes) -> Outcome:
        self.payloads.append(json.loads(event))
        return Outcome("i-0001", False, None, 1.0, 0.0, json.dumps(self.answer).encode())


def authorizers(stand_in: StandIn, ttl: int = 300, simple: bool = True) -> Authorizers:
    spec = Authorizer(
        "api.Lambda",
        "request",
        "http",
        identity=("$request.header.X-User", "$request.querystring.tenant"),
        function="Authorize",
        payload="2.0",
        simple=simple,
        ttl=ttl,
    )
    return Authorizers({spec.name: spec}, stand_in, None)


def request(user: str | None = "ann", query: str = "tenant=t1") -> Request:
    headers = [("x-user", user)] if user is not None else []
    return Request("GET", b"/items", query, headers, b"", raw_path="/items")


EVENT = {"version": "2.0", "routeKey": "GET /items", "rawPath": "/items", "body": "x"}


def check(auth: Authorizers, req: Request) -> Any:
    return asyncio.run(auth.check(ROUTE, req, dict(EVENT)))


def test_the_payload_and_a_simple_yes_pass_the_context_on() -> None:
    stand_in = StandIn({"isAuthorized": True, "context": {"tenant": "t1"}})
    assert check(authorizers(stand_in), request()) == {"lambda": {"tenant": "t1"}}
    payload = stand_in.payloads[0]
    assert set(SAMPLE) - set(payload) <= {
        "cookies",
        "headers",
        "pathParameters",
        "queryStringParameters",
        "rawQueryString",
        "requestContext",
        "stageVariables",
    }
    assert (payload["type"], payload["version"]) == (SAMPLE["type"], SAMPLE["version"])
    assert payload["identitySource"] == ["ann", "t1"]
    assert payload["routeArn"].endswith("/$default/GET/items")
    assert "body" not in payload


def test_a_simple_no_is_403_and_missing_identity_is_401_without_an_invocation() -> None:
    stand_in = StandIn({"isAuthorized": False})
    with pytest.raises(Refused) as refused:
        check(authorizers(stand_in), request())
    assert (refused.value.status, refused.value.message) == (403, "Forbidden")
    with pytest.raises(Refused) as missing:
        check(authorizers(stand_in), request(query=""))
    assert (missing.value.status, missing.value.message) == (401, "Unauthorized")
    assert len(stand_in.payloads) == 1


def test_results_are_cached_per_identity_unless_the_ttl_is_zero() -> None:
    stand_in = StandIn({"isAuthorized": True})
    cached = authorizers(stand_in)
    for user in ("ann", "ann", "bob"):
        check(cached, request(user))
    assert [p["identitySource"][0] for p in stand_in.payloads] == ["ann", "bob"]
    uncached_stand_in = StandIn({"isAuthorized": True})
    uncached = authorizers(uncached_stand_in, ttl=0)
    check(uncached, request())
    check(uncached, request())
    assert len(uncached_stand_in.payloads) == 2


def test_a_policy_answer_must_allow_the_route() -> None:
    def policy(effect: str, resource: str) -> dict[str, Any]:
        statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
        return {"principalId": "u", "policyDocument": {"Statement": [statement]}}

    allowed = StandIn(policy("Allow", "arn:aws:execute-api:*:*:api/*/GET/*"))
    assert check(authorizers(allowed, simple=False), request()) == {"lambda": {}}
    for answer in (policy("Deny", "*"), policy("Allow", "arn:aws:execute-api:*:*:api/*/POST/*")):
        with pytest.raises(Refused) as refused:
            check(authorizers(StandIn(answer), simple=False), request())
        assert refused.value.status == 403


def test_jwks_come_from_a_file_or_a_loopback_url_never_from_elsewhere(tmp_path: Path) -> None:
    jwt = pytest.importorskip("jwt")
    import http.server
    import threading

    from faasgi.local.authorizers import KeySource

    from .conftest import ISSUER, Keys

    keys = Keys(tmp_path)
    with pytest.raises(ValueError, match="on this machine"):
        KeySource("https://issuer.example.com/.well-known/jwks.json")
    body = keys.jwks_path.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
        token = keys.token()
        for source in (KeySource(str(keys.jwks_path)), KeySource(url)):
            key = source.key(token)
            claims = jwt.decode(token, key, algorithms=["RS256"], audience="todo-app")
            assert claims["iss"] == ISSUER
    finally:
        server.shutdown()
        server.server_close()
