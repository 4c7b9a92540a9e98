"""The one-pass buffered WSGI path (faasgi.wsgi_buffered) answers exactly as the general path
(`source.parse` -> `WSGIRunner` -> `Sink` -> `source.render`, held to Werkzeug's client by
tests/test_differential.py): the same environ reaches the app and the same answer dict
comes back, on captured events, hand-made variants and generated ones; events it does not
cover fall back before the app runs."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import faasgi
from faasgi import serverless
from faasgi.function import Handler
from faasgi.sinks import Sink

FIXTURES = Path(__file__).parent / "fixtures" / "events" / "aws-powertools-lambda-python"
V2_SAMPLES = [
    "apiGatewayProxyV2Event.json",
    "apiGatewayProxyV2Event_GET.json",
    "apiGatewayProxyV2IamEvent.json",
    "apiGatewayProxyV2OtherGetEvent.json",
    "apiGatewayProxyV2EventPathTrailingSlash.json",
]
V1_SAMPLES = ["apiGatewayProxyEvent.json", "apiGatewayProxyOtherEvent.json"]

WSGIApp = Callable[[dict[str, Any], Any], Any]


def _sample(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return event


def _default_stage(event: dict[str, Any]) -> dict[str, Any]:
    """An HTTP API sample on the `$default` stage (the samples name one; that shape falls back)."""
    event = copy.deepcopy(event)
    event["requestContext"]["stage"] = "$default"
    return event


def _recording(answer: WSGIApp) -> tuple[WSGIApp, list[dict[str, Any]]]:
    """`answer` wrapped to record the environ it gets, its body read out (per-call objects
    replaced by what can be compared)."""
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        snapshot = dict(environ)
        snapshot["wsgi.input"] = environ["wsgi.input"].read()
        invocation = snapshot.pop("faasgi.invocation")
        assert faasgi.current_invocation() is invocation
        assert invocation.event is environ["apig_wsgi.full_event"]
        snapshot.pop("apig_wsgi.context")
        seen.append(snapshot)
        environ["wsgi.input"] = _Replay(snapshot["wsgi.input"])
        return answer(environ, start_response)

    return app, seen


class _Replay:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, size: int = -1) -> bytes:
        data, self.data = self.data, b""
        return data


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"path": environ["PATH_INFO"]}).encode(), environ["wsgi.input"].read()]


def _both(
    answer: WSGIApp, event: dict[str, Any], **options: Any
) -> tuple[Any, Any, Any, Any, bool]:
    """(buffered answer, its environ, general answer, its environ, buffered path taken)."""
    app, seen = _recording(answer)
    handler = serverless(app, **options)
    buffered = handler(copy.deepcopy(event), None)  # the first event sets the path up
    buffered_environ = seen.pop() if seen else None
    fast = handler._buffered
    taken = fast is not None and fast(copy.deepcopy(event), None) is not None
    # Taken from the first event on, the general path's detector was never needed.
    assert (handler._detector is None) is taken
    seen.clear()
    general = handler.invoke(copy.deepcopy(event), None, Sink(handler.codec))
    general_environ = seen.pop() if seen else None
    return buffered, buffered_environ, general, general_environ, taken


def _v2_variants() -> list[Any]:
    base = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    cases = [pytest.param(_default_stage(_sample(n)), True, id=n) for n in V2_SAMPLES]

    def variant(label: str, taken: bool, change: Callable[[dict[str, Any]], Any]) -> None:
        event = copy.deepcopy(base)
        change(event)
        cases.append(pytest.param(event, taken, id=label))

    variant("host", True, lambda e: e["headers"].update({"Host": "example.com"}))
    variant("host-port", True, lambda e: e["headers"].update({"host": "example.com:8443"}))
    variant("no-host", True, lambda e: e["headers"].pop("host", None))
    variant("forwarded-http", True, lambda e: e["headers"].update({"x-forwarded-proto": "http"}))
    variant("non-ascii-header", True, lambda e: e["headers"].update({"x-name": "café"}))
    variant("non-ascii-host", False, lambda e: e["headers"].update({"host": "café.example"}))
    variant("underscore-header", True, lambda e: e["headers"].update({"x_spoof": "1"}))
    variant("content-length", True, lambda e: e["headers"].update({"Content-Length": "0"}))
    variant("content-type", True, lambda e: e["headers"].update({"Content-Type": "text/plain"}))
    variant("body", True, lambda e: e.update(body="hello", isBase64Encoded=False))
    variant("base64-body", True, lambda e: e.update(body="AAEC/w==", isBase64Encoded=True))
    variant("bad-base64", False, lambda e: e.update(body="not base64!", isBase64Encoded=True))
    variant("no-headers", True, lambda e: e.update(headers=None))
    variant("cookies", True, lambda e: e.update(cookies=["a=1", "b=2"]))
    variant("cookie-header", True, lambda e: e["headers"].update({"Cookie": "a=1"}))
    variant("non-ascii-query", True, lambda e: e.update(rawQueryString="q=é"))
    variant("non-ascii-path", True, lambda e: e.update(rawPath="/café"))
    variant("http2", True, lambda e: e["requestContext"]["http"].update(protocol="HTTP/2.0"))
    variant("head", True, lambda e: e["requestContext"]["http"].update(method="HEAD"))
    variant("repeated", False, lambda e: e["headers"].update({"X-A": "1", "x-a": "2"}))
    variant("list-value", False, lambda e: e["headers"].update({"x-a": ["1", "2"]}))
    variant("cookies-not-list", False, lambda e: e.update(cookies="a=1"))
    variant("named-stage", False, lambda e: e["requestContext"].update(stage="dev"))
    variant(
        "function-url",
        False,
        lambda e: e["requestContext"].update(domainName="abc.lambda-url.us-east-1.on.aws"),
    )
    variant("unhashable-protocol", False, lambda e: e["requestContext"]["http"].update(protocol={}))
    return cases


def _v1_variants() -> list[Any]:
    base = _sample("apiGatewayProxyEvent.json")
    base["multiValueHeaders"] = {k: [v] for k, v in base["headers"].items()}
    cases = [pytest.param(base, True, id="sample")]
    # Header2 has two values: the general path joins them.
    cases.append(pytest.param(_sample("apiGatewayProxyOtherEvent.json"), False, id="other-sample"))

    def variant(label: str, taken: bool, change: Callable[[dict[str, Any]], Any]) -> None:
        event = copy.deepcopy(base)
        change(event)
        cases.append(pytest.param(event, taken, id=label))

    multi = "multiValueHeaders"
    variant("no-host", True, lambda e: e[multi].pop("Host", None))
    variant(
        "custom-domain", True, lambda e: e["requestContext"].update(domainName="api.example.com")
    )
    variant("no-context-path", True, lambda e: e["requestContext"].pop("path"))
    variant("query", True, lambda e: e.update(multiValueQueryStringParameters={"q": ["a b", "é"]}))
    variant("single-query", True, lambda e: e.update(multiValueQueryStringParameters=None))
    variant("encoded-path", True, lambda e: e.update(path="/caf%C3%A9/a b"))
    variant("body", True, lambda e: e.update(body="aGk=", isBase64Encoded=True))
    variant("cookie", True, lambda e: e[multi].update({"Cookie": ["a=1"]}))
    variant("two-cookies", True, lambda e: e[multi].update({"Cookie": ["a=1"], "cookie": ["b=2"]}))
    variant("non-ascii-header", True, lambda e: e[multi].update({"X-Name": ["café"]}))
    variant("two-values", False, lambda e: e[multi].update({"X-A": ["1", "2"]}))
    variant("no-values", False, lambda e: e[multi].update({"X-A": []}))
    variant("repeated", False, lambda e: e[multi].update({"X-A": ["1"], "x-a": ["2"]}))
    variant("single-value-only", False, lambda e: e.pop(multi))
    return cases


@pytest.mark.parametrize(
    ("event", "taken"),
    [pytest.param(*case.values, id=f"v2-{case.id}") for case in _v2_variants()]
    + [pytest.param(*case.values, id=f"v1-{case.id}") for case in _v1_variants()],
)
def test_events_answer_as_the_general_path(event: dict[str, Any], taken: bool) -> None:
    buffered, buffered_environ, general, general_environ, was_taken = _both(_echo, event)
    assert was_taken is taken
    assert buffered == general
    assert buffered_environ == general_environ


# -- what the app answers -------------------------------------------------------------------


def _answering(status: str, headers: list[tuple[str, str]], body: list[bytes]) -> WSGIApp:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, list(headers))
        return list(body)

    return app


def _lazy(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    """PEP 3333: a generator may call start_response on its first iteration."""
    start_response("201 Created", [("Content-Type", "text/plain")])
    yield b""
    yield b"one "
    yield b"two"


def _writer(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written ")
    yield b"iterated "
    write(b"written-again ")
    yield b"end"


def _error_page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise RuntimeError("late")
    except RuntimeError:
        import sys

        start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"error page"]


def _raises(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("boom")


def _raises_in_body(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first"
    raise RuntimeError("boom in the body")


def _no_start(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    return [b"never started"]


def _bad_status(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("OK", [])
    return [b""]


def _text_chunks(environ: dict[str, Any], start_response: Any) -> list[Any]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["not bytes"]


class _ClosingBody:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        yield b"body"

    def close(self) -> None:
        self.closed += 1
        if self.fail:
            raise RuntimeError("close failed")


APPS = {
    "cookies": _answering(
        "200 OK",
        [("Set-Cookie", "a=1"), ("Content-Type", "text/html"), ("set-cookie", "b=2")],
        [b"<p>hi</p>"],
    ),
    "repeated-headers": _answering(
        "200 OK", [("X-A", "1"), ("x-a", "2"), ("Content-Type", "text/plain")], [b"ok"]
    ),
    "latin-1-header": _answering(
        "200 OK", [("X-Name", "café".encode().decode("latin-1"))], [b"ok"]
    ),
    "binary": _answering("200 OK", [("Content-Type", "image/png")], [bytes(range(256))]),
    "gzip": _answering(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")], [b"\x1f\x8b"]
    ),
    "not-utf-8-text": _answering("200 OK", [("Content-Type", "text/plain")], [b"\xff\xfe"]),
    "no-content-type": _answering("204 No Content", [], []),
    "many-chunks": _answering("200 OK", [("Content-Type", "text/plain")], [b"a", b"", b"b"]),
    "lazy-start": _lazy,
    "write-callable": _writer,
    "error-page": _error_page,
    "raises": _raises,
    "raises-in-body": _raises_in_body,
    "no-start-response": _no_start,
    "bad-status": _bad_status,
    "text-chunks": _text_chunks,
}


@pytest.mark.parametrize("name", list(APPS))
@pytest.mark.parametrize("version", ["v2", "v1"])
def test_app_answers_render_as_the_general_path(name: str, version: str) -> None:
    event = (
        _default_stage(_sample("apiGatewayProxyV2Event.json"))
        if version == "v2"
        else _v1_variants()[0].values[0]
    )
    buffered, _, general, _, taken = _both(APPS[name], event)
    assert taken
    assert buffered == general


def test_error_page_replaces_the_body() -> None:
    """PEP 3333: start_response(exc_info) before anything is sent replaces the answer."""
    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    answer = serverless(_error_page)(event, None)
    assert answer["statusCode"] == 500
    assert answer["body"] == "error page"


@pytest.mark.parametrize("fail", [False, True])
def test_close_runs_once_after_the_answer(fail: bool, caplog: pytest.LogCaptureFixture) -> None:
    bodies: list[_ClosingBody] = []

    def app(environ: dict[str, Any], start_response: Any) -> _ClosingBody:
        start_response("200 OK", [("Content-Type", "text/plain")])
        bodies.append(_ClosingBody(fail))
        return bodies[-1]

    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    with caplog.at_level(logging.ERROR, logger="faasgi.wsgi"):
        answer = serverless(app)(event, None)
    assert answer["body"] == "body"
    assert bodies[0].closed == 1
    assert ("close() raised" in caplog.text) is fail


def test_app_error_is_a_500_with_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    with caplog.at_level(logging.ERROR, logger="faasgi"):
        answer = serverless(_raises)(event, None)
    request_id = event["requestContext"]["requestId"]
    assert answer["statusCode"] == 500
    assert request_id in answer["body"]
    assert "boom" in caplog.text


def test_raise_app_errors_propagates_and_closes() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            raise RuntimeError("boom")
            yield b""  # pragma: no cover

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    with pytest.raises(RuntimeError, match="boom"):
        serverless(app, raise_app_errors=True)(event, None)
    assert closed == [True]
    with pytest.raises(LookupError):
        faasgi.current_invocation()  # the invocation's context is reset


def test_after_response_runs_after_close() -> None:
    order: list[str] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b"ok"

        def close(self) -> None:
            order.append("close")

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        faasgi.after_response(order.append, "after")
        start_response("200 OK", [])
        return Body()

    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    serverless(app)(event, None)
    assert order == ["close", "after"]


@pytest.mark.parametrize(
    "options", [{"base_path": "/api"}, {"server_timing": True}], ids=["base-path", "server-timing"]
)
def test_options_the_path_does_not_cover_take_the_general_path(options: dict[str, Any]) -> None:
    handler = serverless(_echo, **options)
    handler(_default_stage(_sample("apiGatewayProxyV2Event.json")), None)
    assert handler._buffered is None


def test_asgi_apps_never_take_it() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    handler = serverless(app, lifespan="off")
    assert (
        handler(_default_stage(_sample("apiGatewayProxyV2Event.json")), None)["statusCode"] == 204
    )
    assert handler._buffered is None


def test_other_sources_in_the_same_instance_fall_back() -> None:
    """An instance that saw HTTP API events still serves a REST or ALB event correctly."""
    handler: Handler = serverless(_echo)
    handler(_default_stage(_sample("apiGatewayProxyV2Event.json")), None)
    rest = _sample("apiGatewayProxyEvent.json")
    assert handler._buffered is not None and handler._buffered(rest, None) is None
    assert "multiValueHeaders" in handler(rest, None)
    alb = _sample("albEvent.json")
    assert handler._buffered(alb, None) is None
    assert handler(alb, None)["statusCode"] == 200
    authorizer = dict(rest, methodArn="arn:aws:execute-api:us-east-1:1:x/prod/GET/")
    assert handler._buffered(authorizer, None) is None


# -- generated events ---------------------------------------------------------------------

_names = st.one_of(
    st.text(alphabet="abxX-_", min_size=1, max_size=4),  # "x" and "X": one name spelt twice
    st.sampled_from(
        ["Cookie", "cookie", "Content-Length", "content-type", "Host", "host", "x-forwarded-port"]
    ),
)
_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=8)
_headers = st.dictionaries(_names, _values, max_size=6)
_paths = st.lists(
    st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="/?#"),
        min_size=1,
        max_size=5,
    ),
    max_size=3,
).map(lambda parts: "/" + "/".join(parts))
_bodies = st.one_of(st.none(), st.text(max_size=12))
_methods = st.sampled_from(["GET", "POST", "HEAD", "PUT"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=_headers,
    path=_paths,
    query=st.text(alphabet="ab=&é%", max_size=8),
    body=_bodies,
    method=_methods,
    cookies=st.one_of(st.none(), st.lists(_values, max_size=3)),
)
def test_generated_http_api_events(
    headers: dict[str, str],
    path: str,
    query: str,
    body: str | None,
    method: str,
    cookies: list[str] | None,
) -> None:
    event = _default_stage(_sample("apiGatewayProxyV2Event.json"))
    event.update(headers=headers, rawPath=path, rawQueryString=query, body=body)
    event["isBase64Encoded"] = False
    event["requestContext"]["http"]["method"] = method
    if cookies is None:
        event.pop("cookies", None)
    else:
        event["cookies"] = cookies
    buffered, buffered_environ, general, general_environ, _ = _both(_echo, event)
    assert buffered == general
    assert buffered_environ == general_environ


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.dictionaries(_names, st.lists(_values, min_size=1, max_size=2), max_size=6),
    path=_paths,
    body=_bodies,
    method=_methods,
    stage_in_path=st.booleans(),
)
def test_generated_rest_api_events(
    headers: dict[str, list[str]], path: str, body: str | None, method: str, stage_in_path: bool
) -> None:
    event = _sample("apiGatewayProxyEvent.json")
    event.update(multiValueHeaders=headers, path=path, httpMethod=method, body=body)
    event["isBase64Encoded"] = False
    event["requestContext"]["path"] = ("/prod" if stage_in_path else "") + path
    buffered, buffered_environ, general, general_environ, _ = _both(_echo, event)
    assert buffered == general
    assert buffered_environ == general_environ
