"""`faasgi.custom_runtime`: the handler served as real HTTP, the way an FC custom runtime
runs it, tested over loopback. Repeated Set-Cookie headers must survive, FC's hooks must
reach the handler, and FC's request headers must become the invocation's context.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from faasgi import current_invocation, serverless
from faasgi.custom_runtime import make_server

Environ = dict[str, Any]
#: The common headers FC sends with a lifecycle hook (the request id among them).
FC_HOOK = {"x-fc-request-id": "hook-1", "x-fc-control-path": "/initialize"}
StartResponse = Callable[..., Any]


@contextmanager
def serving(handler: Any) -> Iterator[int]:
    server = make_server(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def two_cookies(environ: Environ, start_response: StartResponse) -> list[bytes]:
    start_response(
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", "session=abc; Path=/; HttpOnly"),
            ("Set-Cookie", "theme=dark; Path=/"),
        ],
    )
    return [b"two cookies"]


def echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read()
    invocation = current_invocation()
    credentials = invocation.context.credentials
    answer = {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "body": body.decode(),
        "request_id": invocation.request_id,
        "cookie": environ.get("HTTP_COOKIE"),
        "secret_header": environ.get("HTTP_X_FC_ACCESS_KEY_SECRET"),
        "secret_in_context": credentials.access_key_secret,
        "function_name": invocation.context.function.name,
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(answer).encode()]


def test_every_set_cookie_header_reaches_the_client() -> None:
    with serving(serverless(two_cookies)) as port:
        response, body = request(port, "GET", "/")
    assert response.status == 200
    assert body == b"two cookies"
    assert response.msg.get_all("Set-Cookie") == [
        "session=abc; Path=/; HttpOnly",
        "theme=dark; Path=/",
    ]


def test_asgi_apps_keep_their_repeated_headers_too() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
            }
        )
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    handler = serverless(app)
    try:
        with serving(handler) as port:
            response, body = request(port, "GET", "/caf%C3%A9")
    finally:
        # Ends the lifespan task: an ASGI instance dropped while its loop still holds the
        # task raises "Event loop is closed" from the garbage collector.
        handler.shutdown()
    assert response.status == 201
    assert body == "/café".encode()
    assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_fc_request_headers_become_the_invocation_context() -> None:
    headers = {
        "x-fc-request-id": "1-abc-req",
        "x-fc-function-name": "todo",
        "x-fc-access-key-id": "AK",
        "x-fc-access-key-secret": "SECRET",
        "x-fc-security-token": "TOKEN",
        "Cookie": "a=1",
    }
    with serving(serverless(echo)) as port:
        response, body = request(port, "POST", "/items/a%2Fb?x=1&x=2", b"payload", headers)
    answer = json.loads(body)
    assert response.status == 200
    assert answer["request_id"] == "1-abc-req"
    assert answer["function_name"] == "todo"
    assert answer["secret_in_context"] == "SECRET"
    assert answer["secret_header"] is None  # credentials never reach the app as headers
    assert answer["method"] == "POST"
    assert answer["path"] == "/items/a/b"
    assert answer["query"] == "x=1&x=2"
    assert answer["body"] == "payload"
    assert answer["cookie"] == "a=1"


def test_chunked_request_bodies_are_read_whole() -> None:
    with serving(serverless(echo)) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("PUT", "/", body=iter([b"hello ", b"chunked"]), encode_chunked=True)
        answer = json.loads(connection.getresponse().read())
        connection.close()
    assert answer["body"] == "hello chunked"


def test_one_connection_serves_several_requests() -> None:
    with serving(serverless(two_cookies)) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(3):
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.read() == b"two cookies"
            assert not response.will_close
        connection.close()


def test_head_keeps_the_length_the_app_announced() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]

    with serving(serverless(app)) as port:
        response, body = request(port, "HEAD", "/")
    assert body == b""
    assert response.getheader("Content-Length") == "5"


def test_initialize_hook_runs_the_init_phase_once() -> None:
    handler = serverless(two_cookies, lazy=True)
    started: list[str] = []
    handler.on_init(lambda: started.append("init"))
    with serving(handler) as port:
        assert not handler.instance.ready
        response, body = request(port, "POST", "/initialize", headers=FC_HOOK)
        assert (response.status, response.getheader("x-fc-status"), body) == (200, "200", b"OK")
        assert handler.instance.ready
        request(port, "GET", "/")
    assert started == ["init"]


def test_a_failing_initializer_answers_404_as_fc_expects() -> None:
    def broken_factory() -> Any:
        raise RuntimeError("no database")

    with serving(serverless(broken_factory, lazy=True)) as port:
        response, body = request(port, "POST", "/initialize", headers=FC_HOOK)
    assert response.status == 404
    assert response.getheader("x-fc-status") == "404"
    assert b"no database" in body


def test_an_apps_own_initialize_route_is_not_taken_for_the_hook() -> None:
    with serving(serverless(echo)) as port:
        response, body = request(
            port, "POST", "/initialize", b"{}", {"x-fc-control-path": "/http-invoke"}
        )
    assert response.status == 200
    assert json.loads(body)["path"] == "/initialize"


def test_event_invocations_reach_the_handlers_routes() -> None:
    handler = serverless(two_cookies)

    @handler.on("fc-timer")
    def tick(event: dict[str, Any], invocation: Any) -> dict[str, Any]:
        return {"ticked": event["triggerName"], "request_id": invocation.request_id}

    timer = {"triggerTime": "2024-01-01T00:00:00Z", "triggerName": "every-minute", "payload": ""}
    headers = {"x-fc-control-path": "/invoke", "x-fc-request-id": "evt-1"}
    with serving(handler) as port:
        response, body = request(port, "POST", "/invoke", json.dumps(timer).encode(), headers)
    assert response.status == 200
    assert json.loads(body) == {"ticked": "every-minute", "request_id": "evt-1"}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("POST", "/invoke", {"x-fc-control-path": "/invoke"}),
        ("POST", "/run", {"x-fc-control-path": "/invoke", "x-fc-request-id": "r-9"}),
        ("GET", "/pre-stop", {}),
        ("GET", "/pre-stop", {"x-fc-control-path": "/http-invoke", "x-fc-request-id": "r-9"}),
        ("POST", "/initialize", {"x-fc-control-path": "/initialize"}),
    ],
    ids=[
        "invoke marker without FC's request id",
        "invoke marker on another path",
        "unmarked pre-stop",
        "pre-stop marked as user traffic",
        "initialize without FC's request id",
    ],
)
def test_a_plain_http_request_is_never_taken_for_an_fc_control_request(
    method: str, path: str, headers: dict[str, str]
) -> None:
    handler = serverless(echo)
    events: list[Any] = []
    stopped: list[str] = []
    handler.on("fc-timer")(lambda event, invocation: events.append(event))
    handler.on_shutdown(lambda: stopped.append("stopped"))
    timer = b'{"triggerTime": "2024-01-01T00:00:00Z", "triggerName": "t", "payload": ""}'

    with serving(handler) as port:
        response, body = request(port, method, path, timer, headers)

    assert response.status == 200
    assert json.loads(body)["path"] == path  # the app answered it
    assert events == [] and stopped == []
    handler.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_module_entry_point_serves_the_handler_and_runs_pre_stop(tmp_path: Path) -> None:
    stopped = tmp_path / "stopped.txt"
    (tmp_path / "fcapp.py").write_text(
        "from faasgi import serverless\n"
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2')])\n"
        "    return [b'up']\n"
        "handler = serverless(app)\n"
        "@handler.on_shutdown\n"
        "def bye():\n"
        f"    open({str(stopped)!r}, 'w').write('bye')\n"
    )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "faasgi.custom_runtime", "fcapp:handler", "--host", "127.0.0.1"],
        cwd=tmp_path,
        env={"FC_CUSTOM_LISTEN_PORT": str(port), "PATH": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        assert (
            banner.strip()
            == f"faasgi custom runtime: serving fcapp:handler on http://127.0.0.1:{port}"
        )
        response, body = request(port, "GET", "/", headers={"x-fc-request-id": "r-1"})
        assert body == b"up"
        assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]
        response, _ = request(port, "GET", "/pre-stop", headers={"x-fc-request-id": "r-2"})
        assert response.status == 200
        assert stopped.read_text() == "bye"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    # FC splits a custom runtime's log into invocations by these lines; each end line is
    # out before the answer, so the next invocation's lines cannot come in between.
    assert [line for line in out.splitlines() if line.startswith("FC ")] == [
        "FC Invoke Start RequestId: r-1",
        "FC Invoke End RequestId: r-1",
        "FC PreStop Start RequestId: r-2",
        "FC PreStop End RequestId: r-2",
    ]


def test_a_module_that_raises_at_import_shows_the_users_frames_and_one_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "needs_db.py").write_text("import os\nURL = os.environ['DATABASE_URL']\n")

    result = subprocess.run(
        [sys.executable, "-m", "faasgi.custom_runtime", "needs_db:handler"],
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": ":".join(sys.path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == (
        "faasgi custom runtime: importing 'needs_db' failed: KeyError: 'DATABASE_URL'"
    )
    assert [line for line in lines if line.startswith('  File "')] == [
        f'  File "{tmp_path / "needs_db.py"}", line 2, in <module>'
    ]
