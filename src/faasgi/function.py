"""`serverless()`: wrap a WSGI or ASGI app (or a factory that builds one) into the handler
object the platforms call.

One handler answers AWS Lambda and FC 3.0 (`handler(event, context)`, event as dict, str or
bytes), FC 2.0 (`handler(environ, start_response)`), FC's `initializer` / `preStop` hooks
and non-HTTP events routed with `handler.on(kind)`. The hot path does nothing that could be
done once per instance.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from types import CodeType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent, UnsupportedEvent
from faasgi.http import Response
from faasgi.lifecycle import Hooks, Instance, Invocation, _current, shutdown_process
from faasgi.wsgi import WSGIRunner

if TYPE_CHECKING:
    from faasgi.events import Event, Source

Interface = Literal["wsgi", "asgi"]

logger = logging.getLogger("faasgi")
report_logger = logging.getLogger("faasgi.report")

F = TypeVar("F", bound=Callable[..., Any])
App = Callable[..., Any]

_TEXT = "text/plain; charset=utf-8"
_KEEP_WARM_KINDS = ("schedule", "warmup")


_CO_COROUTINE = 0x0080


def _code(target: Any) -> tuple[CodeType, int, Any] | None:
    """(code object, parameters already bound, the function) for a callable, if it has one."""
    function = getattr(target, "__func__", None)  # bound method
    if function is not None and hasattr(function, "__code__"):
        return function.__code__, 1, function
    code = getattr(target, "__code__", None)
    if isinstance(code, CodeType):
        return code, 0, target
    if isinstance(target, type):
        return None
    call = getattr(type(target), "__call__", None)  # noqa: B004 - instances with __call__
    code = getattr(call, "__code__", None)
    if isinstance(code, CodeType):
        return code, 1, call
    return None


def _required_positional(target: Any) -> int | None:
    found = _code(target)
    if found is None:
        return None
    code, bound, function = found
    defaults = getattr(function, "__defaults__", None) or ()
    return code.co_argcount - bound - len(defaults)


def is_factory(target: Callable[..., Any]) -> bool:
    """A factory takes no arguments and returns the app (`@serverless def handler(): ...`)."""
    return _required_positional(target) == 0 and not _is_coroutine(target)


def _is_coroutine(target: Any) -> bool:
    found = _code(target)
    if found is None:
        return False
    code, _, function = found
    if code.co_flags & _CO_COROUTINE:
        return True
    # inspect.markcoroutinefunction (3.12+) and asyncio's older marker
    return (
        getattr(function, "_is_coroutine_marker", None) is not None
        or getattr(target, "_is_coroutine_marker", None) is not None
        or getattr(function, "_is_coroutine", None) is not None
    )


def interface_of(app: Callable[..., Any]) -> Interface:
    """'asgi' or 'wsgi' by the rule in this module's docstring; ValueError when unsure."""
    if _is_coroutine(app):
        return "asgi"
    count = _required_positional(app)
    if count == 3:
        return "asgi"
    if count == 2:
        return "wsgi"
    raise ValueError(
        f"cannot tell whether {app!r} is a WSGI or an ASGI app "
        f"({'unknown' if count is None else count} required positional parameters); "
        "pass interface='wsgi' or interface='asgi'"
    )


def normalise_base_path(base_path: str) -> str:
    """`"v1/"` -> `"/v1"`; `""` and `"/"` -> `""`."""
    stripped = base_path.strip().strip("/")
    return "/" + stripped if stripped else ""


def _plain(status: int, text: str) -> Response:
    return Response(status, [("content-type", _TEXT)], text.encode("utf-8"))


