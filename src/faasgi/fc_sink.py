"""The sink `faasgi.custom_runtime` answers through: it writes the app's response on the
HTTP connection FC opened to the custom runtime — whole, with a Content-Length, or, for a
function in RESPONSE_STREAM mode, status and headers first and then each chunk the moment
the app produces it, with chunked transfer encoding. FC treats a web function's chunked
answer as a streamed one (server-sent events included):
https://help.aliyun.com/zh/functioncompute/fc/does-function-compute-support-sse-streaming-response.

The answer goes out before the handler returns, so the work after the response (ASGI code
after the last body message, WSGI `close()`, `faasgi.after_response`) runs after the
client has it. What FC guarantees about that work: docs/streaming.md ("Alibaba FC").
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from faasgi.http import Headers, Reply
from faasgi.sinks import Sink
from faasgi.wsgi import wsgi_text

logger = logging.getLogger("faasgi.custom_runtime")


class Connection(Protocol):
    """What the sink needs from the request being answered (the custom runtime's
    request handler)."""

    def whole(self, status: int, headers: Headers, body: bytes, length: str | None) -> None:
        """Write a whole answer; `length` overrides the Content-Length (HEAD)."""

    def start_stream(self, status: int, headers: Headers) -> None:
        """Write the status line and headers of a chunked answer."""

    def write_chunk(self, data: bytes) -> None:
        """Write one chunk of it, at once; OSError when the client has gone."""

    def end_stream(self) -> None:
        """Write the last chunk."""

    def abandon(self) -> None:
        """Close the connection without the last chunk: the client sees the answer cut."""


class CustomRuntimeSink(Sink):
    """Answers one HTTP request of `faasgi.custom_runtime`."""

    delivers_early = True

    def __init__(
        self, codec: Any, connection: Connection, stream: bool, raise_app_errors: bool = False
    ) -> None:
        super().__init__(codec, raise_app_errors)
        self.connection = connection
        self.stream = stream
        #: True once the answer (or the start of a stream) has been written.
        self.answered = False

    def http(self, reply: Reply, source: Any, event: Any) -> Any:
        """Called with `faasgi.events.fc_wsgi` as the source and the environ as the event."""
        # Header values as FC 2.0's runtime takes them: text that encodes to latin-1.
        headers = [(name, wsgi_text(value)) for name, value in reply.headers]
        if not self.stream or reply.omit_body:
            response = self.buffer(reply)
            length = None
            if reply.omit_body:  # HEAD: keep the length the app announced for the GET
                length = next((v for k, v in headers if k == "content-length"), "0")
            self.answered = True
            self.connection.whole(response.status, headers, response.body, length)
            return None
        self.answered = True
        self.connection.start_stream(reply.status, headers)
        chunks = reply.chunks()
        try:
            for chunk in chunks:
                self.connection.write_chunk(chunk)
        except OSError:
            logger.info("the client went away part-way through a streamed answer")
            self.connection.abandon()
            return None
        except Exception:
            # The status is out: the only way left to say "broken" is to cut the answer.
            logger.exception("the app failed part-way through its streamed response")
            self.connection.abandon()
            return None
        self.connection.end_stream()
        return None


__all__ = ["Connection", "CustomRuntimeSink"]
