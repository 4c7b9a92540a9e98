"""serverless() and the handler object: function.py."""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import sys
from typing import Any

import flask
import pytest

from faasgi import AppNotReady, Handler, UnsupportedEvent, serverless
from faasgi.function import interface_of, is_factory
from faasgi.testing import FaasClient


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"wsgi"]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"asgi"})


class WSGIObject:
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return wsgi_app(environ, start_response)


class ASGIObject:
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asgi_app(scope, receive, send)


class ThreeArgs:
    def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        return asgi_app(scope, receive, send)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (wsgi_app, "wsgi"),
        (asgi_app, "asgi"),
        (WSGIObject(), "wsgi"),
        (ASGIObject(), "asgi"),
        (ThreeArgs(), "asgi"),
        (flask.Flask("x"), "wsgi"),
        (WSGIObject().__call__, "wsgi"),
    ],
    ids=[
        "wsgi-function",
        "asgi-function",
        "wsgi-object",
        "asgi-object",
        "three-args",
        "flask",
        "bound-method",
    ],
)
def test_interface_is_detected_from_the_callable(app: Any, expected: str) -> None:
    assert interface_of(app) == expected


def test_starlette_fastapi_and_django_are_detected() -> None:
    from fastapi import FastAPI
    from starlette.applications import Starlette

    from tests.django_project import asgi_application, wsgi_application

    assert interface_of(Starlette()) == "asgi"
    assert interface_of(FastAPI()) == "asgi"
    assert interface_of(asgi_application()) == "asgi"
    assert interface_of(wsgi_application()) == "wsgi"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="inspect.markcoroutinefunction is 3.12+")
def test_marked_coroutine_function_is_asgi() -> None:
    import inspect

    def app(scope: Any, receive: Any, send: Any, extra: Any = None) -> Any:
        return asgi_app(scope, receive, send)

    inspect.markcoroutinefunction(app)  # type: ignore[attr-defined]
    assert interface_of(app) == "asgi"


def test_undecidable_callable_asks_for_interface() -> None:
    undecidable = functools.partial(wsgi_app)
    with pytest.raises(ValueError, match="interface="):
        interface_of(undecidable)
    handler = serverless(undecidable, interface="wsgi")
    assert FaasClient(handler).get("/").content == b"wsgi"


def test_factory_runs_once_and_decorator_forms_agree() -> None:
    calls: list[int] = []

    @serverless
    def bare() -> Any:
        calls.append(1)
        return wsgi_app

    @serverless(base_path="/v1")
    def configured() -> Any:
        return wsgi_app

    direct = serverless(wsgi_app)
    for handler in (bare, configured, direct):
        assert isinstance(handler, Handler)
        assert FaasClient(handler).get("/").content == b"wsgi"
    FaasClient(bare).get("/")
    assert calls == [1]
    assert is_factory(lambda: wsgi_app) and not is_factory(wsgi_app)


def test_lazy_defers_the_factory_to_the_first_invocation() -> None:
    calls: list[int] = []

    def factory() -> Any:
        calls.append(1)
        return wsgi_app

    handler = serverless(factory, lazy=True)
    assert calls == []
    FaasClient(handler).get("/")
    FaasClient(handler).get("/")
    assert calls == [1]


def test_factory_returning_a_non_app_fails_init() -> None:
    with pytest.raises(AppNotReady, match="not a WSGI or ASGI app"):
        serverless(lambda: 42)


def test_app_exception_is_a_generic_500_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    app = flask.Flask("boom")
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.get("/")
    def index() -> Any:
        raise KeyError("secret-detail")

    with caplog.at_level(logging.ERROR, logger="faasgi"):
        response = FaasClient(serverless(app), context_options={"aws_request_id": "rid-7"}).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error (request id rid-7)"
    assert "secret-detail" not in response.text
    tracebacks = [r for r in caplog.records if r.exc_info and r.name == "faasgi"]
    assert len(tracebacks) == 1


def test_raise_app_errors_reraises() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        FaasClient(serverless(app, raise_app_errors=True)).get("/")


@pytest.mark.parametrize("event", [[1, 2], 42, None], ids=["list", "int", "none"])
def test_event_that_is_not_an_object_is_unsupported(event: Any) -> None:
    with pytest.raises(UnsupportedEvent, match="JSON object"):
        serverless(wsgi_app)(event, None)


def test_http_shaped_event_of_no_known_source_is_a_400() -> None:
    answer = serverless(wsgi_app)({"rawPath": "/", "headers": {}}, None)
    assert answer["statusCode"] == 400


def test_malformed_field_types_are_a_400() -> None:
    event = {"version": "2.0", "rawPath": 5, "requestContext": {"http": {"method": "GET"}}}
    assert serverless(wsgi_app)(event, None)["statusCode"] == 400


def test_report_line_tells_cold_from_warm(caplog: pytest.LogCaptureFixture) -> None:
    handler = serverless(wsgi_app)
    with caplog.at_level(logging.INFO, logger="faasgi.report"):
        FaasClient(handler, context_options={"aws_request_id": "first"}).get("/")
        FaasClient(handler, context_options={"aws_request_id": "second"}).get("/")
    lines = [
        json.loads(r.getMessage().removeprefix("REPORT "))
        for r in caplog.records
        if r.name == "faasgi.report"
    ]
    assert [(line["requestId"], line["cold"], line["status"]) for line in lines] == [
        ("first", True, 200),
        ("second", False, 200),
    ]
    assert "initMs" in lines[0] and "initMs" not in lines[1]
    assert all(line["durationMs"] >= 0 for line in lines)


def test_server_timing_header_shows_init_on_the_cold_start_only() -> None:
    handler = serverless(wsgi_app, server_timing=True)
    first = FaasClient(handler).get("/").headers["server-timing"]
    second = FaasClient(handler).get("/").headers["server-timing"]
    assert first.startswith("init;dur=") and ", app;dur=" in first
    assert second.startswith("app;dur=")


def test_importing_faasgi_and_wrapping_wsgi_imports_neither_asyncio_nor_boto3() -> None:
    code = (
        "import sys, faasgi\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', []); return [b'']\n"
        "faasgi.serverless(app)\n"
        "heavy = ('asyncio', 'boto3', 'botocore', 'inspect')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


#: Every library an extra brings (docs/dependencies.md): never imported by the handler path.
EXTRAS_LIBRARIES = (
    "alibabacloud_oss_v2",
    "awslambdaric",
    "boto3",
    "cronsim",
    "httpx",
    "jwt",
    "moto",
    "samtranslator",
    "uvicorn",
    "websockets",
    "yaml",
)


@pytest.mark.parametrize("interface", ["wsgi", "asgi"])
def test_importing_faasgi_and_wrapping_an_app_imports_no_extra(interface: str) -> None:
    app = (
        "def app(environ, start_response):\n    start_response('200 OK', []); return [b'']\n"
        if interface == "wsgi"
        else "async def app(scope, receive, send):\n    pass\n"
    )
    code = (
        "import sys, faasgi\n"
        f"{app}"
        "faasgi.serverless(app, lifespan='off')\n"
        f"print(sorted(m for m in {EXTRAS_LIBRARIES!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