class Handler:
    """The platform entry point for one function. Build it with `serverless()`."""

    def __init__(
        self,
        target: App,
        *,
        interface: Interface | None = None,
        base_path: str = "",
        binary_types: Iterable[str] = (),
        text_types: Iterable[str] = (),
        lifespan: str = "auto",
        lazy: bool = False,
        report: bool = False,
        server_timing: bool = False,
        raise_app_errors: bool = False,
        websocket_path: str | None = None,
    ) -> None:
        if interface not in (None, "wsgi", "asgi"):
            raise ValueError(f"interface must be 'wsgi' or 'asgi', not {interface!r}")
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        self._factory: Callable[[], App] = target if is_factory(target) else (lambda: target)
        self._interface = interface
        self._lifespan = lifespan
        self.base_path = normalise_base_path(base_path)
        self.codec = BodyCodec(text_types=text_types, binary_types=binary_types)
        self.server_timing = server_timing
        self.raise_app_errors = raise_app_errors
        self.websocket_path = websocket_path  # API Gateway WebSocket APIs: asgi_websocket.py
        self.hooks = Hooks()
        self.instance = Instance(self._build_runner, self.hooks)
        self._detect: Callable[[Event], Source | None] = self._first_detect
        self._detector: Any = None
        self._last_shape: Callable[[Event], bool] | None = None
        self._last_source: Any = None
        self._routes: dict[str, Callable[..., Any]] = {}
        self._runner: Any = None
        self._app: App | None = None
        self._side_loop: Any = None
        if report:
            _enable_report()
        if not lazy:
            self._ready()

    # -- set-up ---------------------------------------------------------------------------

    def _build_runner(self) -> Any:
        app = self._factory()
        if not callable(app):
            raise TypeError(f"the app factory returned {app!r}, which is not a WSGI or ASGI app")
        self._app = app
        interface = self._interface or interface_of(app)
        if interface == "asgi":
            from faasgi.asgi import ASGIRunner  # asyncio only for ASGI apps

            return ASGIRunner(app, lifespan=self._lifespan)  # type: ignore[arg-type]
        return WSGIRunner(app)

    def _ready(self) -> Any:
        runner = self._runner
        if runner is None:
            runner = self._runner = self.instance.init()
        return runner

    @property
    def app(self) -> App:
        """The WSGI or ASGI app, built by the factory on first need."""
        self._ready()
        assert self._app is not None
        return self._app

    def on_init(self, hook: F) -> F:
        """Run `hook` once when this function's instance starts (after the app is built)."""
        return self.hooks.on_init(hook)

    def on_shutdown(self, hook: F) -> F:
        """Run `hook` once when this function's instance stops (before the ASGI lifespan ends)."""
        return self.hooks.on_shutdown(hook)

    def on(self, kind: str) -> Callable[[F], F]:
        """Route non-HTTP events of `kind` ("schedule", "sqs", ..., or "*") to a function.

        Record kinds (sqs, sns, s3, dynamodb-stream, kinesis, oss) call it once per record
        as `fn(record, invocation)`; others call `fn(event, invocation)`.
        """
        from faasgi.triggers import KINDS

        if kind != "*" and kind not in KINDS:
            raise ValueError(f"unknown event kind {kind!r}; known kinds: {', '.join(KINDS)}, *")

        def register(function: F) -> F:
            self._routes[kind] = function
            return function

        return register

    # -- FC lifecycle hooks -----------------------------------------------------------------

    def initializer(self, context: Any = None) -> None:
        """FC `initializer` hook: run the init phase (app, hooks, lifespan) now."""
        self._ready()

    def pre_stop(self, context: Any = None) -> None:
        """FC `preStop` hook: shut every instance in this process down, hooks included."""
        shutdown_process()

    def shutdown(self) -> None:
        """Shut this function's instance down (lifespan shutdown, shutdown hooks), once."""
        self.instance.shutdown()

    # -- invocations ------------------------------------------------------------------------

    @overload
    def __call__(self, event: Mapping[str, Any], context: Callable[..., Any]) -> Any: ...

    @overload
    def __call__(self, event: Event | bytes | str, context: Any = None) -> Any: ...

    def __call__(self, event: Any, context: Any = None) -> Any:
        if type(event) is not dict:
            if isinstance(event, (bytes, bytearray, str)):
                event = _load(event)  # FC 3.0 hands Python handlers the event as bytes
            elif not isinstance(event, Mapping):
                kind = type(event).__name__
                raise UnsupportedEvent(f"an event must be a JSON object, got {kind}")
        if "REQUEST_METHOD" in event and callable(context):
            # FC 2.0 calls HTTP functions as handler(environ, start_response).
            return self._serve_fc_wsgi(event, context)
        # An instance sees one source: try the last one found before asking the detector.
        shape = self._last_shape
        if shape is not None and shape(event):
            return self._serve_http(self._last_source, event, context)
        source = self._detect(event)
        if source is None:
            return self._serve_other(event, context)
        if source.NAME == "aws-websocket":  # not HTTP: never cached as the last shape
            from faasgi.asgi_websocket import serve_event

            return serve_event(self, event, context)
        self._last_shape = self._detector.last_shape
        self._last_source = source
        return self._serve_http(source, event, context)

    def _serve_http(self, source: Source, event: Event, context: Any) -> Any:
        runner = self._runner or self._ready()
        invocation = Invocation(event, context, source.NAME, self.instance.next_is_cold())
        token = _current.set(invocation)
        try:
            try:
                request = source.parse(event, self.base_path)
            except MalformedEvent as error:
                response = _plain(400, f"Bad Request: {error}")
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                # A field of the wrong type somewhere in a recognised HTTP event.
                logger.warning("malformed %s event: %r", source.NAME, error)
                response = _plain(400, f"Bad Request: malformed {source.NAME} event")
            else:
                response = self._run_app(runner, request, invocation)
                if request.method == "HEAD":
                    response.body = b""
            if self.server_timing:
                self._add_server_timing(response, invocation)
            result = source.render(response, event, self.codec)
        finally:
            _current.reset(token)
        if report_logger.isEnabledFor(logging.INFO):
            self._report(invocation, response.status)
        return result

    def _run_app(self, runner: Any, request: Any, invocation: Invocation) -> Response:
        try:
            response: Response = runner(request, invocation)
        except Exception:
            if self.raise_app_errors:
                raise
            logger.exception(
                "the app raised on %s %s (request id %s)",
                request.method,
                request.path.decode("utf-8", "replace"),
                invocation.request_id,
            )
            return _plain(500, f"Internal Server Error (request id {invocation.request_id})")
        return response

    def _first_detect(self, event: Event) -> Source | None:
        """Load event detection with the first event: an instance that never sees HTTP
        events (or is only wrapped, as in `import` at init) never pays for it."""
        from faasgi.events import Detector

        detector = Detector()
        self._detect = self._detector = detector
        return detector(event)

    def _serve_fc_wsgi(self, environ: Mapping[str, Any], start_response: Callable[..., Any]) -> Any:
        from faasgi.events import fc_wsgi  # FC 2.0 only

        runner = self._runner or self._ready()
        context = environ.get("fc.context")
        invocation = Invocation(environ, context, fc_wsgi.NAME, self.instance.next_is_cold())
        token = _current.set(invocation)
        try:
            try:
                request = fc_wsgi.parse(environ, self.base_path)
            except MalformedEvent as error:
                response = _plain(400, f"Bad Request: {error}")
            else:
                response = self._run_app(runner, request, invocation)
                if request.method == "HEAD":
                    response.body = b""
            if self.server_timing:
                self._add_server_timing(response, invocation)
        finally:
            _current.reset(token)
        if report_logger.isEnabledFor(logging.INFO):
            self._report(invocation, response.status)
        return fc_wsgi.respond(response, start_response)

    def _serve_other(self, event: Event, context: Any) -> Any:
        """Non-HTTP events: the registered route, a keep-warm answer, or UnsupportedEvent."""
        from faasgi.events import looks_like_http
        from faasgi.triggers import RECORD_KINDS, kind_of

        if looks_like_http(event):
            # Recognisably HTTP but no source's shape: answer 400 rather than crash.
            return {
                "statusCode": 400,
                "headers": {"content-type": _TEXT},
                "body": "Bad Request: the HTTP event matches no supported source's format",
                "isBase64Encoded": False,
            }
        kind = kind_of(event)
        route = self._routes.get(kind) if kind else None
        if route is None:
            route = self._routes.get("*")
        runner = self._runner or self._ready()
        cold = self.instance.next_is_cold()
        if route is None:
            if kind in _KEEP_WARM_KINDS:
                # A keep-warm ping: the instance is now initialised; the app is not called.
                return {"warm": True, "cold": cold}
            raise UnsupportedEvent(
                "the event matches no HTTP source and no function registered with "
                f"handler.on(...); kind: {kind or 'unknown'}; keys seen: {sorted(event)[:12]}"
            )
        invocation = Invocation(event, context, kind or "event", cold)
        token = _current.set(invocation)
        status = 200
        try:
            if kind in RECORD_KINDS and route is self._routes.get(kind):
                result = self._each_record(kind, event, route, invocation, runner)
            else:
                result = self._settle(route(event, invocation), runner)
        except Exception:
            status = 500
            raise
        finally:
            _current.reset(token)
            if report_logger.isEnabledFor(logging.INFO):
                self._report(invocation, status)
        return result

    def _each_record(
        self,
        kind: str,
        event: Event,
        route: Callable[..., Any],
        invocation: Invocation,
        runner: Any,
    ) -> Any:
        from faasgi.triggers import BATCH_KINDS, STREAM_KINDS, records_of

        failures: list[dict[str, str]] = []
        for record in records_of(kind, event):
            try:
                self._settle(route(record, invocation), runner)
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

    def _settle(self, result: Any, runner: Any) -> Any:
        """A route's result, awaited on the instance's loop when it is a coroutine."""
        if not (hasattr(result, "__await__") and hasattr(result, "close")):
            return result
        loop = getattr(runner, "loop", None)
        if loop is None:  # a WSGI app with async routes: one loop for them, made once
            if self._side_loop is None:
                from faasgi.asgi import InstanceLoop

                self._side_loop = InstanceLoop()
            loop = self._side_loop
        return loop.run(result)

    # -- observability ----------------------------------------------------------------------

    def _add_server_timing(self, response: Response, invocation: Invocation) -> None:
        app_ms = (time.monotonic() - invocation.started) * 1000
        timing = f"app;dur={app_ms:.2f}"
        if invocation.cold and self.instance.init_ms is not None:
            timing = f"init;dur={self.instance.init_ms:.2f}, " + timing
        response.headers.append(("server-timing", timing))

    def _report(self, invocation: Invocation, status: int) -> None:
        duration_ms = (time.monotonic() - invocation.started) * 1000
        line: dict[str, Any] = {
            "type": "faasgi.report",
            "requestId": invocation.request_id,
            "source": invocation.source,
            "cold": invocation.cold,
            "durationMs": round(duration_ms, 3),
            "status": status,
        }
        if invocation.cold and self.instance.init_ms is not None:
            line["initMs"] = round(self.instance.init_ms, 3)
        report_logger.info("REPORT %s", json.dumps(line), extra={"faasgi": line})


