"""PEP 3333 details of the WSGI runner: wsgi.py, driven through real events."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from faasgi import serverless
from faasgi.testing import FaasClient


def client(app: Any, **options: Any) -> FaasClient:
    return FaasClient(serverless(app, **options))


def test_environ_follows_pep_3333() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    # A Function URL keeps the path as the client sent it: REQUEST_URI can be checked.
    FaasClient(serverless(app), "function-url").post(
        "/caf%C3%A9?x=%20", content=b"abc", headers=[("X-A", "1")], cookies={"a": "1", "b": "2"}
    )
    assert seen["wsgi.version"] == (1, 0)
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["SCRIPT_NAME"] == ""
    # PATH_INFO is decoded bytes as latin-1 characters (PEP 3333 "bytes as str").
    assert seen["PATH_INFO"] == "/caf\xc3\xa9"
    assert seen["QUERY_STRING"] == "x=%20"
    assert seen["REQUEST_URI"] == seen["RAW_URI"] == "/caf%C3%A9?x=%20"
    assert seen["CONTENT_LENGTH"] == "3"
    assert seen["wsgi.input"].read() == b"abc"
    assert seen["HTTP_X_A"] == "1"
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert seen["wsgi.url_scheme"] == "https"
    assert seen["SERVER_NAME"] == "testserver" and seen["SERVER_PORT"] == "443"
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert all(isinstance(v, str) for k, v in seen.items() if k.isupper())
    # the raw event and context, under the names apig-wsgi users rely on
    assert seen["apig_wsgi.full_event"]["rawPath"] == "/caf%C3%A9"
    assert seen["faasgi.invocation"].event is seen["apig_wsgi.full_event"]


def test_repeated_cookie_headers_join_with_semicolons_others_with_commas() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return []

    FaasClient(serverless(app), "alb-multi").get(
        "/", headers=[("Cookie", "a=1"), ("Cookie", "b=2"), ("X-R", "1"), ("X-R", "2")]
    )
    assert seen["HTTP_COOKIE"] == "a=1; b=2"
    assert seen["HTTP_X_R"] == "1, 2"


def test_header_names_with_underscores_are_dropped() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        start_response("200 OK", [])
        return []

    client(app).get("/", headers=[("X_Forwarded_For", "spoof"), ("X-Forwarded-For", "real")])
    assert seen["HTTP_X_FORWARDED_FOR"] == "real"


def test_write_callable_output_comes_before_the_iterable() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"a")
        write(b"b")
        return [b"c"]

    assert client(app).get("/").content == b"abc"


def test_close_is_called_even_when_iteration_fails() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            yield b"partial"
            raise RuntimeError("boom")

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [])
        return Body()

    response = client(app).get("/")
    assert response.status_code == 500
    assert closed == [True]


def test_exc_info_replaces_a_started_response() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("X-First", "1")])
        write(b"half of a page")
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Internal Server Error", [("X-Error", "1")], sys.exc_info())
        return [b"error page"]

    response = client(app).get("/")
    assert response.status_code == 500
    assert response.content == b"error page"
    assert response.headers.get("x-error") == "1" and "x-first" not in response.headers


def test_start_response_twice_without_exc_info_is_an_app_error() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("201 Created", [])
        return []

    assert client(app).get("/").status_code == 500


def test_app_returning_without_start_response_is_a_500() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b"no status"]

    assert client(app).get("/").status_code == 500


def test_head_answers_carry_no_body() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "5")])
        return [b"hello"]

    response = client(app).head("/")
    assert response.content == b""
    assert response.headers["content-length"] == "5"


def test_a_generator_body_is_assembled() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"a"
        yield b""
        yield b"b"

    assert client(app).get("/").content == b"ab"


@pytest.mark.parametrize("source", ["aws-http", "alb", "fc-http"])
def test_django_wsgi_app(source: str) -> None:
    from tests.django_project import wsgi_application

    response = FaasClient(serverless(wsgi_application()), source).post(
        "/hello/?name=faas", data={"x": "1"}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "faas", "method": "POST", "x": "1"}
