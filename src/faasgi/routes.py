"""Non-HTTP events for a handler: the functions registered with `handler.on(kind)`, called
once per event or once per record, with partial batch failures; keep-warm pings answered
without the app. Loaded only by functions that receive a non-HTTP event.

Never calls the app for a non-HTTP event, and never runs code found in an event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from faasgi.errors import UnsupportedEvent
from faasgi.events import looks_like_http
from faasgi.lifecycle import Invocation, _current, finish, loop_for
from faasgi.logs import report, report_logger
from faasgi.triggers import BATCH_KINDS, KINDS, RECORD_KINDS, STREAM_KINDS, kind_of, records_of

if TYPE_CHECKING:
    from faasgi.events import Event
    from faasgi.function import Handler
    from faasgi.sinks import Sink

logger = logging.getLogger("faasgi")

F = TypeVar("F", bound=Callable[..., Any])

_KEEP_WARM_KINDS = ("schedule", "warmup")


def check_kind(kind: str) -> None:
    if kind != "*" and kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}; known kinds: {', '.join(KINDS)}, *")


def serve_other(
    handler: Handler, routes: dict[str, Callable[..., Any]], event: Event, context: Any, sink: Sink
) -> Any:
    """A non-HTTP event: the registered route, a keep-warm answer, or UnsupportedEvent."""
    if looks_like_http(event):
        # Recognisably HTTP but no source's shape: answer 400 rather than crash.
        return sink.value(
            {
                "statusCode": 400,
                "headers": {"content-type": "text/plain; charset=utf-8"},
                "body": "Bad Request: the HTTP event matches no supported source's format",
                "isBase64Encoded": False,
            }
        )
    kind = kind_of(event)
    route = routes.get(kind) if kind else None
    if route is None:
        route = routes.get("*")
    runner = handler._runner or handler._ready()
    cold = handler.instance.next_is_cold()
    if route is None:
        if kind in _KEEP_WARM_KINDS:
            # A keep-warm ping: the instance is now initialised; the app is not called.
            return sink.value({"warm": True, "cold": cold})
        raise UnsupportedEvent(
            "the event matches no HTTP source and no function registered with "
            f"handler.on(...); kind: {kind or 'unknown'}; keys seen: {sorted(event)[:12]}"
        )
    invocation = Invocation(event, context, kind or "event", cold)
    token = _current.set(invocation)
    status = 200
    try:
        if kind in RECORD_KINDS and route is routes.get(kind):
            result = _each_record(kind, event, route, invocation, runner)
        else:
            result = settle(route(event, invocation), runner)
        answer = sink.value(result)
        finish(invocation, runner)
    except Exception:
        status = 500
        raise
    finally:
        _current.reset(token)
        if report_logger.isEnabledFor(logging.INFO):
            report(invocation, status, handler.instance.init_ms)
    return answer


def _each_record(
    kind: str, event: Event, route: Callable[..., Any], invocation: Invocation, runner: Any
) -> Any:
    failures: list[dict[str, str]] = []
    for record in records_of(kind, event):
        try:
            settle(route(record, invocation), runner)
        except Exception:
            if kind not in BATCH_KINDS:
                raise  # async sources (SNS, S3, OSS): the platform retries the event
            logger.exception("%s record %s failed", kind, record.id)
            failures.append({"itemIdentifier": record.id})
            if kind in STREAM_KINDS:
                break  # order matters: the platform resumes from this record
    if kind in BATCH_KINDS:
        # Needs ReportBatchItemFailures on the event source mapping.
        return {"batchItemFailures": failures}
    return None


def settle(result: Any, runner: Any) -> Any:
    """A route's result, awaited on the instance's loop when it is a coroutine."""
    if not (hasattr(result, "__await__") and hasattr(result, "close")):
        return result
    return loop_for(runner).run(result)
