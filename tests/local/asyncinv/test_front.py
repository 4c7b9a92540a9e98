"""The emulator's async controls in-process (httpx's ASGI transport as the client): they
answer loopback clients only, leave every other path to the gateway, and the Invoke API
(invoke_api.py) keeps Lambda's async payload limit (1 MB,
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from faasgi.local.asyncfront import AsyncFront
from faasgi.local.asyncinvoke import AsyncFunction, AsyncInvoker, platform_policy
from faasgi.local.invoke_api import ASYNC_PAYLOAD_LIMIT, InvokeApi
from faasgi.local.pool import Outcome
from faasgi.local.schedules import schedule


class Pool:
    def __init__(self) -> None:
        self.events: list[bytes] = []

    async def invoke(self, request_id: str, event: bytes, patience: float | None = None) -> Outcome:
        self.events.append(event)
        return Outcome("i-0001", False, None, 1.0, 0.0, b'"done"')


async def gateway(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"from the app"})


def front() -> tuple[AsyncFront, Pool]:
    pool = Pool()
    invoker = AsyncInvoker({"job": AsyncFunction("job", pool, platform_policy("aws"), "arn")})
    nightly = schedule("nightly", "rule", "cron(0 0 * * ? *)", function="job")

    def fire(item: Any, when: Any) -> Any:
        return invoker.submit("job", item.event(when), scheduled=when)

    def submit(name: str, body: bytes) -> str:
        return invoker.submit(name, body).request_id

    api = InvokeApi({"job": pool}, submit=submit)
    return AsyncFront(gateway, invoker, {"nightly": nightly}, fire, api), pool


async def call(client_host: str, method: str, path: str, **options: Any) -> httpx.Response:
    app, _ = front()
    transport = httpx.ASGITransport(app=app, client=(client_host, 40000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        return await client.request(method, path, **options)


def test_controls_refuse_clients_beyond_loopback() -> None:
    for path in (
        "/_faasgi/async",
        "/_faasgi/trigger/nightly",
        "/2015-03-31/functions/job/invocations",
    ):
        answer = asyncio.run(call("192.168.1.20", "POST", path))
        assert answer.status_code == 403, path
    assert asyncio.run(call("::1", "GET", "/_faasgi/async.json")).status_code == 200
    assert asyncio.run(call("127.0.0.1", "GET", "/_faasgi/async.json")).status_code == 200


def test_other_paths_go_to_the_app_from_anywhere() -> None:
    answer = asyncio.run(call("192.168.1.20", "GET", "/_faasgiX/anything"))
    assert (answer.status_code, answer.text) == (200, "from the app")


def test_a_trigger_time_that_is_not_iso_is_a_400() -> None:
    answer = asyncio.run(call("127.0.0.1", "POST", "/_faasgi/trigger/nightly?time=noon"))
    assert answer.status_code == 400
    assert "ISO 8601" in answer.json()["message"]


def test_an_async_payload_over_one_megabyte_is_refused() -> None:
    answer = asyncio.run(
        call(
            "127.0.0.1",
            "POST",
            "/2015-03-31/functions/job/invocations",
            headers={"X-Amz-Invocation-Type": "Event"},
            content=b'"' + b"x" * ASYNC_PAYLOAD_LIMIT + b'"',  # JSON, one byte too long
        )
    )
    assert answer.status_code == 413
    assert answer.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
