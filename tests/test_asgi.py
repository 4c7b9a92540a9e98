"""ASGI runner: scope, receive/send, lifespan and the instance loop (asgi.py)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import BackgroundTasks, FastAPI

from faasgi import AppNotReady, current_invocation, serverless
from faasgi.testing import FaasClient

Scope = dict[str, Any]


@pytest.fixture
def handlers() -> Iterator[list[Any]]:
    """Collects handlers made in a test and shuts them down after it."""
    made: list[Any] = []
    yield made
    for handler in made:
        handler.shutdown()


def client(handlers: list[Any], app: Any, source: str = "aws-http", **options: Any) -> FaasClient:
    handler = serverless(app, **options)
    handlers.append(handler)
    return FaasClient(handler, source)


async def respond(send: Any, body: bytes = b"ok", status: int = 200) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": body})


def test_http_scope_is_complete(handlers: list[Any]) -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(scope)
            await respond(send)

    # A Function URL keeps the path as the client sent it, so raw_path can be checked.
    client(handlers, app, "function-url", lifespan="off").post(
        "/a%2Fb?x=1", content=b"data", headers=[("X-Test", "v")]
    )
    scope = seen[0]
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "POST"
    assert scope["scheme"] == "https"
    assert scope["path"] == "/a/b"
    assert scope["raw_path"] == b"/a%2Fb"
    assert scope["query_string"] == b"x=1"
    assert scope["root_path"] == ""
    assert (b"x-test", b"v") in scope["headers"]
    assert all(isinstance(n, bytes) and isinstance(v, bytes) for n, v in scope["headers"])
    assert scope["client"] == ("203.0.113.7", 0)
    assert scope["server"] == ("testserver", 443)
    assert scope["aws.event"]["rawPath"] == "/a%2Fb"
    assert scope["aws.context"] is scope["extensions"]["faasgi"].context
    assert scope["state"] == {}


def test_receive_reports_disconnect_only_after_the_response(handlers: list[Any]) -> None:
    messages: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        messages.append(await receive())
        await respond(send)
        messages.append(await receive())

    client(handlers, app, lifespan="off").post("/", content=b"body")
    assert messages == [
        {"type": "http.request", "body": b"body", "more_body": False},
        {"type": "http.disconnect"},
    ]


def test_more_body_chunks_are_assembled(handlers: list[Any]) -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"", b"bc"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"d"})

    assert client(handlers, app, lifespan="off").get("/").content == b"abcd"


def test_app_that_never_responds_is_a_500(handlers: list[Any]) -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        return None

    response = client(handlers, app, lifespan="off").get("/")
    assert response.status_code == 500
    assert "request id" in response.text


def test_app_that_stops_mid_body_is_a_500(handlers: list[Any]) -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})

    assert client(handlers, app, lifespan="off").get("/").status_code == 500


def test_error_after_a_complete_response_keeps_the_response(
    handlers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await respond(send, b"done")
        raise RuntimeError("cleanup failed")

    with caplog.at_level(logging.ERROR):
        response = client(handlers, app, lifespan="off").get("/")
    assert (response.status_code, response.content) == (200, b"done")
    assert any("after its response was complete" in r.getMessage() for r in caplog.records)


def test_one_loop_serves_every_invocation(handlers: list[Any]) -> None:
    loops: list[int] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        loops.append(id(asyncio.get_running_loop()))
        await asyncio.sleep(0.001)  # really wait, not just the eager first step
        await respond(send)

    faas = client(handlers, app, lifespan="off")
    for _ in range(5):
        assert faas.get("/").status_code == 200
    assert len(set(loops)) == 1


def test_tasks_the_app_spawns_get_a_turn_of_the_loop(handlers: list[Any]) -> None:
    ran: list[str] = []

    async def background() -> None:
        ran.append("background")

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        asyncio.get_running_loop().create_task(background())
        await respond(send)

    client(handlers, app, lifespan="off").get("/")
    assert ran == ["background"]


def test_lifespan_state_is_copied_into_each_request(handlers: list[Any]) -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["pool"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        seen.append(dict(scope["state"]))
        scope["state"]["written-by-request"] = True  # must not leak to the next request
        await respond(send)

    faas = client(handlers, app)
    faas.get("/")
    faas.get("/")
    assert seen == [{"pool": "connected"}, {"pool": "connected"}]


def test_lifespan_on_fails_init_when_the_app_has_no_lifespan() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("only http")

    with pytest.raises(AppNotReady, match="lifespan"):
        serverless(app, lifespan="on")
    auto = serverless(app, lifespan="auto")  # tolerated
    auto.shutdown()


def test_lifespan_startup_failed_fails_init_loudly() -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})

    with pytest.raises(AppNotReady, match="no database"):
        serverless(app)


def test_lifespan_off_never_sends_lifespan(handlers: list[Any]) -> None:
    kinds: list[str] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        kinds.append(scope["type"])
        await respond(send)

    client(handlers, app, lifespan="off").get("/")
    assert kinds == ["http"]


def test_head_answer_carries_no_body(handlers: list[Any]) -> None:
    async def app(scope: Scope, receive: Any, send: Any) -> None:
        await respond(send, b"full body")

    response = client(handlers, app, lifespan="off").head("/")
    assert response.content == b""


def test_concurrent_invocations_from_threads_share_the_loop(handlers: list[Any]) -> None:
    """FC instance concurrency: many threads call one handler at once."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        request_id = current_invocation().request_id
        await asyncio.sleep(0.01)
        assert current_invocation().request_id == request_id
        await respond(send, request_id.encode())

    handler = serverless(app, lifespan="off")
    handlers.append(handler)
    results: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def call(number: int) -> None:
        try:
            faas = FaasClient(handler, "fc-http", context_options={"request_id": f"req-{number}"})
            results[f"req-{number}"] = faas.get("/").content
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results == {key: key.encode() for key in results} and len(results) == 50


