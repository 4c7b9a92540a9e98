"""A DynamoDB for local runs and tests: moto's server on 127.0.0.1, on a free port, in a
thread of this process, reached over real HTTP like the cloud service.

Never sets anything process-wide: callers hand the endpoint URL to their clients (or to
child processes as AWS_ENDPOINT_URL_DYNAMODB). moto keeps no data across restarts and
never expires items by TTL.
"""

from __future__ import annotations

import logging
import urllib.request
from types import TracebackType
from typing import Any

logger = logging.getLogger("faasgi.local.dynamodb")


class LocalDynamoDB:
    """`with LocalDynamoDB() as endpoint_url: ...`, or `start()` / `stop()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: Any = None
        self.endpoint_url: str | None = None

    def __repr__(self) -> str:
        return f"<LocalDynamoDB {self.endpoint_url or 'stopped'}>"

    def start(self) -> str:
        """Start the server (port 0: any free port); its endpoint URL."""
        if self._server is not None:
            assert self.endpoint_url is not None
            return self.endpoint_url
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            raise ImportError(
                "the local DynamoDB needs moto's server: pip install 'faasgi[local]'"
            ) from None
        # werkzeug logs one line per request at INFO; a test run would drown in them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint_url = f"http://{host}:{port}"
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
            server.stop()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["LocalDynamoDB"]
