"""`serverless()`: wrap a WSGI or ASGI app (or a factory that builds one) into the handler
object the platforms call.

One handler answers AWS Lambda and FC 3.0 (`handler(event, context)`, event as dict, str or
bytes), FC 2.0 (`handler(environ, start_response)`), FC's `initializer` / `preStop` hooks
and non-HTTP events routed with `handler.on(kind)` (`faasgi.routes`). The app's response
goes to a sink (`faasgi.sinks`): buffered into the platform's answer by default, streamed
by `faasgi.runtime`. The hot path does nothing that could be done once per instance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload

from faasgi.bodies import BodyCodec
from faasgi.errors import MalformedEvent, UnsupportedEvent
from faasgi.http import FixedReply, Reply, Response, plain
from faasgi.interface import interface_of, is_factory
from faasgi.lifecycle import Hooks, Instance, Invocation, _current, finish, shutdown_process
from faasgi.logs import INFO, add_server_timing, enable_report, logger, report, report_logger
from faasgi.wsgi import WSGIRunner

if TYPE_CHECKING:  # annotations only: building these costs every cold start
    from faasgi.events import Event, Source
    from faasgi.interface import Interface
    from faasgi.sinks import Sink

    F = TypeVar("F", bound=Callable[..., Any])
    App = Callable[..., Any]

#: `invoke_mode` values, as Lambda names a Function URL's `InvokeMode`.
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")


def normalise_base_path(base_path: str) -> str:
    """`"v1/"` -> `"/v1"`; `""` and `"/"` -> `""`."""
    stripped = base_path.strip().strip("/")
    return "/" + stripped if stripped else ""


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
        invoke_mode: str | None = None,
        large_responses: str | None = None,
        websocket_path: str | None = None,
    ) -> None:
        if invoke_mode is not None and invoke_mode not in INVOKE_MODES:
            raise ValueError(f"invoke_mode must be one of {INVOKE_MODES}, not {invoke_mode!r}")
        if interface not in (None, "wsgi", "asgi"):
            raise ValueError(f"interface must be 'wsgi' or 'asgi', not {interface!r}")
        if lifespan not in ("auto", "on", "off"):
            raise ValueError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        self._factory: Callable[[], App] = target if is_factory(target) else (lambda: target)
        self._interface = interface
        self._lifespan = lifespan
        self.base_path = normalise_base_path(base_path)
        self.codec = BodyCodec(text_types, binary_types, large_responses)
        self.server_timing = server_timing
        self.raise_app_errors = raise_app_errors
        #: How `faasgi.runtime` answers HTTP events; None: FAASGI_INVOKE_MODE decides.
        self.invoke_mode = invoke_mode
        self._sink: Sink | None = None  # the buffered sink, made when first needed
        self.websocket_path = websocket_path  # API Gateway WebSocket APIs: asgi_websocket.py
        self.hooks = Hooks()
        self.instance = Instance(self._build_runner, self.hooks)
        self._detect: Callable[[Event], Source | None] = self._first_detect
        self._detector: Any = None
        self._last_shape: Callable[[Event], bool] | None = None
        self._last_source: Any = None
        #: The one-pass buffered WSGI path for API Gateway events (`faasgi.wsgi_buffered`),
        #: decided on the first event that could take it; None once it never can.
        self._buffered: Callable[[Any, Any], Any] | None = self._first_buffered
        self._routes: dict[str, Callable[..., Any]] = {}
        self._runner: Any = None
        self._app: App | None = None
        if report:
            enable_report()
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
        from faasgi.routes import check_kind

        check_kind(kind)

        def register(function: F) -> F:
            self._routes[kind] = function
            return function

        return register

    def default_sink(self) -> Sink:
        """The buffered sink (`faasgi.sinks.Sink`), made on first need: a WSGI function on
        API Gateway answers through `faasgi.wsgi_buffered` and never needs it."""
        sink = self._sink
        if sink is None:
            from faasgi.sinks import Sink

            sink = self._sink = Sink(self.codec, self.raise_app_errors)
        return sink

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

    def invoke(self, event: Any, context: Any, sink: Sink) -> Any:
        """Handle one event, delivering the answer through `sink` (see `faasgi.sinks`);
        returns what the sink returns, after the work after the response has run."""
        return self(event, context, sink)

    @overload
    def __call__(self, event: Mapping[str, Any], context: Callable[..., Any]) -> Any: ...

    @overload
    def __call__(
        self, event: Event | bytes | str, context: Any = None, sink: Sink | None = None
    ) -> Any: ...

    def __call__(self, event: Any, context: Any = None, sink: Sink | None = None) -> Any:
        if sink is None:
            buffered = self._buffered
            if buffered is not None:
                # A WSGI app answering API Gateway events of the usual shape: one pass (None
                # for any other event, a str or bytes one too: the general path takes it).
                answer = buffered(event, context)
                if answer is not None:
                    return answer
            sink = self._sink or self.default_sink()
        if type(event) is not dict:
            if isinstance(event, (bytes, bytearray, str)):
                from faasgi.events import load_event  # FC 3.0 hands Python handlers bytes

                event = load_event(event)
            elif not isinstance(event, Mapping):
                kind = type(event).__name__
                raise UnsupportedEvent(f"an event must be a JSON object, got {kind}")
        if "REQUEST_METHOD" in event and callable(context):
            # FC 2.0 calls HTTP functions as handler(environ, start_response).
            return self._serve_fc_wsgi(event, context, sink)
        # An instance sees one source: try the last one found before asking the detector.
        shape = self._last_shape
        if shape is not None and shape(event):
            return self._serve_http(self._last_source, event, context, sink)
        source = self._detect(event)
        if source is None:
            from faasgi.routes import serve_other

            return serve_other(self, self._routes, event, context, sink)
        if source.NAME == "aws-websocket":  # not HTTP: never cached as the last shape
            from faasgi.asgi_websocket import serve_event

            return serve_event(self, event, context)
        self._last_shape = self._detector.last_shape
        self._last_source = source
        return self._serve_http(source, event, context, sink)

    def _first_buffered(self, event: Any, context: Any) -> Any:
        """Decide the buffered path on the first event of an API Gateway shape, before any
        event detection: a WSGI function on API Gateway then never loads the detector."""
        runner = self._runner
        if runner is not None and runner.__class__ is not WSGIRunner:
            self._buffered = None  # an ASGI app: never
            return None
        from faasgi.wsgi_buffered import buffered_path, eligible, shape_of

        shape = shape_of(event)
        if shape is None:
            return None  # not API Gateway (a warm-up ping, say): the next event decides
        self._ready()
        if not eligible(self):
            self._buffered = None
            return None
        self._buffered = serve = buffered_path(self, shape)
        return serve(event, context)

    def _serve_http(self, source: Source, event: Event, context: Any, sink: Sink) -> Any:
        runner = self._runner or self._ready()
        instance = self.instance
        invocation = Invocation(event, context, source.NAME, next(instance.invocations) == 0)
        token = _current.set(invocation)
        reply: Reply | None = None
        try:
            try:
                request = source.parse(event, self.base_path)
            except MalformedEvent as error:
                reply = FixedReply(plain(400, f"Bad Request: {error}"))
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                # A field of the wrong type somewhere in a recognised HTTP event.
                logger.warning("malformed %s event: %r", source.NAME, error)
                reply = FixedReply(plain(400, f"Bad Request: malformed {source.NAME} event"))
            else:
                try:  # self._run_app, inlined: this is every invocation's path
                    reply = runner(request, invocation, sink.delivers_early)
                except Exception:
                    reply = FixedReply(self._app_failed(request.method, request.path, invocation))
                if request.method == "HEAD":
                    reply.omit_body = True
            if self.server_timing:
                add_server_timing(reply.headers, invocation, instance.init_ms)
            if sink is self._sink and self.codec.large is None:  # Sink.http, inlined
                try:
                    response = Response(reply.status, reply.headers, reply.body())
                except Exception:
                    response = sink.failed(reply)
                result = source.render(response, event, self.codec)
            else:
                result = sink.http(reply, source, event)
        finally:
            if reply is not None and reply.work_left:
                reply.close(invocation.after_response_budget)
            if invocation.after:
                finish(invocation, runner)
            _current.reset(token)
        if report_logger.isEnabledFor(INFO):
            report(invocation, reply.status, self.instance.init_ms)
        return result

    def _report(self, invocation: Invocation, status: int) -> None:
        """The opt-in REPORT line (faasgi.report), for the WebSocket path too."""
        report(invocation, status, self.instance.init_ms)

    def _app_failed(self, method: str, path: bytes, invocation: Invocation) -> Response:
        """Call in an `except` block: the app raised before its response started."""
        if self.raise_app_errors:
            raise  # the error our caller is handling
        logger.exception(
            "the app raised on %s %s (request id %s)",
            method,
            path.decode("utf-8", "replace"),
            invocation.request_id,
        )
        return plain(500, f"Internal Server Error (request id {invocation.request_id})")

    def _first_detect(self, event: Event) -> Source | None:
        """Load event detection with the first event: an instance that never sees HTTP
        events (or is only wrapped, as in `import` at init) never pays for it."""
        from faasgi.events import Detector

        detector = Detector()
        self._detect = self._detector = detector
        return detector(event)

    def _serve_fc_wsgi(
        self, environ: Mapping[str, Any], start_response: Callable[..., Any], sink: Sink
    ) -> Any:
        """FC 2.0 and the FC custom runtime: a PEP 3333 environ in; with the default sink
        the buffered answer goes to `start_response`, any other sink gets the reply (with
        `faasgi.events.fc_wsgi` as its source) to stream it."""
        from faasgi.events import fc_wsgi  # FC 2.0 only

        runner = self._runner or self._ready()
        context = environ.get("fc.context")
        invocation = Invocation(environ, context, fc_wsgi.NAME, self.instance.next_is_cold())
        token = _current.set(invocation)
        reply: Reply | None = None
        try:
            try:
                request = fc_wsgi.parse(environ, self.base_path)
            except MalformedEvent as error:
                reply = FixedReply(plain(400, f"Bad Request: {error}"))
            else:
                try:
                    reply = runner(request, invocation, sink.delivers_early)
                except Exception:
                    reply = FixedReply(self._app_failed(request.method, request.path, invocation))
                if request.method == "HEAD":
                    reply.omit_body = True
            if self.server_timing:
                add_server_timing(reply.headers, invocation, self.instance.init_ms)
            if sink is self._sink:
                response = sink.buffer(reply)
                answer = fc_wsgi.respond(response, start_response)
            else:
                # fc_wsgi has NAME but no render(): a streaming sink never renders.
                answer = sink.http(reply, fc_wsgi, environ)  # type: ignore[arg-type]
        finally:
            if reply is not None:
                reply.close(invocation.after_response_budget)
            finish(invocation, runner)
            _current.reset(token)
        if report_logger.isEnabledFor(INFO):
            report(invocation, reply.status, self.instance.init_ms)
        return answer


@overload
def serverless(app: App, /, **options: Any) -> Handler: ...


@overload
def serverless(app: None = None, /, **options: Any) -> Callable[[App], Handler]: ...


def serverless(app: App | None = None, /, **options: Any) -> Handler | Callable[[App], Handler]:
    """Turn a WSGI/ASGI app, or a zero-argument factory returning one, into a handler.

    Usable as `serverless(app, ...)`, `@serverless` and `@serverless(...)`. Options:
    `interface` ("wsgi"/"asgi", detected when omitted), `base_path`, `binary_types`,
    `text_types`, `lifespan` ("auto"/"on"/"off"), `lazy`, `report`, `server_timing`,
    `raise_app_errors`, `invoke_mode` ("BUFFERED"/"RESPONSE_STREAM", for `faasgi.runtime`),
    `large_responses` ("s3://bucket/prefix/": store answers over the limit, answer 303),
    `websocket_path` (docs/websockets.md).
    """
    if app is None:
        return lambda target: Handler(target, **options)
    return Handler(app, **options)


__all__ = ["Handler", "interface_of", "is_factory", "serverless"]
