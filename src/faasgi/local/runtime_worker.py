"""One emulator instance run by a Lambda runtime client (`faasgi serve --runtime-client
awslambdaric|faasgi`): this process speaks the emulator's frame protocol like
`faasgi.local.worker`, but instead of importing the handler it starts a local Runtime API
server (`faasgi.local.runtime_api`) and the chosen runtime client against it, and passes
each invocation through `/next` and `/response` — the path a function takes on Lambda.

A streamed answer (FAASGI_INVOKE_MODE=RESPONSE_STREAM) reaches the emulator as the
buffered answer it stands for: the prelude's status, headers and cookies, and the body.
Lambda only (one invocation at a time); the instance's `faasgi_tables()` is not read.
Run as `python -m faasgi.local.runtime_worker`, never imported by apps.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from faasgi.local.frames import DONE, ERROR, INIT_FAILED, INVOKE, READY, RESULT
from faasgi.local.runtime_api import Outcome, RuntimeAPIServer, signal_shutdown
from faasgi.local.worker import Link

CLIENTS = ("awslambdaric", "faasgi")
#: Seconds a runtime client has to reach its first /next (its init).
INIT_LIMIT = 60.0


def client_command(client: str, handler: str) -> list[str]:
    """The runtime's command line: awslambdaric wants Lambda's `module.attr` form."""
    module, _, attribute = handler.partition(":")
    if client == "awslambdaric":
        return [sys.executable, "-m", "awslambdaric", f"{module}.{attribute}"]
    return [sys.executable, "-m", "faasgi.runtime", handler]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the runtime gets SIGKILL when this process dies (the emulator kills stuck
    instances with SIGKILL, which this process cannot pass on)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def buffered_answer(outcome: Outcome) -> bytes:
    """What the handler's answer is as JSON: a streamed answer folded into the shape a
    buffered Function URL answer has."""
    if not outcome.streamed:
        return outcome.body
    prelude, _, body = outcome.body.partition(b"\x00" * 8)
    shape: dict[str, Any] = json.loads(prelude)
    shape["body"] = base64.b64encode(body).decode("ascii")
    shape["isBase64Encoded"] = True
    return json.dumps(shape).encode("utf-8")


def start(args: Any, server: RuntimeAPIServer) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "AWS_LAMBDA_RUNTIME_API": server.address,
        "_HANDLER": args.handler,
        "AWS_LAMBDA_FUNCTION_NAME": server.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(server.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    }
    # Never set by accident: it switches awslambdaric to Managed Instances mode.
    environment.pop("AWS_LAMBDA_MAX_CONCURRENCY", None)
    return subprocess.Popen(
        client_command(args.client, args.handler),
        env=environment,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


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
    server = RuntimeAPIServer(timeout=args.timeout, handler=args.handler).start()
    process = start(args, server)

    def stop(*_: Any) -> None:
        # The emulator stops an instance with SIGTERM: end the runtime as Lambda would.
        signal_shutdown(server, process, grace=2.0)
        server.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    failure = wait_for_init(server, process)
    if failure is not None:
        error_type, _, message = failure.partition(": ")
        shape = {"errorType": error_type, "errorMessage": message, "trace": ""}
        link.write(INIT_FAILED, 0, b"", json.dumps(shape).encode("utf-8"))
        stop()
    ready = {"init_ms": (time.perf_counter() - started) * 1000, "pid": os.getpid(), "tables": []}
    link.write(READY, 0, b"", json.dumps(ready).encode("utf-8"))
    while (frame := link.read()) is not None:
        kind, call_id, meta, body = frame
        if kind != INVOKE:
            continue
        began = time.perf_counter()
        outcome = server.invoke(body, request_id=meta.decode("ascii"), wait=args.timeout + 5)
        duration = f"{(time.perf_counter() - began) * 1000:.3f}".encode("ascii")
        if outcome.kind == "response":
            link.write(RESULT, call_id, duration, buffered_answer(outcome))
        else:
            link.write(ERROR, call_id, duration, outcome.body)
        # The invocation is over for the emulator (the pool frees the instance); work the
        # runtime does after its answer delays the next event, which waits for /next.
        link.write(DONE, call_id, duration, b"")
    stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
