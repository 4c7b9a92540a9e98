"""Init once per instance, shutdown once, per-invocation context: lifecycle.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import faasgi
from faasgi import OutsideInvocation, current_invocation, serverless
from faasgi.contexts import FCContext, LambdaContext
from faasgi.testing import FaasClient


def counting_asgi_app(counts: dict[str, int]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    counts["startup"] += 1
                    scope["state"]["client"] = f"client-{counts['startup']}"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    counts["shutdown"] += 1
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        counts["http"] += 1
        body = json.dumps({"state": scope["state"], "cold": current_invocation().cold})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body.encode()})

    return app


def test_factory_init_hooks_and_lifespan_run_once_for_100_invocations() -> None:
    counts = {"factory": 0, "on_init": 0, "startup": 0, "shutdown": 0, "http": 0}

    @serverless
    def handler() -> Any:
        counts["factory"] += 1
        return counting_asgi_app(counts)

    @handler.on_init
    def warm_up() -> None:
        counts["on_init"] += 1

    client = FaasClient(handler)
    answers = [client.get("/").json() for _ in range(100)]
    handler.shutdown()
    handler.shutdown()  # twice: still once
    assert counts == {"factory": 1, "on_init": 1, "startup": 1, "shutdown": 1, "http": 100}
    assert all(a["state"] == {"client": "client-1"} for a in answers)
    assert [a["cold"] for a in answers] == [True] + [False] * 99


def test_init_hook_registered_before_wrapping_runs_at_init() -> None:
    order: list[str] = []
    hooks = faasgi.lifecycle.Hooks()
    hooks.on_init(lambda: order.append("early"))
    assert order == []
    hooks.run_init(None)
    hooks.on_init(lambda: order.append("late"))  # after the start: runs at once
    assert order == ["early", "late"]


def test_async_init_hook_runs_on_the_instance_loop() -> None:
    loops: list[Any] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        import asyncio

        loops.append(asyncio.get_running_loop())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    handler = serverless(app, lifespan="off")

    @handler.on_init
    async def connect() -> None:
        import asyncio

        loops.append(asyncio.get_running_loop())

    FaasClient(handler).get("/")
    handler.shutdown()
    assert len(loops) == 2 and loops[0] is loops[1]


def test_current_invocation_outside_a_handler_is_an_error() -> None:
    with pytest.raises(OutsideInvocation, match="outside a handler"):
        current_invocation()


def test_invocation_context_from_a_lambda_context() -> None:
    seen: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        invocation = current_invocation()
        seen.append(invocation)
        seen.append(
            (
                invocation.request_id,
                invocation.remaining_ms(),
                invocation.deadline,
                invocation.platform,
                invocation.source,
            )
        )
        start_response("200 OK", [])
        return []

    handler = serverless(app)
    context = LambdaContext(aws_request_id="abc-123", timeout_s=3)
    event = FaasClient(None).build_request("GET", "/")
    from faasgi.events import Stamp, builder

    _, build = builder("aws-http")
    handler(build(event, Stamp(time_ms=1_700_000_123_456)), context)
    invocation = seen[0]
    request_id, remaining, deadline, platform, source = seen[1]
    assert request_id == "abc-123"
    assert 0 < remaining <= 3000
    assert deadline is not None and deadline > datetime.now(timezone.utc)
    assert (platform, source) == ("aws", "aws-http")
    assert invocation.trigger_time == datetime.fromtimestamp(1_700_000_123.456, tz=timezone.utc)
    assert invocation.event["requestContext"]["timeEpoch"] == 1_700_000_123_456


def test_fc_deadline_comes_from_the_function_timeout() -> None:
    remaining: list[int | None] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        remaining.append(current_invocation().remaining_ms())
        start_response("200 OK", [])
        return []

    client = FaasClient(serverless(app), "fc-http", context_options={"timeout": 10})
    client.get("/")
    assert remaining[0] is not None and 9000 < remaining[0] <= 10000


def test_each_thread_sees_its_own_invocation() -> None:
    """FC instance concurrency > 1 with a WSGI app: 50 invocations at once."""
    barrier = threading.Barrier(50)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        mine = current_invocation().request_id
        barrier.wait(timeout=10)  # all 50 are inside the app together
        start_response("200 OK", [])
        return [mine.encode(), b"|", current_invocation().request_id.encode()]

    handler = serverless(app)
    results: list[str] = []

    def call(number: int) -> None:
        client = FaasClient(handler, "fc-http", context_options={"request_id": f"r{number}"})
        results.append(client.get("/").text)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == sorted(f"r{n}|r{n}" for n in range(50))


def test_cold_is_true_once_per_instance_and_each_instance_has_its_own() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"1" if current_invocation().cold else b"0"]

    first, second = serverless(app), serverless(app)
    cold = [FaasClient(h).get("/").text for h in (first, first, second, first, second)]
    assert cold == ["1", "0", "1", "0", "0"]


SCRIPT = textwrap.dedent(
    """
    import sys, time, faasgi

    log = open(sys.argv[1], "a", buffering=1)

    @faasgi.on_shutdown
    def process_hook():
        log.write("process-hook\\n")

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    log.write("startup\\n")
                    await send({"type": "lifespan.startup.complete"})
                else:
                    log.write("lifespan-shutdown\\n")
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    handler = faasgi.serverless(app)

    @handler.on_shutdown
    def handler_hook():
        log.write("handler-hook\\n")

    print("ready", flush=True)
    mode = sys.argv[2]
    if mode == "sigterm":
        time.sleep(30)
    elif mode == "pre_stop":
        handler.pre_stop(None)
        handler.pre_stop(None)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sigterm", "pre_stop", "exit"])
