"""FC 2.0 HTTP functions, handler(environ, start_response): events/fc_wsgi.py."""

from __future__ import annotations

import json
from typing import Any

import flask
import pytest

from faasgi import serverless
from faasgi.contexts import FCContext
from faasgi.testing import FaasClient, fc_wsgi_environ
from tests.apps import make_starlette_app


def flask_app() -> flask.Flask:
    application = flask.Flask("fc2")

    @application.route("/", defaults={"rest": ""})
    @application.route("/<path:rest>")
    def show(rest: str) -> Any:
        response = flask.jsonify(
            script_root=flask.request.script_root,
            path=flask.request.path,
            proxy=flask.request.headers.get("Proxy"),
        )
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    return application


def test_repeated_set_cookie_survive_on_fc2() -> None:
    response = FaasClient(serverless(flask_app()), "fc-wsgi").get("/x")
    assert response.get_all("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]


def test_fc_base_path_header_becomes_the_script_name() -> None:
    handler = serverless(flask_app())
    client = FaasClient(handler, "fc-wsgi")
    request = client.build_request(
        "GET",
        "/2016-08-15/proxy/svc/fn/items",
        headers=[("X-Fc-Base-Path", "/2016-08-15/proxy/svc/fn/")],
    )
    response, _ = client.send(request)
    seen = json.loads(response.body)
    assert seen["script_root"] == "/2016-08-15/proxy/svc/fn"
    assert seen["path"] == "/items"


def test_process_environment_merged_into_the_environ_is_not_taken_for_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    client = FaasClient(serverless(flask_app()), "fc-wsgi")
    environ = fc_wsgi_environ(client.build_request("GET", "/"), FCContext())
    environ["HTTP_PROXY"] = "http://proxy.internal:3128"  # FC 2.0 merges os.environ in
    started: list[Any] = []
    body = b"".join(client.handler(environ, lambda s, h, e=None: started.append((s, h))))
    assert json.loads(body)["proxy"] is None


def test_asgi_app_serves_fc2_too() -> None:
    handler = serverless(make_starlette_app())
    try:
        response = FaasClient(handler, "fc-wsgi").get("/echo?x=1")
        assert response.status_code == 200
        assert response.json()["args"] == [["x", "1"]]
    finally:
        handler.shutdown()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda environ: environ.pop("wsgi.input"), id="no-wsgi-input"),
        pytest.param(lambda environ: environ.update(CONTENT_LENGTH=3), id="int-content-length"),
        pytest.param(lambda environ: environ.update(PATH_INFO="/\u2713"), id="non-latin-1"),
        pytest.param(lambda environ: environ.update(REQUEST_METHOD=None), id="no-method"),
    ],
)
def test_malformed_environ_is_a_400_not_a_crash(damage: Any) -> None:
    handler = serverless(flask_app())
    environ = fc_wsgi_environ(FaasClient(handler, "fc-wsgi").build_request("GET", "/x"), None)
    damage(environ)
    started: list[str] = []
    body = b"".join(handler(environ, lambda status, headers, exc=None: started.append(status)))
    assert started == ["400 Bad Request"]
    assert body.startswith(b"Bad Request:")
