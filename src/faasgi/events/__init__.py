"""Event sources: one module per platform HTTP event, chosen by the event's shape.

A source turns its platform's event into a `Request` and a `Response` into its platform's
answer, and back again for the emulator and the test client; it knows nothing about WSGI or
ASGI. Adding a platform means adding one module here and its shape test below.

Each shape test looks at keys only one source has: mangum's `infer` order sends VPC Lattice
v2 events to its HTTP API handler and crashes. An instance sees one source, so only that
source's module is ever imported, and the last match is tried first. An event that looks
like HTTP but fits no shape is malformed; anything else is left to the non-HTTP routes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from faasgi.errors import UnsupportedEvent

if TYPE_CHECKING:
    from faasgi.bodies import BodyCodec
    from faasgi.http import Request, Response

Event = Mapping[str, Any]


class Refused(Exception):
    """The platform answers a request itself and never invokes the function.

    Raised by an event builder, so the emulator and the test client give the platform's
    answer from one place: API Gateway HTTP APIs answer 400 to a path whose `%25` leaves a
    `%` that starts no escape once decoded (captured July 2026; see docs/platforms.md).
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message

    def response(self) -> Response:
        """The answer the client gets: API Gateway's `{"message": ...}` JSON error body."""
        import json

        from faasgi.http import Response

        body = json.dumps({"message": self.message}).encode("utf-8")
        return Response(self.status, [("content-type", "application/json")], body)


class Stamp:
    """What a platform adds to a request when it builds an event: who, when, where."""

    __slots__ = ("request_id", "source_ip", "stage", "time_ms")

    def __init__(
        self,
        request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_ms: int = 1_700_000_000_000,
        source_ip: str = "203.0.113.7",
        stage: str = "$default",
    ) -> None:
        self.request_id = request_id
        self.time_ms = time_ms
        self.source_ip = source_ip
        self.stage = stage


if TYPE_CHECKING:

    class Source(Protocol):
        """What every module in `faasgi.events` provides."""

        NAME: str

        def parse(self, event: Event, base_path: str) -> Request: ...

        def render(self, response: Response, event: Event, codec: BodyCodec) -> dict[str, Any]: ...

        def build_event(self, request: Request, stamp: Stamp) -> dict[str, Any]: ...

        def read_response(self, payload: Any) -> Response: ...


def _is_authorizer(event: Event) -> bool:
    # API Gateway Lambda authorizers get request-shaped events but want a policy back:
    # REQUEST/TOKEN authorizers carry methodArn, HTTP API (v2) authorizers routeArn.
    return "methodArn" in event or "routeArn" in event


def _aws_http(event: Event) -> bool:
    context = event.get("requestContext")
    return (
        event.get("version") == "2.0"
        and context.__class__ is dict
        and "http" in context
        and "routeArn" not in event
    )


def _fc_http(event: Event) -> bool:
    context = event.get("requestContext")
    return (
        event.get("version") == "v1"
        and "rawPath" in event
        and isinstance(context, dict)
        and "http" in context
    )


def _alb(event: Event) -> bool:
    context = event.get("requestContext")
    return isinstance(context, dict) and "elb" in context


def _aws_rest(event: Event) -> bool:
    # No requestContext at all is still a REST event: hand-written test events and older
    # tools leave it out, and the platform would never be stricter than its own format.
    context = event.get("requestContext")
    return (
        "httpMethod" in event
        and (context is None or (context.__class__ is dict and "elb" not in context))
        and "methodArn" not in event
    )


def _lattice(event: Event) -> bool:
    if "method" not in event:
        return False
    if "raw_path" in event:  # structure v1
        return True
    context = event.get("requestContext")
    return (
        event.get("version") == "2.0"
        and "path" in event
        and not (isinstance(context, dict) and "http" in context)
    )


def _aws_websocket(event: Event) -> bool:
    # Last in SHAPES, so HTTP events never pay for it; keys no HTTP source has.
    context = event.get("requestContext")
    return context.__class__ is dict and "eventType" in context and "connectionId" in context


#: (source name, module, shape test), most specific first.
SHAPES: tuple[tuple[str, str, Callable[[Event], bool]], ...] = (
    ("aws-http", "aws_http", _aws_http),
    ("fc-http", "fc_http", _fc_http),
    ("alb", "aws_alb", _alb),
    ("aws-rest", "aws_rest", _aws_rest),
    ("lattice", "aws_lattice", _lattice),
    # Not HTTP: a WebSocket API connection's invocation, served by faasgi.asgi_websocket.
    ("aws-websocket", "aws_websocket", _aws_websocket),
)

_MODULES = {name: module for name, module, _ in SHAPES}
_HTTP_HINTS = ("httpMethod", "rawPath", "raw_path", "routeKey")


def import_module(dotted: str) -> Any:
    """`importlib.import_module` for faasgi's own modules, without loading `importlib`'s
    package (a cold-start cost for a function that never otherwise needs it)."""
    __import__(dotted)
    return sys.modules[dotted]


def source_named(name: str) -> Source:
    """The source module for a name such as "aws-http" (KeyError for an unknown name)."""
    module: Source = import_module("faasgi.events." + _MODULES[name])
    return module


class Detector:
    """Finds an event's source, trying the last one found first."""

    __slots__ = ("last_shape", "last_source")

    def __init__(self) -> None:
        #: The shape test and source of the last event found, to try first next time.
        self.last_shape: Callable[[Event], bool] | None = None
        self.last_source: Source | None = None

    def __call__(self, event: Event) -> Source | None:
        shape = self.last_shape
        if shape is not None and shape(event):
            return self.last_source
        for name, _, test in SHAPES:
            if test(event):
                self.last_source = source = source_named(name)
                self.last_shape = test
                return source
        return None


def looks_like_http(event: Event) -> bool:
    """True for an event that carries HTTP request keys but fits no source's shape."""
    if _is_authorizer(event):
        return False
    if any(key in event for key in _HTTP_HINTS):
        return True
    context = event.get("requestContext")
    return isinstance(context, dict) and "http" in context


if TYPE_CHECKING:
    EventBuilder = Callable[[Request, Stamp], dict[str, Any]]

#: The event shapes `faasgi invoke`, `faasgi serve` and the test client can produce.
BUILD_NAMES = (
    "aws-http",
    "function-url",
    "aws-rest",
    "alb",
    "alb-multi",
    "lattice",
    "fc-http",
)


def builder(name: str) -> tuple[Source, EventBuilder]:
    """(source, event builder) for a name in BUILD_NAMES.

    A builder raises `Refused` for a request the platform answers without the function.
    """
    if name == "alb-multi":
        alb = import_module("faasgi.events.aws_alb")
        return alb, partial(alb.build_event, multi_value=True)
    if name == "function-url":
        http = import_module("faasgi.events.aws_http")
        return http, partial(http.build_event, function_url=True)
    if name not in BUILD_NAMES:
        raise KeyError(f"unknown event source {name!r}; one of {', '.join(BUILD_NAMES)}")
    source = source_named(name)
    return source, source.build_event


def load_event(raw: bytes | bytearray | str) -> Event:
    """An event that arrived as JSON text (FC 3.0 hands Python handlers bytes)."""
    import json  # bytes events only: not a cost of every cold start

    try:
        event = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: `[[[[...` too deep
        raise UnsupportedEvent(f"the event is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise UnsupportedEvent(f"an event must be a JSON object, got {type(event).__name__}")
    return event
