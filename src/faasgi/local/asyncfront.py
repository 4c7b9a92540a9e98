"""The emulator's async doors, in front of the HTTP gateway:

- `POST /2015-03-31/functions/{name}/invocations`: Lambda's Invoke API (invoke_api.py), whose
  `Event` invocations go to the async queue: 202 and the request id at once.
- `POST /_faasgi/trigger/{schedule}[?time=ISO]`: fire a schedule now (`faasgi trigger`), or
  as if it had been due at `time`.
- `GET /_faasgi/async` (HTML) and `/_faasgi/async.json`: what became of every async event.

All of them answer only clients on the loopback interface (403 otherwise): they are
controls for the developer's own machine, not part of the function's API. Everything else
goes to the gateway.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timezone
from typing import Any

from faasgi.local.asyncinvoke import AsyncEvent, AsyncInvoker
from faasgi.local.schedules import Schedule

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_INVOKE = re.compile(r"^/(2015-03-31|2021-11-15)/functions/[^/]+/")
_TRIGGER = re.compile(r"^/_faasgi/trigger/([^/]+)$")


class AsyncFront:
    """ASGI app: the async doors above, the gateway for the rest."""

    def __init__(
        self,
        gateway: App,
        invoker: AsyncInvoker,
        schedules: dict[str, Schedule],
        fire: Callable[[Schedule, datetime | None], AsyncEvent],
        invoke_api: App | None = None,
    ) -> None:
        self.gateway = gateway
        #: Lambda's Invoke API (invoke_api.py) on this port too; None: not here.
        self.invoke_api = invoke_api
        self.invoker = invoker
        self.schedules = schedules
        self.fire = fire
        #: An FC HTTP trigger's gateway: `X-Fc-Invocation-Type: Async` queues (fcasync.py).
        self._fc = getattr(gateway, "source_name", "") == "fc-http"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        invoke = self.invoke_api is not None and _INVOKE.match(path)
        if scope["type"] != "http" or not (path.startswith("/_faasgi/") or invoke):
            if self._fc and scope["type"] == "http" and _fc_async(scope):
                await self._queue_fc(scope, receive, send)
                return
            await self.gateway(scope, receive, send)
            return
        if not _loopback(scope):
            await _answer(send, 403, {"message": "the emulator's controls answer loopback only"})
            return
        method = scope["method"]
        trigger = _TRIGGER.match(path)
        if invoke and self.invoke_api is not None:
            await self.invoke_api(scope, receive, send)
        elif trigger and method == "POST":
            await self._trigger(urllib.parse.unquote(trigger.group(1)), scope, send)
        elif path == "/_faasgi/async.json" and method == "GET":
            events = [event.summary() for event in reversed(self.invoker.events)]
            await _answer(send, 200, {"events": events, "pending": self.invoker.pending()})
        elif path == "/_faasgi/async" and method == "GET":
            await _send(send, 200, "text/html; charset=utf-8", page(self.invoker).encode())
        else:
            await _answer(send, 404, {"message": f"no such control: {method} {path}"})

    async def _queue_fc(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An FC HTTP request with `X-Fc-Invocation-Type: Async`: queued, 202 (fcasync.py)."""
        from faasgi.local.fcasync import queue
        from faasgi.local.gateway import read_body, request_from_scope

        (name,) = self.invoker.functions  # the one function this emulator serves
        request = request_from_scope(scope, await read_body(receive))

        def submit(payload: bytes, request_id: str) -> None:
            self.invoker.submit(name, payload, origin="FC HTTP Async", request_id=request_id)

        response = queue(self.gateway, request, submit)
        headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in response.headers]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _trigger(self, name: str, scope: Scope, send: Send) -> None:
        found = self.schedules.get(name)
        if found is None:
            known = ", ".join(sorted(self.schedules)) or "none"
            await _answer(send, 404, {"message": f"no schedule named {name!r}; schedules: {known}"})
            return
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        when = None
        if "time" in query:
            when = _parse_time(query["time"][0])
            if when is None:
                await _answer(
                    send, 400, {"message": "time must be ISO 8601, e.g. 2026-01-01T12:00:00Z"}
                )
                return
        event = self.fire(found, when)
        scheduled = event.scheduled.isoformat() if event.scheduled else None
        await _answer(
            send,
            202,
            {"requestId": event.request_id, "schedule": name, "scheduledTime": scheduled},
        )


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _fc_async(scope: Scope) -> bool:
    """Whether the request carries `X-Fc-Invocation-Type: Async` (any case)."""
    return any(
        name.lower() == b"x-fc-invocation-type" and value.strip().lower() == b"async"
        for name, value in scope.get("headers", ())
    )


def _loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


async def _answer(
    send: Send, status: int, body: Any, headers: list[tuple[str, str]] | None = None
) -> None:
    await _send(send, status, "application/json", json.dumps(body).encode(), headers)


async def _send(
    send: Send,
    status: int,
    content_type: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
) -> None:
    raw = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers or []]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def page(invoker: AsyncInvoker) -> str:
    """The log page: one row per async event, newest first."""
    rows = []
    for event in reversed(invoker.events):
        summary = event.summary()
        attempts = "<br>".join(
            html.escape(
                f"attempt {a['attempt']} of {event.max_attempts}: {a['result']} on "
                f"{a['instance'] or '-'} at {a['started']}, queued {a['queuedSeconds']:.1f} s, "
                f"ran {a['durationMs']:.0f} ms" + (f" ({a['detail']})" if a["detail"] else "")
            )
            for a in summary["attempts"]
        )
        queued = summary["queuedSeconds"]
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{cell}</td>"
                for cell in (
                    html.escape(event.request_id),
                    html.escape(f"{event.function} ({event.origin})"),
                    html.escape(summary["scheduledTime"] or "-"),
                    html.escape(summary["acceptedTime"] or "-"),
                    "-" if queued is None else f"{queued:.1f} s",
                    attempts or "-",
                    html.escape(event.state + (f" ({event.condition})" if event.condition else "")),
                    html.escape(", ".join(event.delivered) or "-"),
                )
            )
            + "</tr>"
        )
    head = "".join(
        f"<th>{name}</th>"
        for name in (
            "request id",
            "function",
            "scheduled",
            "accepted",
            "queued for",
            "attempts",
            "result",
            "result went to",
        )
    )
    body = "\n".join(rows) or '<tr><td colspan="8">no async events yet</td></tr>'
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>faasgi: async events</title>"
        "<meta http-equiv='refresh' content='5'>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:top;font-size:14px}</style>"
        "</head><body><h1>Async events</h1>"
        f"<p>{invoker.pending()} pending. Times are UTC.</p>"
        f"<table id='events'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>"
    )


__all__ = ["AsyncFront", "page"]
