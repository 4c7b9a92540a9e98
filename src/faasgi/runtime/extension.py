"""Make Lambda send SIGTERM at shutdown: register a no-op *internal* extension.

Lambda signals the runtime at shutdown only when at least one extension is registered, and
then gives it up to 500 ms with an internal extension (runtimes-extensions-api.html,
"Shutdown phase"). The extension registers with no events before the runtime's first
`/next` (registration closes once init ends) and then parks on `/extension/event/next` in a
daemon thread, as Lambda requires of every registered extension; aws-lambda-go
(`lambda/sigterm.go`) and the Rust runtime's graceful-shutdown helper do the same.

Raw sockets, not http.client: this runs during every cold start on Lambda and must cost
almost nothing. Opt out with FAASGI_SHUTDOWN_EXTENSION=0.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading

logger = logging.getLogger("faasgi.runtime")

NAME = "faasgi-shutdown"
REGISTER = "/2020-01-01/extension/register"
NEXT = "/2020-01-01/extension/event/next"
OPT_OUT = "FAASGI_SHUTDOWN_EXTENSION"

_registered = False
_lock = threading.Lock()


def wanted() -> bool:
    return os.environ.get(OPT_OUT, "1").strip().lower() not in ("0", "false", "off", "no")


def _exchange(address: str, request: bytes, timeout: float | None) -> tuple[int, dict[str, str]]:
    """Send one HTTP/1.1 request; the status and headers of the answer (body not read)."""
    host, _, port = address.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.settimeout(timeout)
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            data = connection.recv(4096)
            if not data:
                break
            received += data
    head = received.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise OSError(f"not an HTTP answer: {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(parts[1]), headers


def register(address: str) -> bool:
    """Register the extension once per process and park it; False when Lambda refused (a
    registration after init, more than 10 extensions) — logged, never raised."""
    global _registered
    with _lock:
        if _registered:
            return True
        body = json.dumps({"events": []}).encode("ascii")
        request = (
            f"POST {REGISTER} HTTP/1.1\r\nHost: {address}\r\n"
            f"Lambda-Extension-Name: {NAME}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1") + body
        try:
            status, headers = _exchange(address, request, timeout=2.0)
        except OSError as error:
            logger.warning("could not register the shutdown extension: %s", error)
            return False
        identifier = headers.get("lambda-extension-identifier")
        if status != 200 or not identifier:
            logger.warning(
                "the shutdown extension was not registered (Extensions API answered %d); "
                "on_shutdown hooks will not run on Lambda",
                status,
            )
            return False
        _registered = True
    thread = threading.Thread(
        target=_park, args=(address, identifier), name="faasgi-shutdown-extension", daemon=True
    )
    thread.start()
    return True


def _park(address: str, identifier: str) -> None:
    """Wait on the extension's next event for ever: with no events subscribed, Lambda
    answers only at shutdown, after the runtime got SIGTERM."""
    request = (
        f"GET {NEXT} HTTP/1.1\r\nHost: {address}\r\n"
        f"Lambda-Extension-Identifier: {identifier}\r\nConnection: close\r\n\r\n"
    ).encode("latin-1")
    try:
        _exchange(address, request, timeout=None)
    except OSError as error:
        logger.debug("the shutdown extension's event wait ended: %s", error)


def register_on_managed_runtime() -> None:
    """Called when faasgi starts an instance: on AWS's managed Python runtime (no faasgi
    runtime in charge), register at init so that SIGTERM reaches the process. Only the
    3.12+ runtimes run a Python signal handler while waiting for the next event (their
    runtime client polls from a thread); see docs/lifecycle.md."""
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address or not wanted():
        return
    if not os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_python"):
        return
    register(address)
