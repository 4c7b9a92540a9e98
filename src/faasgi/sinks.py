"""Sinks: what consumes the `Reply` a runner produces, and the work after the response.

A runner (WSGI or ASGI) never knows whether its output is buffered or streamed: it hands
back a `faasgi.http.Reply` (status, headers, body chunks as the app produces them, `close()`
for the app's work after its response). A sink delivers it:

- `Sink` (this module, the default): joins the chunks and lets the event source render the
  platform's answer dict — what `handler(event, context)` returns on a managed runtime;
- `faasgi.runtime`'s sinks post that dict, or stream status, headers and each chunk, to the
  Lambda Runtime API;
- the emulator and the FC custom runtime stream through their own sinks the same way.

The public surface for writing a sink (stable for faasgi's own runtimes and emulator):

    class MySink(faasgi.sinks.Sink):
        delivers_early = True                       # the answer leaves before invoke() returns
        def http(self, reply, source, event): ...   # an HTTP response; return the answer
        def value(self, result): ...                # a non-HTTP route's result

    handler.invoke(event, context, MySink(handler.codec))   # -> what the sink returned
    handler(environ, start_response, MySink(handler.codec)) # FC 2.0 / custom runtime;
                                                            # source is faasgi.events.fc_wsgi

`delivers_early = True` makes an ASGI app hold its work after the response until the sink
is done (the default buffered sink leaves it False: a managed runtime answers only when
the handler returns). `Sink.buffer(reply)` gives the whole answer as a `faasgi.http.Response`
(a 500 when the app fails before its body is complete), for sinks that stream only some
answers.

`http()` reads `reply.status` and `reply.headers` (lower-case text names), then iterates
`reply.chunks()` once — each chunk as the app produced it, no buffering — or calls
`reply.body()` for the whole body; iteration raises when the app fails part-way, after
which a streaming sink signals the error its own way (Lambda: error trailers). `source`
is the event's module in `faasgi.events` (`source.NAME` is "aws-http", "aws-rest", ...).
A sink never calls `reply.close()`: once `http()`/`value()` has returned, the handler runs
the work after the response (`reply.close()`, then `faasgi.after_response` functions)
within the invocation's deadline, so that work starts only after the sink delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faasgi.http import Reply, Response, plain
from faasgi.logs import get_logger

if TYPE_CHECKING:
    from faasgi.bodies import BodyCodec
    from faasgi.events import Event, Source

logger = get_logger("faasgi")


class Sink:
    """The buffered sink: the whole body, rendered into the platform's answer dict."""

    #: Whether the answer leaves before the handler returns (a Runtime API post, a
    #: stream). Then the app's work after its response is held until the sink is done;
    #: otherwise (a managed runtime returns the answer only when the handler returns)
    #: the app runs straight through it, which saves a suspension per call.
    delivers_early = False

    def __init__(self, codec: BodyCodec, raise_app_errors: bool = False) -> None:
        self.codec = codec
        self.raise_app_errors = raise_app_errors

    def http(self, reply: Reply, source: Source, event: Event) -> Any:
        try:  # self.buffer(reply), inlined: this is every buffered invocation's path
            response = Response(reply.status, reply.headers, reply.body())
        except Exception:
            response = self.failed(reply)
        answer = source.render(response, event, self.codec)
        large = self.codec.large
        if large is not None:  # over the platform's limit: stored, and a 303 to it
            return large.fit(answer, response, source, event, self.codec)
        return answer

    def value(self, result: Any) -> Any:
        return result

    def buffer(self, reply: Reply) -> Response:
        """The reply as one Response."""
        try:
            return Response(reply.status, reply.headers, reply.body())
        except Exception:
            return self.failed(reply)

    def failed(self, reply: Reply | None) -> Response:
        """Call in an `except` block: the app failed before its body was done. Nothing has
        been sent yet, so a 500 can still replace it (or the error is re-raised with
        `raise_app_errors`)."""
        if self.raise_app_errors:
            raise  # the error our caller is handling
        logger.exception("the app failed while producing its response body")
        if reply is not None:
            reply.status = 500
        return plain(500, "Internal Server Error")