def test_shutdown_runs_hooks_and_lifespan_exactly_once(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "function.py"
    script.write_text(SCRIPT)
    log = tmp_path / "log"
    process = subprocess.Popen(
        [sys.executable, str(script), str(log), mode], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    if mode == "sigterm":
        process.send_signal(signal.SIGTERM)
    returncode = process.wait(timeout=30)
    lines = log.read_text().splitlines()
    assert lines == ["startup", "handler-hook", "lifespan-shutdown", "process-hook"]
    # SIGTERM keeps its default meaning once the hooks ran: the process dies of it.
    assert returncode == (-signal.SIGTERM if mode == "sigterm" else 0)


def test_fc_initializer_runs_the_init_phase_of_a_lazy_handler() -> None:
    calls: list[str] = []

    def factory() -> Any:
        calls.append("factory")
        return lambda environ, start_response: []

    handler = serverless(factory, lazy=True)
    assert calls == []
    handler.initializer(FCContext())
    handler.initializer(FCContext())
    assert calls == ["factory"]


def test_report_line_for_a_real_cold_start_in_a_subprocess(tmp_path: Path) -> None:
    script = tmp_path / "fn.py"
    script.write_text(
        textwrap.dedent(
            """
        import logging, sys, faasgi
        logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
        def app(environ, start_response):
            start_response("200 OK", [])
            return [b""]
        handler = faasgi.serverless(app)
        from faasgi.testing import FaasClient
        FaasClient(handler).get("/")
        FaasClient(handler).get("/")
        """
        )
    )
    started = time.time()
    output = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True
    ).stdout
    lines = [
        json.loads(line[len("REPORT ") :])
        for line in output.splitlines()
        if line.startswith("REPORT ")
    ]
    assert [line["cold"] for line in lines] == [True, False]
    assert 0 <= lines[0]["initMs"] < (time.time() - started) * 1000


MID_INVOCATION = textwrap.dedent(
    """
    import asyncio, sys, faasgi
    from faasgi.testing import FaasClient

    log = open(sys.argv[1], "a", buffering=1)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            message = await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            log.write("lifespan-shutdown\\n")
            await send({"type": "lifespan.shutdown.complete"})
            return
        print("in the invocation", flush=True)
        await asyncio.sleep(60)

    handler = faasgi.serverless(app)

    @handler.on_shutdown
    def handler_hook():
        log.write("handler-hook\\n")

    @faasgi.on_shutdown
    def process_hook():
        log.write("process-hook\\n")

    FaasClient(handler).get("/")
    """
)


@pytest.mark.slow
def test_sigterm_during_an_asgi_invocation_still_runs_the_hooks_and_exits(
    tmp_path: Path,
) -> None:
    script = tmp_path / "function.py"
    script.write_text(MID_INVOCATION)
    log = tmp_path / "log"
    process = subprocess.Popen(
        [sys.executable, str(script), str(log)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "in the invocation"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == -signal.SIGTERM
    # The loop is busy with the invocation the signal interrupted, so the lifespan cannot
    # be shut down from inside it; every hook still runs, once.
    assert log.read_text().splitlines() == ["handler-hook", "process-hook"]
