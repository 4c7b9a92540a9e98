"""A DynamoDB for local runs and tests: moto's server on 127.0.0.1, on a free port, in a
thread of this process, reached over real HTTP like the cloud service.

Never sets anything process-wide: callers hand the endpoint URL to their clients (or to
child processes as AWS_ENDPOINT_URL_DYNAMODB). moto keeps no data across restarts and
never expires items by TTL.

One difference from `moto.server.ThreadedMotoServer`, which this otherwise is: requests are
served one at a time. moto checks a write's condition and then applies the write with
nothing held in between, so two requests on two server threads can both pass
`version = :v` and one update is lost (8 processes x 50 increments ended at 396 in our
tests). DynamoDB applies each item's writes atomically; serving one request at a time
restores that, at little cost since moto holds the GIL while it works anyway.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

logger = logging.getLogger("faasgi.local.dynamodb")


class LocalDynamoDB:
    """`with LocalDynamoDB() as endpoint_url: ...`, or `start()` / `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self._thread: Any = None
        self.endpoint_url: str | None = None

    def __repr__(self) -> str:
        return f"<LocalDynamoDB {self.endpoint_url or 'stopped'}>"

    def start(self) -> str:
        """Start the server (port 0: any free port); its endpoint URL."""
        if self._server is not None:
            assert self.endpoint_url is not None
            return self.endpoint_url
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError:
            raise ImportError(
                "the local DynamoDB needs moto's server: pip install 'faasgi[local]'"
            ) from None
        # werkzeug logs one line per request at INFO; a test run would drown in them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # What ThreadedMotoServer serves, one request at a time (see the module docstring).
        app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
        server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        thread = threading.Thread(target=server.serve_forever, name="local-dynamodb", daemon=True)
        thread.start()
        self._server, self._thread = server, thread
        self.endpoint_url = f"http://{self.host}:{server.server_address[1]}"
        logger.debug("moto DynamoDB listening on %s", self.endpoint_url)
        return self.endpoint_url

    def reset(self) -> None:
        """Drop every table (moto's own reset endpoint)."""
        if self.endpoint_url is None:
            raise RuntimeError("the local DynamoDB is not running")
        request = urllib.request.Request(self.endpoint_url + "/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        server, self._server = self._server, None
        self.endpoint_url = None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class _OneAtATime:
    """A WSGI app that lets one request at a time into the app it wraps, body included."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


__all__ = ["LocalDynamoDB"]
