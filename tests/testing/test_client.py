"""FaasClient: requests go through the platform's real events and its decoding, with a
response object and cookies that behave like httpx's and a browser's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import flask
import pytest

from faasgi import serverless
from faasgi.function import Handler
from faasgi.testing import SOURCES, FaasClient


def make_app() -> flask.Flask:
    app = flask.Flask("faasgi-test-client")

    @app.post("/login")
    def login() -> Any:
        response = flask.jsonify(user=flask.request.get_json()["user"])
        response.set_cookie("user", flask.request.get_json()["user"], secure=True)
        response.set_cookie("cart", "3", path="/cart")
        return response

    @app.post("/logout")
    def logout() -> Any:
        response = flask.jsonify(ok=True)
        response.delete_cookie("user")
        return response

    @app.route("/cart", methods=["GET", "PUT", "DELETE"])
    @app.get("/me")
    def me() -> Any:
        return {"method": flask.request.method, "cookies": dict(flask.request.cookies)}

    return app


@pytest.fixture(scope="module")
def handler() -> Handler:
    return serverless(make_app())


@pytest.mark.parametrize("source", SOURCES)
def test_cookies_persist_between_requests_on_every_source(handler: Handler, source: str) -> None:
    client = FaasClient(handler, source)

    login = client.post("/login", json={"user": "alice"})
    me = client.get("/me")
    cart = client.put("/cart")
    client.post("/logout")
    after = client.get("/me")

    assert (login.status, login.status_code) == (200, 200)
    assert login.json() == {"user": "alice"}
    if source == "fc-http":  # FC 3.0 keeps one Set-Cookie: the last, "cart"
        assert login.cookies == {"cart": "3"}
        return
    assert login.cookies == {"user": "alice", "cart": "3"}
    assert me.json()["cookies"] == {"user": "alice"}  # "cart" is for /cart only
    assert cart.json() == {"method": "PUT", "cookies": {"cart": "3", "user": "alice"}}
    assert after.json()["cookies"] == {}
    assert "user" not in client.cookies


def test_secure_cookies_are_not_sent_over_plain_http_to_another_host(handler: Handler) -> None:
    client = FaasClient(handler, base_url="http://example.test")

    client.post("/login", json={"user": "bob"})

    assert client.get("/me").json()["cookies"] == {}
    assert client.cookies["user"] == "bob"


def test_cookies_given_to_one_request_override_the_jar_for_it_only(handler: Handler) -> None:
    client = FaasClient(handler)
    client.post("/login", json={"user": "alice"})

    once = client.get("/me", cookies={"user": "eve"})
    again = client.get("/me")

    assert once.json()["cookies"] == {"user": "eve"}
    assert again.json()["cookies"] == {"user": "alice"}


def test_the_response_exposes_headers_content_text_and_the_raw_answer(handler: Handler) -> None:
    client = FaasClient(handler, "aws-rest")

    response = client.delete("/cart")

    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content) == response.json()
    assert response.text == response.content.decode()
    assert response.raw["statusCode"] == 200
    assert client.last_event["httpMethod"] == "DELETE"
    assert response.get_all("Content-Type") == ["application/json"]


@pytest.mark.slow
def test_the_faas_client_fixture_shuts_its_handlers_down_after_the_test(tmp_path: Path) -> None:
    log = tmp_path / "log"
    (tmp_path / "test_user.py").write_text(
        "from faasgi import serverless\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'ok']\n"
        "def test_it(faas_client):\n"
        "    handler = serverless(app)\n"
        f"    handler.on_shutdown(lambda: open({str(log)!r}, 'a').write('shutdown'))\n"
        "    assert faas_client(handler, 'alb').get('/').text == 'ok'\n"
        f"    assert not __import__('os').path.exists({str(log)!r})\n"
    )

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout
    assert log.read_text() == "shutdown"


def test_the_moto_dynamodb_fixture_is_a_server_endpoint(moto_dynamodb: str) -> None:
    from faasgi.state import DynamoDBStore, Key, ensure_table

    store = DynamoDBStore("fixture-check", endpoint_url=moto_dynamodb, region="us-east-1")
    ensure_table(store)
    store.put(Key("a", "b"), 1)

    assert moto_dynamodb.startswith("http://127.0.0.1:")
    assert store.get(Key("a", "b")).value == 1  # type: ignore[union-attr]