def test_starlette_streaming_response_is_collected_whole(handlers: list[Any]) -> None:
    from tests.apps import make_starlette_app

    response = client(handlers, make_starlette_app()).get("/echo?do=stream")
    assert response.content == b"chunk0;chunk1;chunk2;chunk3;chunk4;"  # Zappa returns b""


def test_fastapi_sync_and_async_endpoints_and_background_tasks(handlers: list[Any]) -> None:
    done: list[str] = []
    app = FastAPI()

    @app.get("/sync")
    def sync_endpoint() -> dict[str, str]:  # runs in the threadpool
        return {"thread": threading.current_thread().name}

    @app.post("/items")
    async def create(item: dict[str, Any], tasks: BackgroundTasks) -> dict[str, Any]:
        tasks.add_task(done.append, item["name"])
        return {"created": item["name"]}

    faas = client(handlers, app)
    assert faas.get("/sync").status_code == 200
    assert faas.post("/items", json={"name": "x"}).json() == {"created": "x"}
    assert done == ["x"]
    malformed = faas.post("/items", content=b"{bad", headers=[("content-type", "application/json")])
    assert malformed.status_code == 422


def test_django_asgi_app(handlers: list[Any]) -> None:
    from tests.django_project import asgi_application

    response = client(handlers, asgi_application(), "aws-rest").get("/hello/?name=asgi")
    assert response.json() == {"name": "asgi", "method": "GET", "x": None}


def test_running_the_loop_from_inside_itself_fails_instead_of_waiting_forever(
    handlers: list[Any],
) -> None:
    """SIGTERM arriving mid-invocation runs the shutdown inside the invocation's thread."""
    seen: list[str] = []

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        handler = handlers[0]

        async def nested() -> None:
            return None

        try:
            handler.instance.runner.loop.run(nested())
        except RuntimeError as error:
            seen.append(str(error))
        await respond(send)

    client(handlers, app, lifespan="off").get("/")
    assert seen == ["the instance's event loop is busy in this very thread"]