def _load(raw: bytes | bytearray | str) -> Event:
    try:
        event = json.loads(raw)
    except (ValueError, RecursionError) as error:  # RecursionError: `[[[[...` too deep
        raise UnsupportedEvent(f"the event is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise UnsupportedEvent(f"an event must be a JSON object, got {type(event).__name__}")
    return event


def _enable_report() -> None:
    report_logger.setLevel(logging.INFO)
    if not logging.getLogger().handlers and not report_logger.handlers:
        report_logger.addHandler(logging.StreamHandler())


@overload
def serverless(app: App, /, **options: Any) -> Handler: ...


@overload
def serverless(app: None = None, /, **options: Any) -> Callable[[App], Handler]: ...


def serverless(app: App | None = None, /, **options: Any) -> Handler | Callable[[App], Handler]:
    """Turn a WSGI/ASGI app, or a zero-argument factory returning one, into a handler.

    Usable as `serverless(app, ...)`, `@serverless` and `@serverless(...)`. Options:
    `interface` ("wsgi"/"asgi", detected when omitted), `base_path`, `binary_types`,
    `text_types`, `lifespan` ("auto"/"on"/"off"), `lazy`, `report`, `server_timing`,
    `raise_app_errors`, `websocket_path` (docs/websockets.md).
    """
    if app is None:
        return lambda target: Handler(target, **options)
    return Handler(app, **options)


__all__ = ["Handler", "serverless"]
