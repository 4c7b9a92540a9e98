"""One emulator instance run by a Lambda runtime client (`faasgi serve --runtime-client
awslambdaric|faasgi`): this process speaks the emulator's frame protocol like
`faasgi.local.worker`, but instead of importing the handler it starts a local Runtime API
server (`faasgi.local.runtime_api`) and the chosen runtime client against it, and passes
each invocation through `/next` and `/response` — the path a function takes on Lambda.

The runtime gets the environment Lambda gives one (runtime_environment.py: function name,
memory, version, log group and stream, region; `faasgi serve --template` puts each
function's own in the instance's environment) and the server sends the function's ARN and
deadline (`--timeout`). The runtime's process imports the app (runtime_preload.py) and
passes its `faasgi_tables()` back here, so the emulator creates them as for its own worker.

A streamed answer (FAASGI_INVOKE_MODE=RESPONSE_STREAM) reaches the emulator chunk by
chunk as the runtime posts it, for the sources Lambda streams (runtime_relay.py); other
answers go whole. The instance is free again once the runtime asks for its next event,
after its work after the response. Lambda only (one invocation at a time).
Run as `python -m faasgi.local.runtime_worker`, never imported by apps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from faasgi.local.frames import INIT_FAILED, INVOKE, READY
from faasgi.local.runtime_api import RuntimeAPIServer, signal_shutdown
from faasgi.local.runtime_environment import FunctionIdentity
from faasgi.local.runtime_relay import IdleAwareServer, Send, relay_invocation
from faasgi.local.worker import Link

CLIENTS = ("awslambdaric", "faasgi")
#: Seconds a runtime client has to reach its first /next (its init).
INIT_LIMIT = 60.0


def client_command(client: str, handler: str, tables_fd: int) -> list[str]:
    """The runtime's command line: the client, behind the preload that reads the tables."""
    module = "faasgi.local.runtime_preload"
    options = ["--tables-fd", str(tables_fd), "--client", client, "--handler", handler]
    return [sys.executable, "-m", module, *options]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the runtime gets SIGKILL when this process dies (the emulator kills stuck
    instances with SIGKILL, which this process cannot pass on)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def start(
    args: Any, server: RuntimeAPIServer, identity: FunctionIdentity
) -> tuple[subprocess.Popen[bytes], int]:
    """The runtime's process, and the pipe its preload writes the declared tables to."""
    environment = {**os.environ, **identity.environment(server.address, args.handler)}
    # Never set by accident: it switches awslambdaric to Managed Instances mode.
    environment.pop("AWS_LAMBDA_MAX_CONCURRENCY", None)
    tables_read, tables_write = os.pipe()
    try:
        process = subprocess.Popen(
            client_command(args.client, args.handler, tables_write),
            env=environment,
            stdin=subprocess.DEVNULL,
            pass_fds=(tables_write,),
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    finally:
        os.close(tables_write)  # the child's copy is the only writer: EOF when it is done
    return process, tables_read


def declared_tables(tables_fd: int) -> list[Any]:
    """What the preload read off `faasgi_tables()` (it wrote and closed the pipe before the
    runtime started, so this never waits); ValueError for a malformed hook."""
    data = b""
    with os.fdopen(tables_fd, "rb") as pipe:
        data = pipe.read()
    report: dict[str, Any] = json.loads(data or b"{}")
    if "error" in report:
        raise ValueError(report["error"])
    return list(report.get("tables") or [])


def wait_for_init(server: RuntimeAPIServer, process: subprocess.Popen[bytes]) -> str | None:
    """None once the runtime asks for its first event; else why it never will."""
    deadline = time.monotonic() + INIT_LIMIT
    while time.monotonic() < deadline:
        if server.ready.wait(0.05):
            return None
        if server.init_failed.is_set():
            report = json.loads(server.init_errors[0].body or b"{}")
            return f"{report.get('errorType')}: {report.get('errorMessage')}"
        if process.poll() is not None:
            return f"the runtime exited with status {process.returncode} during init"
    return f"the runtime did not ask for an event within {INIT_LIMIT:g} s"


def _sender(link: Link, call_id: int) -> Send:
    def send(kind: int, meta: bytes, body: bytes) -> None:
        link.write(kind, call_id, meta, body)

    return send


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m faasgi.local.runtime_worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--handler", required=True, help="MODULE:HANDLER")
    parser.add_argument("--client", choices=CLIENTS, required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the emulator decides when to stop
    link = Link(args.fd)
    started = time.perf_counter()
    identity = FunctionIdentity.from_environment(os.environ)
    server = IdleAwareServer(
        function_name=identity.name,
        timeout=args.timeout,
        memory_mb=identity.memory_mb,
        handler=args.handler,
    )
    server.function_arn = identity.arn
    server.start()
    process, tables_fd = start(args, server, identity)

    def stop(*_: Any) -> None:
        # The emulator stops an instance with SIGTERM: end the runtime as Lambda would.
        signal_shutdown(server, process, grace=2.0)
        server.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    failure = wait_for_init(server, process)
    tables: list[Any] = []
    if failure is None:
        try:
            tables = declared_tables(tables_fd)
        except ValueError as error:
            failure = str(error)
    if failure is not None:
        error_type, _, message = failure.partition(": ")
        shape = {"errorType": error_type, "errorMessage": message, "trace": ""}
        link.write(INIT_FAILED, 0, b"", json.dumps(shape).encode("utf-8"))
        stop()
    init_ms = (time.perf_counter() - started) * 1000
    ready = {"init_ms": init_ms, "pid": os.getpid(), "tables": tables}
    link.write(READY, 0, b"", json.dumps(ready).encode("utf-8"))
    while (frame := link.read()) is not None:
        kind, call_id, meta, body = frame
        if kind != INVOKE:
            continue
        relay_invocation(server, _sender(link, call_id), meta.decode("ascii"), body, args.timeout)
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
